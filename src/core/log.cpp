#include "gquic/core/log.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace gquic::log {
namespace {

struct Registry {
  std::mutex mu;
  spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  spdlog::level::level_enum default_level = spdlog::level::info;
  std::map<std::string, spdlog::level::level_enum, std::less<>> module_levels;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
};

Registry& registry() {
  static Registry r;
  return r;
}

bool parse_level(std::string_view s, spdlog::level::level_enum& out) {
  static const std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"critical", spdlog::level::critical},
      {"off", spdlog::level::off}};
  for (const auto& [name, level] : kLevels) {
    if (s == name) {
      out = level;
      return true;
    }
  }
  return false;
}

spdlog::level::level_enum level_for(const Registry& r, std::string_view module) {
  auto it = r.module_levels.find(module);
  return it != r.module_levels.end() ? it->second : r.default_level;
}

struct ParsedSpec {
  std::optional<spdlog::level::level_enum> default_level;
  std::vector<std::pair<std::string, spdlog::level::level_enum>> pairs;
};

Result<ParsedSpec> parse_spec(std::string_view spec) {
  ParsedSpec out;
  while (!spec.empty()) {
    auto comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    if (item.empty()) continue;
    spdlog::level::level_enum level;
    if (auto eq = item.find('='); eq != std::string_view::npos) {
      std::string_view module = item.substr(0, eq);
      if (module.empty() || !parse_level(item.substr(eq + 1), level)) return Errc::invalid_argument;
      out.pairs.emplace_back(std::string(module), level);
    } else {
      if (!parse_level(item, level)) return Errc::invalid_argument;
      out.default_level = level;
    }
  }
  return out;
}

}  // namespace

std::shared_ptr<spdlog::logger> get(std::string_view module) {
  static const bool env_applied = [] {
    if (auto r = configure_from_env(); !r) {
      std::fprintf(stderr, "gquic: ignoring GQUIC_LOG: %s\n", r.error().message().c_str());
    }
    return true;
  }();
  (void)env_applied;
  auto& r = registry();
  std::lock_guard lock(r.mu);
  if (auto it = r.loggers.find(module); it != r.loggers.end()) return it->second;
  auto logger = std::make_shared<spdlog::logger>(std::string(module), r.sink);
  logger->set_level(level_for(r, module));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  r.loggers.emplace(std::string(module), logger);
  return logger;
}

Result<void> validate(std::string_view spec) {
  auto parsed = parse_spec(spec);
  if (!parsed) return parsed.error();
  return {};
}

Result<void> configure(std::string_view spec) {
  auto parsed = parse_spec(spec);
  if (!parsed) return parsed.error();
  auto& r = registry();
  std::lock_guard lock(r.mu);
  if (parsed->default_level) r.default_level = *parsed->default_level;
  for (auto& [module, level] : parsed->pairs) r.module_levels[module] = level;
  for (auto& [name, logger] : r.loggers) logger->set_level(level_for(r, name));
  return {};
}

Result<void> configure_from_env() {
  const char* spec = std::getenv("GQUIC_LOG");
  if (spec == nullptr) return {};
  return configure(spec);
}

}  // namespace gquic::log

#pragma once
// Pieces of the Prometheus text exposition format, version 0.0.4, used by the collector and
// exposed for tests and for modules that render their own samples.
//
// The format, line by line:
//   # HELP <name> <help, with '\' and newline escaped as \\ and \n>
//   # TYPE <name> counter|gauge|histogram
//   <sample name>{<label>="<value, with '\', '"' and newline escaped>",...} <value>
// Values are Go-style floats: the shortest decimal that round-trips (1, 0.25, 1e+21), and
// "+Inf", "-Inf", "NaN" for the special values. Counters print as integers.

#include <cstdint>
#include <string>
#include <string_view>

namespace gquic::observability {

// The Content-Type of a scrape response in this format.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

void append_prometheus_value(std::string& out, double v);
void append_prometheus_value(std::string& out, std::uint64_t v);
std::string format_prometheus_value(double v);

void append_escaped_help(std::string& out, std::string_view help);
void append_escaped_label_value(std::string& out, std::string_view value);

}  // namespace gquic::observability

#pragma once
// Builders shared by the discovery unit tests.
#include <string>
#include <vector>

#include "gquic/discovery/service.h"

namespace gquic::discovery::test {

inline ServiceInfo make_service(std::string name, std::string ns = "default",
                                std::vector<std::string> tags = {},
                                std::string address = "192.0.2.1:8080",
                                std::string version = "v1") {
  ServiceInfo s;
  s.id = {std::move(name), std::move(ns), std::move(version)};
  s.service_type = "http";
  s.endpoints.push_back(Endpoint{.address = std::move(address)});
  s.tags = std::move(tags);
  return s;
}

}  // namespace gquic::discovery::test

#pragma once
// Loading Kubernetes manifests (YAML, one or more documents per file) into a Cluster.
//
// Kinds read: Namespace (v1), Pod (v1), NetworkPolicy (networking.k8s.io/v1),
// AdminNetworkPolicy (policy.networking.k8s.io/v1alpha1), and List (its items). Other
// kinds are skipped. Pod and Namespace read only metadata.name/namespace/labels,
// status.podIP and spec.containers[].ports[]; their other fields are ignored. Policy specs
// are strict: an unknown field, a wrong type, a bad CIDR, an endPort below port, a
// duplicate name, an invalid selector operator... is an error naming the object
// ("NetworkPolicy ns/name") and the field path ("spec.ingress[0].ports[1].endPort").
//
// The loader never throws and never crashes on any input: yaml-cpp's exceptions are caught
// here and become errors. A namespace referenced by a pod or policy but not declared is
// created implicitly (with only the kubernetes.io/metadata.name label).

#include <string>
#include <string_view>
#include <vector>

#include "gquic/policy/cluster.h"

namespace gquic::policy {

struct ManifestError {
  std::string source;  // file name, or the name passed to add_text
  std::string object;  // "Kind ns/name", "Kind name", or "document N" when unnamed
  std::string field;   // dotted path inside the object; empty for file-level errors
  std::string message;
  std::string to_string() const;
};

class ManifestLoader {
 public:
  // Parses every document of `text`.
  void add_text(std::string_view text, std::string_view source = "<text>");
  // A file (YAML or JSON), or a directory: its *.yaml / *.yml files in name order (recursive).
  void add_path(const std::string& path);

  const std::vector<ManifestError>& errors() const noexcept { return errors_; }
  bool ok() const noexcept { return errors_.empty(); }
  // The cluster loaded so far (implicit namespaces added).
  Cluster cluster() const;

 private:
  Cluster cluster_;
  std::vector<ManifestError> errors_;
};

}  // namespace gquic::policy

// The rules of the cloud that differ between the clouds it can imitate: how ids look, whether
// deleted resources stay visible, how far security groups and names reach, and whether a
// creation waits in a queue before it starts. The defaults are this project's own cloud
// (docs/http-api.md); CloudModel::original() is the Python Mock Cloud API's (the server's
// `--dialect original`, docs/original-dialect.md).
#pragma once

#include <cstdint>

namespace mockcloud {

/// How resources are named.
enum class IdScheme : std::uint8_t {
  uuid,        // a seeded random UUID ("3f2c5a4e-...")
  sequential,  // per kind, "1", "2", ... in creation order; a reset starts again at 1
};

/// How far a rule reaches.
enum class Scope : std::uint8_t {
  environment,  // within one environment
  cloud,        // across the whole cloud
};

/// What a VM, volume or security group name may be (environment names too).
enum class NameRule : std::uint8_t {
  strict,     // 1..63 characters: letters, digits, '.', '_', '-', starting with a letter or digit
  free_text,  // 1..100 characters of any kind
};

struct CloudModel {
  IdScheme ids = IdScheme::uuid;
  /// Deleted VMs and volumes stay readable and listed with status `deleted` (their names stay
  /// taken, a VM's address goes back to the pool); deleting their environment forgets them.
  bool keep_deleted = false;
  /// environment: a security group belongs to one environment, its VMs' own, and cannot be
  /// deleted while a VM uses it. cloud: it belongs to no environment, any VM may use it, and
  /// deleting it takes it off its VMs.
  Scope security_groups = Scope::environment;
  /// Where VM, volume and security group names must be unique (environment names are always
  /// unique across the cloud).
  Scope names = Scope::environment;
  NameRule name_rule = NameRule::strict;
  /// A creation is first `pending` (queued), and its resource `creating` only once a worker
  /// picks it up, 0.1-1 s later (a delay drawn from its seeded task id, never after it is due).
  bool pending_stage = false;

  /// The Python Mock Cloud API's rules: sequential ids, tombstones, cloud-wide security groups
  /// and names, names of any text, the pending stage.
  static constexpr CloudModel original() {
    return {IdScheme::sequential, true, Scope::cloud, Scope::cloud, NameRule::free_text, true};
  }
  friend bool operator==(const CloudModel&, const CloudModel&) = default;
};

}  // namespace mockcloud

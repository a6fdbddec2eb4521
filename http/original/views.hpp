// The original dialect's wire types (docs/original-dialect.md): the Python Mock Cloud API's
// request and response models, declared once with Boost.Describe, and their mapping from and to
// the library's specs and snapshots. The JSON writer and reader (wire.hpp) and the dialect's
// OpenAPI schemas (schemas.cpp) derive from these declarations.
#pragma once

#include <boost/describe.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../wire.hpp"
#include "mockcloud/events.hpp"
#include "mockcloud/resources.hpp"

namespace mockcloud::http::original {

// ---- enums, spelled as declared ----

enum class VMStatus : std::uint8_t {
  pending,
  starting,
  running,
  stopped,
  failed,
  deleting,
  deleted
};
enum class VolumeStatus : std::uint8_t {
  pending,
  creating,
  available,
  in_use,
  failed,
  deleting,
  deleted
};
enum class ResourceStatus : std::uint8_t { pending, creating, active, failed, deleting, deleted };
BOOST_DESCRIBE_ENUM(VMStatus, pending, starting, running, stopped, failed, deleting, deleted)
BOOST_DESCRIBE_ENUM(VolumeStatus, pending, creating, available, in_use, failed, deleting, deleted)
BOOST_DESCRIBE_ENUM(ResourceStatus, pending, creating, active, failed, deleting, deleted)

/// A time as the original writes it: RFC 3339 UTC with microseconds.
struct Timestamp {
  TimePoint at;
  void write_json(std::string& out) const;
};

// ---- request bodies ----

struct EnvironmentCreate {
  std::string name;
  std::string network_cidr = "10.0.0.0/16";
  std::optional<std::string> description;
};
struct SecurityGroupCreate {
  std::string name;
  std::optional<std::string> description, rules;
};
struct VMCreate {
  std::string name, instance_type;
  std::int64_t environment_id = 0;
  std::optional<std::int64_t> security_group_id;
};
struct VolumeCreate {
  std::string name;
  std::int64_t size_gb = 0;
  std::int64_t environment_id = 0;
  std::optional<std::int64_t> vm_id;
};
BOOST_DESCRIBE_STRUCT(EnvironmentCreate, (), (name, network_cidr, description))
BOOST_DESCRIBE_STRUCT(SecurityGroupCreate, (), (name, description, rules))
BOOST_DESCRIBE_STRUCT(VMCreate, (), (name, instance_type, environment_id, security_group_id))
BOOST_DESCRIBE_STRUCT(VolumeCreate, (), (name, size_gb, environment_id, vm_id))

// ---- responses ----

struct EnvironmentResponse {
  std::string name, network_cidr;
  std::optional<std::string> description;
  std::int64_t id = 0;
  Timestamp created_at;
  std::optional<Timestamp> updated_at;
};
struct SecurityGroupResponse {
  std::string name;
  std::optional<std::string> description, rules;
  std::int64_t id = 0;
  Timestamp created_at;
  std::optional<Timestamp> updated_at;
};
struct VMResponse {
  std::string name, instance_type;
  std::int64_t environment_id = 0;
  std::optional<std::int64_t> security_group_id;
  std::int64_t id = 0;
  VMStatus status = VMStatus::pending;
  ResourceStatus resource_status = ResourceStatus::pending;
  std::optional<std::string> ip_address;
  Timestamp created_at;
  std::optional<Timestamp> updated_at;
};
struct VolumeResponse {
  std::string name;
  std::int64_t size_gb = 0;
  std::int64_t environment_id = 0;
  std::optional<std::int64_t> vm_id;
  std::int64_t id = 0;
  VolumeStatus status = VolumeStatus::pending;
  ResourceStatus resource_status = ResourceStatus::pending;
  Timestamp created_at;
  std::optional<Timestamp> updated_at;
};
BOOST_DESCRIBE_STRUCT(EnvironmentResponse, (),
                      (name, network_cidr, description, id, created_at, updated_at))
BOOST_DESCRIBE_STRUCT(SecurityGroupResponse, (),
                      (name, description, rules, id, created_at, updated_at))
BOOST_DESCRIBE_STRUCT(VMResponse, (),
                      (name, instance_type, environment_id, security_group_id, id, status,
                       resource_status, ip_address, created_at, updated_at))
BOOST_DESCRIBE_STRUCT(VolumeResponse, (),
                      (name, size_gb, environment_id, vm_id, id, status, resource_status,
                       created_at, updated_at))

struct EnvironmentListResponse {
  std::vector<EnvironmentResponse> environments;
  std::int64_t total = 0;
};
struct SecurityGroupListResponse {
  std::vector<SecurityGroupResponse> security_groups;
  std::int64_t total = 0;
};
struct VMListResponse {
  std::vector<VMResponse> vms;
  std::int64_t total = 0;
};
struct VolumeListResponse {
  std::vector<VolumeResponse> volumes;
  std::int64_t total = 0;
};
BOOST_DESCRIBE_STRUCT(EnvironmentListResponse, (), (environments, total))
BOOST_DESCRIBE_STRUCT(SecurityGroupListResponse, (), (security_groups, total))
BOOST_DESCRIBE_STRUCT(VMListResponse, (), (vms, total))
BOOST_DESCRIBE_STRUCT(VolumeListResponse, (), (volumes, total))

/// What an asynchronous create or delete answers.
struct TaskResponse {
  std::string task_id, status, message;
  std::optional<std::int64_t> id;
  std::optional<std::string> resource_type;
};
BOOST_DESCRIBE_STRUCT(TaskResponse, (), (task_id, status, message, id, resource_type))

struct Message {
  std::string message;
};
BOOST_DESCRIBE_STRUCT(Message, (), (message))

/// The original's error envelope (not found, broken state rules, internal errors).
struct ErrorBody {
  std::string code, message;
  std::int64_t status_code = 0;
  std::optional<std::string> resource_type, resource_id;
};
struct ErrorResponse {
  ErrorBody error;
};
BOOST_DESCRIBE_STRUCT(ErrorBody, (), (code, message, status_code, resource_type, resource_id))
BOOST_DESCRIBE_STRUCT(ErrorResponse, (), (error))

// ---- the dialect ----

/// Field names as declared, enums as declared, nothing hidden, integers read as pydantic's lax
/// mode reads them.
struct Dialect {
  static constexpr bool lax_integers = true;
  template <class E>
  static constexpr wire::Spelling spelling = wire::Spelling::identity;
  static constexpr std::string_view field(std::string_view declared) { return declared; }
  template <class T>
  static constexpr bool hides(std::string_view) {
    return false;
  }
};

// ---- mapping ----

EnvironmentResponse view(const Environment& e);
SecurityGroupResponse view(const SecurityGroup& g);
VMResponse view(const Vm& v);
VolumeResponse view(const Volume& v);

EnvironmentSpec spec(const EnvironmentCreate& body);
SecurityGroupSpec spec(const SecurityGroupCreate& body);
VmSpec spec(const VMCreate& body);
VolumeSpec spec(const VolumeCreate& body);

/// A library id as the integer the original uses (0 for one that is not a number).
std::int64_t id_number(std::string_view id);

/// A VM's or volume's library status name (to_string of resources.hpp) as this dialect's
/// `status` spells it ("creating" -> "starting" for a VM, "error" -> "failed"); any other name
/// ("", "gone", an environment's "active") as it is.
std::string_view status_name(EventKind kind, std::string_view library_status);

}  // namespace mockcloud::http::original

namespace mockcloud::http {

template <>
struct ReadRules<original::EnvironmentCreate> {
  static constexpr std::string_view required[] = {"name"};
  static void unknown_name(original::EnvironmentCreate&, std::string_view) {}
};
template <>
struct ReadRules<original::SecurityGroupCreate> {
  static constexpr std::string_view required[] = {"name"};
  static void unknown_name(original::SecurityGroupCreate&, std::string_view) {}
};
template <>
struct ReadRules<original::VMCreate> {
  static constexpr std::string_view required[] = {"name", "instance_type", "environment_id"};
  static void unknown_name(original::VMCreate&, std::string_view) {}
};
template <>
struct ReadRules<original::VolumeCreate> {
  static constexpr std::string_view required[] = {"name", "size_gb", "environment_id"};
  static void unknown_name(original::VolumeCreate&, std::string_view) {}
};

}  // namespace mockcloud::http

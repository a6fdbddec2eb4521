#include "views.hpp"

#include <charconv>

namespace mockcloud::http::original {
namespace {

/// `updated_at` is null until the resource first changes.
std::optional<Timestamp> updated(TimePoint created, TimePoint updated) {
  if (updated == created) return std::nullopt;
  return Timestamp{updated};
}

std::optional<std::int64_t> optional_id(const std::optional<std::string>& id) {
  if (!id) return std::nullopt;
  return id_number(*id);
}

std::optional<std::string> optional_text(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

// The two status fields of each kind, from the library's status.
struct VmStatuses {
  VMStatus status;
  ResourceStatus resource;
};
VmStatuses statuses(mockcloud::VmStatus s) {
  switch (s) {
    case mockcloud::VmStatus::pending:
      return {VMStatus::pending, ResourceStatus::pending};
    case mockcloud::VmStatus::creating:
      return {VMStatus::starting, ResourceStatus::creating};
    case mockcloud::VmStatus::running:
      return {VMStatus::running, ResourceStatus::active};
    case mockcloud::VmStatus::error:
      return {VMStatus::failed, ResourceStatus::failed};
    case mockcloud::VmStatus::deleting:
      return {VMStatus::deleting, ResourceStatus::deleting};
    case mockcloud::VmStatus::deleted:
      break;
  }
  return {VMStatus::deleted, ResourceStatus::deleted};
}

struct VolumeStatuses {
  VolumeStatus status;
  ResourceStatus resource;
};
VolumeStatuses statuses(mockcloud::VolumeStatus s) {
  switch (s) {
    case mockcloud::VolumeStatus::pending:
      return {VolumeStatus::pending, ResourceStatus::pending};
    case mockcloud::VolumeStatus::creating:
      return {VolumeStatus::creating, ResourceStatus::creating};
    case mockcloud::VolumeStatus::available:
      return {VolumeStatus::available, ResourceStatus::active};
    case mockcloud::VolumeStatus::in_use:
      return {VolumeStatus::in_use, ResourceStatus::active};
    case mockcloud::VolumeStatus::error:
      return {VolumeStatus::failed, ResourceStatus::failed};
    case mockcloud::VolumeStatus::deleting:
      return {VolumeStatus::deleting, ResourceStatus::deleting};
    case mockcloud::VolumeStatus::deleted:
      break;
  }
  return {VolumeStatus::deleted, ResourceStatus::deleted};
}

}  // namespace

void Timestamp::write_json(std::string& out) const {
  char millis[24];  // 2030-01-01T00:00:00.000Z
  format_rfc3339(at, millis);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch());
  const auto sub = static_cast<int>(((us.count() % 1000) + 1000) % 1000);
  char digits[3] = {static_cast<char>('0' + sub / 100), static_cast<char>('0' + sub / 10 % 10),
                    static_cast<char>('0' + sub % 10)};
  out += '"';
  out.append(millis, 23);
  out.append(digits, 3);
  out += "Z\"";
}

std::int64_t id_number(std::string_view id) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  return ec == std::errc{} && end == id.data() + id.size() ? n : 0;
}

std::string_view status_name(EventKind kind, std::string_view library_status) {
  if (kind == EventKind::vm) {
    if (auto s = from_string<mockcloud::VmStatus>(library_status))
      return wire::enum_name<VMStatus, Dialect::spelling<VMStatus>>(statuses(*s).status);
  } else if (kind == EventKind::volume) {
    if (auto s = from_string<mockcloud::VolumeStatus>(library_status))
      return wire::enum_name<VolumeStatus, Dialect::spelling<VolumeStatus>>(statuses(*s).status);
  }
  return library_status;
}

EnvironmentResponse view(const Environment& e) {
  return {e.name,          e.cidr.to_string(), optional_text(e.description),
          id_number(e.id), {e.created_at},     updated(e.created_at, e.updated_at)};
}

SecurityGroupResponse view(const SecurityGroup& g) {
  return {g.name,         optional_text(g.description),       g.rules_text, id_number(g.id),
          {g.created_at}, updated(g.created_at, g.updated_at)};
}

VMResponse view(const Vm& v) {
  const auto [status, resource] = statuses(v.status);
  VMResponse r{v.name,
               v.instance_type,
               id_number(v.environment_id),
               std::nullopt,
               id_number(v.id),
               status,
               resource,
               std::nullopt,
               {v.created_at},
               updated(v.created_at, v.updated_at)};
  if (!v.security_group_ids.empty()) r.security_group_id = id_number(v.security_group_ids.front());
  if (v.ip_address) r.ip_address = v.ip_address->to_string();
  return r;
}

VolumeResponse view(const Volume& v) {
  const auto [status, resource] = statuses(v.status);
  return {v.name,
          v.size_gb,
          id_number(v.environment_id),
          optional_id(v.vm_id),
          id_number(v.id),
          status,
          resource,
          {v.created_at},
          updated(v.created_at, v.updated_at)};
}

EnvironmentSpec spec(const EnvironmentCreate& body) {
  return {body.name, body.network_cidr, body.description.value_or("")};
}

SecurityGroupSpec spec(const SecurityGroupCreate& body) {
  SecurityGroupSpec s;
  s.name = body.name;
  s.description = body.description.value_or("");
  s.rules_text = body.rules;
  return s;
}

VmSpec spec(const VMCreate& body) {
  VmSpec s;
  s.name = body.name;
  s.environment_id = std::to_string(body.environment_id);
  s.instance_type = body.instance_type;
  if (body.security_group_id)
    s.security_group_ids.push_back(std::to_string(*body.security_group_id));
  return s;
}

VolumeSpec spec(const VolumeCreate& body) {
  VolumeSpec s;
  s.name = body.name;
  s.environment_id = std::to_string(body.environment_id);
  s.size_gb = body.size_gb;
  if (body.vm_id) s.vm_id = std::to_string(*body.vm_id);
  return s;
}

}  // namespace mockcloud::http::original

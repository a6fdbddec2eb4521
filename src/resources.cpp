#include "mockcloud/resources.hpp"

#include <array>

namespace mockcloud {
namespace {

constexpr std::array<std::string_view, 4> kVmStatus{"creating", "running", "error", "deleting"};
constexpr std::array<std::string_view, 5> kVolumeStatus{"creating", "available", "in-use", "error",
                                                        "deleting"};
constexpr std::array<std::string_view, 5> kTaskState{"PENDING", "STARTED", "SUCCESS", "FAILURE",
                                                     "REVOKED"};
constexpr std::array<std::string_view, 4> kTaskKind{"vm.create", "vm.delete", "volume.create",
                                                    "volume.delete"};
constexpr std::array<std::string_view, 2> kDirection{"ingress", "egress"};
constexpr std::array<std::string_view, 4> kProtocol{"tcp", "udp", "icmp", "all"};
constexpr std::array<std::string_view, 2> kVolumeType{"standard", "ssd"};

template <class Enum, std::size_t N>
std::optional<Enum> lookup(const std::array<std::string_view, N>& names, std::string_view s) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == s) return static_cast<Enum>(i);
  return std::nullopt;
}

}  // namespace

std::string_view to_string(VmStatus v) noexcept {
  return kVmStatus[static_cast<int>(v)];
}
std::string_view to_string(VolumeStatus v) noexcept {
  return kVolumeStatus[static_cast<int>(v)];
}
std::string_view to_string(TaskState v) noexcept {
  return kTaskState[static_cast<int>(v)];
}
std::string_view to_string(TaskKind v) noexcept {
  return kTaskKind[static_cast<int>(v)];
}
std::string_view to_string(Direction v) noexcept {
  return kDirection[static_cast<int>(v)];
}
std::string_view to_string(Protocol v) noexcept {
  return kProtocol[static_cast<int>(v)];
}
std::string_view to_string(VolumeType v) noexcept {
  return kVolumeType[static_cast<int>(v)];
}

template <>
std::optional<VmStatus> from_string(std::string_view s) noexcept {
  return lookup<VmStatus>(kVmStatus, s);
}
template <>
std::optional<VolumeStatus> from_string(std::string_view s) noexcept {
  return lookup<VolumeStatus>(kVolumeStatus, s);
}
template <>
std::optional<TaskState> from_string(std::string_view s) noexcept {
  return lookup<TaskState>(kTaskState, s);
}
template <>
std::optional<TaskKind> from_string(std::string_view s) noexcept {
  return lookup<TaskKind>(kTaskKind, s);
}
template <>
std::optional<Direction> from_string(std::string_view s) noexcept {
  return lookup<Direction>(kDirection, s);
}
template <>
std::optional<Protocol> from_string(std::string_view s) noexcept {
  return lookup<Protocol>(kProtocol, s);
}
template <>
std::optional<VolumeType> from_string(std::string_view s) noexcept {
  return lookup<VolumeType>(kVolumeType, s);
}

}  // namespace mockcloud

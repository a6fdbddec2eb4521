// Boost.Describe declarations of the resources, specs and enums: each type's fields and
// enumerators declared once, for code that maps them generically (the HTTP JSON writer and
// reader, the OpenAPI schemas, the wire names of the enums). Header-only; the other public
// headers do not need Boost, this one does.
//
// Wire names: each enum spells its enumerators by one rule applied to the described identifier
// (Spelling): VolumeStatus `in_use` is "in-use", TaskState `success` is "SUCCESS", TaskKind
// `vm_create` is "vm.create", every other enum its identifier. to_string/from_string
// (resources.hpp) are these names. Another dialect spells with another rule:
// enum_name<E, Spelling::identity>(e).
#pragma once

#include <array>
#include <boost/describe.hpp>
#include <boost/mp11/algorithm.hpp>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "mockcloud/error.hpp"
#include "mockcloud/faults.hpp"
#include "mockcloud/model.hpp"
#include "mockcloud/resources.hpp"

namespace mockcloud {

BOOST_DESCRIBE_ENUM(VmStatus, creating, running, error, deleting, pending, deleted)
BOOST_DESCRIBE_ENUM(VolumeStatus, creating, available, in_use, error, deleting, pending, deleted)
BOOST_DESCRIBE_ENUM(TaskState, pending, started, success, failure, revoked)
BOOST_DESCRIBE_ENUM(TaskKind, vm_create, vm_delete, volume_create, volume_delete)
BOOST_DESCRIBE_ENUM(Direction, ingress, egress)
BOOST_DESCRIBE_ENUM(Protocol, tcp, udp, icmp, all)
BOOST_DESCRIBE_ENUM(VolumeType, standard, ssd)
BOOST_DESCRIBE_ENUM(ErrorKind, not_found, conflict, invalid, not_settled, cancelled)
BOOST_DESCRIBE_ENUM(IdScheme, uuid, sequential)
BOOST_DESCRIBE_ENUM(Scope, environment, cloud)
BOOST_DESCRIBE_ENUM(NameRule, strict, free_text)

// ---- resources (snapshots), in the order their fields are written ----

BOOST_DESCRIBE_STRUCT(Environment, (),
                      (id, name, cidr, description, status, created_at, updated_at))
BOOST_DESCRIBE_STRUCT(SecurityRule, (),
                      (id, direction, protocol, port_range_min, port_range_max, remote_cidr))
BOOST_DESCRIBE_STRUCT(SecurityGroup, (),
                      (id, name, environment_id, description, rules, created_at, updated_at,
                       rules_text))
BOOST_DESCRIBE_STRUCT(Vm, (),
                      (id, name, environment_id, status, progress, cpu, memory_mb, image,
                       security_group_ids, ip_address, volume_ids, error, task_id, created_at,
                       updated_at, instance_type))
BOOST_DESCRIBE_STRUCT(Volume, (),
                      (id, name, environment_id, size_gb, volume_type, status, progress, vm_id,
                       error, task_id, created_at, updated_at))
BOOST_DESCRIBE_STRUCT(Task, (), (id, kind, resource_id, state, error, created_at, eta, finished_at))
BOOST_DESCRIBE_STRUCT(Fault, (),
                      (id, operation, fail_next, route, status, rate, latency_ms, created_at))

// ---- creation specs, in the order their fields are read and validated ----

BOOST_DESCRIBE_STRUCT(EnvironmentSpec, (), (name, cidr, description))
BOOST_DESCRIBE_STRUCT(SecurityRuleSpec, (),
                      (direction, protocol, port_range_min, port_range_max, remote_cidr))
// (a member added later goes last: a journal record written before it lacks it, and reads as
// the default)
BOOST_DESCRIBE_STRUCT(SecurityGroupSpec, (), (name, environment_id, description, rules, rules_text))
BOOST_DESCRIBE_STRUCT(VmSpec, (),
                      (name, environment_id, cpu, memory_mb, image, security_group_ids,
                       instance_type))
BOOST_DESCRIBE_STRUCT(VolumeSpec, (), (name, environment_id, size_gb, volume_type, vm_id))
BOOST_DESCRIBE_STRUCT(FaultSpec, (), (operation, fail_next, route, status, rate, latency_ms))
BOOST_DESCRIBE_STRUCT(CloudModel, (),
                      (ids, keep_deleted, security_groups, names, name_rule, pending_stage))

namespace wire {

/// How an enumerator's identifier becomes its name on the wire.
enum class Spelling : unsigned char {
  identity,  // in_use
  upper,     // SUCCESS
  dashes,    // in-use: '_' becomes '-'
  dots,      // vm.create: '_' becomes '.'
};

/// The library's spelling of each enum (to_string/from_string): identity unless said here.
template <class E>
inline constexpr Spelling spelling = Spelling::identity;
template <>
inline constexpr Spelling spelling<VolumeStatus> = Spelling::dashes;
template <>
inline constexpr Spelling spelling<TaskState> = Spelling::upper;
template <>
inline constexpr Spelling spelling<TaskKind> = Spelling::dots;

// For the generic mappers of described types (the HTTP JSON, the journal codec, the printers of
// mockcloud/testing.hpp): what a member's type is made of.
template <class T>
inline constexpr bool is_described = boost::describe::has_describe_members<T>::value;
template <class T>
inline constexpr bool is_optional = false;
template <class T>
inline constexpr bool is_optional<std::optional<T>> = true;
template <class T>
inline constexpr bool is_vector = false;
template <class T, class A>
inline constexpr bool is_vector<std::vector<T, A>> = true;

/// A name spelled at compile time (identifiers here are short).
struct Name {
  char text[24]{};
  std::size_t size = 0;
  constexpr std::string_view view() const noexcept { return {text, size}; }
};

constexpr Name spell(const char* identifier, Spelling s) {
  Name n;
  for (; identifier[n.size] != '\0'; ++n.size) {
    char c = identifier[n.size];
    if (s == Spelling::upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == '_' && s == Spelling::dashes) c = '-';
    if (c == '_' && s == Spelling::dots) c = '.';
    n.text[n.size] = c;  // an identifier over 23 characters does not compile (out of bounds)
  }
  return n;
}

namespace detail {
template <class E>
using enumerators = boost::describe::describe_enumerators<E>;

template <class E, std::size_t... I>
constexpr std::array<E, sizeof...(I)> values_of(std::index_sequence<I...>) {
  return {boost::mp11::mp_at_c<enumerators<E>, I>::value...};
}
template <class E, Spelling S, std::size_t... I>
constexpr std::array<Name, sizeof...(I)> names_of(std::index_sequence<I...>) {
  return {spell(boost::mp11::mp_at_c<enumerators<E>, I>::name, S)...};
}
template <class E>
using indices = std::make_index_sequence<boost::mp11::mp_size<enumerators<E>>::value>;
}  // namespace detail

/// Every enumerator of E, in declaration order.
template <class E>
inline constexpr auto enum_values = detail::values_of<E>(detail::indices<E>{});

/// The wire names of E's enumerators, in declaration order.
template <class E, Spelling S = spelling<E>>
inline constexpr auto enum_names = detail::names_of<E, S>(detail::indices<E>{});

/// How many of E's enumerators, the first ones, this project's own cloud model uses: the
/// others (a VmStatus or VolumeStatus `pending` or `deleted`) only occur under a CloudModel that
/// asks for them (model.hpp), and the default dialect neither lists nor accepts them.
template <class E>
inline constexpr std::size_t default_model_enumerators = enum_values<E>.size();
template <>
inline constexpr std::size_t default_model_enumerators<VmStatus> = 4;
template <>
inline constexpr std::size_t default_model_enumerators<VolumeStatus> = 5;

template <class E, Spelling S = spelling<E>>
constexpr std::string_view enum_name(E e) noexcept {
  for (std::size_t i = 0; i < enum_values<E>.size(); ++i)
    if (enum_values<E>[i] == e) return enum_names<E, S>[i].view();
  return {};
}

template <class E, Spelling S = spelling<E>>
constexpr std::optional<E> enum_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < enum_values<E>.size(); ++i)
    if (enum_names<E, S>[i].view() == name) return enum_values<E>[i];
  return std::nullopt;
}

}  // namespace wire
}  // namespace mockcloud

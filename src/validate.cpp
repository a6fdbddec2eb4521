#include "validate.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace mockcloud::detail {
namespace {

constexpr std::string_view kNamePattern = "^[A-Za-z0-9][A-Za-z0-9._-]*$";

// A field path, built into a vector only when a check fails (valid input allocates nothing).
struct Loc {
  Loc() = default;
  Loc(const char* f) : field(f) {}  // NOLINT: implicit, for {"name"}
  Loc(std::string_view f, std::size_t i, std::string_view m) : field(f), index(i), member(m) {}
  std::string_view field;
  std::optional<std::size_t> index;
  std::string_view member;
  std::vector<PathElement> path() const {
    std::vector<PathElement> p;
    if (!field.empty()) p.emplace_back(std::string(field));
    if (index) p.emplace_back(*index);
    if (!member.empty()) p.emplace_back(std::string(member));
    return p;
  }
};

void add(std::vector<FieldError>& out, const Loc& loc, std::string msg, std::string type) {
  out.push_back({loc.path(), std::move(msg), std::move(type)});
}

void check_length(std::vector<FieldError>& out, const Loc& loc, std::string_view v, std::size_t min,
                  std::size_t max);

/// How many characters (code points) UTF-8 text holds: its bytes but the continuation bytes.
std::size_t characters(std::string_view v) {
  return static_cast<std::size_t>(std::count_if(
      v.begin(), v.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

void check_name(std::vector<FieldError>& out, const Loc& loc, std::string_view v, NameRule rule) {
  if (rule == NameRule::free_text) {
    // Characters of any kind, counted as characters: a name of 100 accented letters fits.
    const std::size_t n = characters(v);
    if (n < 1) return add(out, loc, "String should have at least 1 character", "string_too_short");
    if (n > 100) add(out, loc, "String should have at most 100 characters", "string_too_long");
    return;
  }
  if (v.empty())
    return add(out, loc, "String should have at least 1 character", "string_too_short");
  if (v.size() > 63)
    return add(out, loc, "String should have at most 63 characters", "string_too_long");
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  bool ok = alnum(v[0]);
  for (char c : v.substr(1))
    ok = ok && (alnum(c) || c == '.' || c == '_' || c == '-');
  if (!ok)
    add(out, loc, fmt::format("String should match pattern '{}'", kNamePattern),
        "string_pattern_mismatch");
}

void check_range(std::vector<FieldError>& out, const Loc& loc, std::int64_t v, std::int64_t min,
                 std::int64_t max) {
  if (v < min)
    add(out, loc, fmt::format("Input should be greater than or equal to {}", min),
        "greater_than_equal");
  else if (v > max)
    add(out, loc, fmt::format("Input should be less than or equal to {}", max), "less_than_equal");
}

void check_length(std::vector<FieldError>& out, const Loc& loc, std::string_view v, std::size_t min,
                  std::size_t max) {
  if (v.size() < min)
    add(out, loc,
        fmt::format("String should have at least {} character{}", min, min == 1 ? "" : "s"),
        "string_too_short");
  else if (v.size() > max)
    add(out, loc, fmt::format("String should have at most {} characters", max), "string_too_long");
}

}  // namespace

bool is_allowed_environment_cidr(const Cidr& c) {
  static const Cidr allowed[] = {
      {Ipv4Address{0x0a000000}, 8}, {Ipv4Address{0xac100000}, 12}, {Ipv4Address{0xc0a80000}, 16}};
  if (c.prefix() < 16 || c.prefix() > 28) return false;
  for (const auto& a : allowed)
    if (a.contains(c)) return true;
  return false;
}

std::vector<FieldError> validate_spec(const EnvironmentSpec& s, const CloudModel& m) {
  std::vector<FieldError> out;
  check_name(out, {"name"}, s.name, m.name_rule);
  auto cidr = Cidr::parse(s.cidr);
  if (!cidr)
    add(out, {"cidr"},
        "Value error, cidr must be an IPv4 network such as 10.0.0.0/16, with the host bits zero",
        "value_error");
  else if (!is_allowed_environment_cidr(*cidr))
    add(out, {"cidr"},
        "Value error, cidr must have a prefix from /16 to /28 and lie inside 10.0.0.0/8, "
        "172.16.0.0/12 or 192.168.0.0/16",
        "value_error");
  return out;
}

std::vector<FieldError> validate_spec(const SecurityGroupSpec& s, const CloudModel& m) {
  std::vector<FieldError> out;
  check_name(out, {"name"}, s.name, m.name_rule);
  if (m.security_groups == Scope::cloud && !s.environment_id.empty())
    add(out, {"environment_id"},
        "Value error, security groups belong to no environment in this cloud: leave "
        "environment_id out",
        "value_error");
  if (s.rules_text && s.rules_text->size() > 65536)
    add(out, {"rules_text"}, "String should have at most 65536 characters", "string_too_long");
  for (std::size_t i = 0; i < s.rules.size(); ++i) {
    const auto& r = s.rules[i];
    auto loc = [i](const char* field) { return Loc{"rules", i, field}; };
    const bool ported = r.protocol == Protocol::tcp || r.protocol == Protocol::udp;
    if (!ported && (r.port_range_min || r.port_range_max)) {
      add(out, loc(r.port_range_min ? "port_range_min" : "port_range_max"),
          "Value error, ports are only allowed for the tcp and udp protocols", "value_error");
    } else if (ported) {
      if (r.port_range_min) check_range(out, loc("port_range_min"), *r.port_range_min, 1, 65535);
      if (r.port_range_max) check_range(out, loc("port_range_max"), *r.port_range_max, 1, 65535);
      if (r.port_range_min.has_value() != r.port_range_max.has_value())
        add(out, loc(r.port_range_min ? "port_range_max" : "port_range_min"),
            "Value error, port_range_min and port_range_max go together", "value_error");
      else if (r.port_range_min && *r.port_range_min > *r.port_range_max)
        add(out, loc("port_range_max"),
            "Value error, port_range_max must be greater than or equal to port_range_min",
            "value_error");
    }
    if (!Cidr::parse(r.remote_cidr))
      add(out, loc("remote_cidr"),
          "Value error, remote_cidr must be an IPv4 network such as 0.0.0.0/0, with the host "
          "bits zero",
          "value_error");
  }
  return out;
}

std::vector<FieldError> validate_spec(const VmSpec& s, const CloudModel& m) {
  std::vector<FieldError> out;
  check_name(out, {"name"}, s.name, m.name_rule);
  check_range(out, {"cpu"}, s.cpu, 1, 64);
  check_range(out, {"memory_mb"}, s.memory_mb, 128, 1048576);
  check_length(out, {"image"}, s.image, 1, 128);
  check_length(out, {"instance_type"}, s.instance_type, 0, 50);
  return out;
}

std::vector<FieldError> validate_spec(const VolumeSpec& s, const CloudModel& m) {
  std::vector<FieldError> out;
  check_name(out, {"name"}, s.name, m.name_rule);
  check_range(out, {"size_gb"}, s.size_gb, 1, 16384);
  return out;
}

std::string normalize_route(std::string_view route) {
  auto space = route.find(' ');
  if (space == std::string_view::npos) return {};
  std::string out;
  for (char c : route.substr(0, space))
    out += (c >= 'a' && c <= 'z') ? char(c - 32) : c;
  auto path = route.substr(space + 1);
  while (path.size() > 1 && path.back() == '/')
    path.remove_suffix(1);
  out += ' ';
  out += path;
  return out;
}

std::vector<FieldError> validate_spec(const FaultSpec& s) {
  std::vector<FieldError> out;
  const int shapes = s.operation.has_value() + s.route.has_value() +
                     (s.latency_ms.has_value() && !s.route && !s.operation);
  if (shapes != 1) {
    add(out, {},
        "Value error, give exactly one of: operation (with fail_next), route (with "
        "status and rate), latency_ms",
        "value_error");
    return out;
  }
  if (s.operation) {
    if (!s.fail_next)
      add(out, {"fail_next"}, "Field required", "missing");
    else
      check_range(out, {"fail_next"}, *s.fail_next, 1, 1'000'000);
    if (s.status) add(out, {"status"}, "Value error, status goes with route", "value_error");
    if (s.rate) add(out, {"rate"}, "Value error, rate goes with route", "value_error");
    if (s.latency_ms)
      add(out, {"latency_ms"}, "Value error, latency_ms stands alone", "value_error");
  } else if (s.route) {
    auto norm = normalize_route(*s.route);
    if (norm.empty() || norm.find(" /") == std::string::npos)
      add(out, {"route"}, "Value error, route must look like 'POST /api/v1/vms'", "value_error");
    if (!s.status)
      add(out, {"status"}, "Field required", "missing");
    else
      check_range(out, {"status"}, *s.status, 400, 599);
    if (s.rate && !(*s.rate >= 0.0 && *s.rate <= 1.0))
      add(out, {"rate"}, "Input should be between 0 and 1", "value_error");
    if (s.fail_next)
      add(out, {"fail_next"}, "Value error, fail_next goes with operation", "value_error");
    if (s.latency_ms)
      add(out, {"latency_ms"}, "Value error, latency_ms stands alone", "value_error");
  } else {
    check_range(out, {"latency_ms"}, *s.latency_ms, 0, 60'000);
    if (s.fail_next)
      add(out, {"fail_next"}, "Value error, fail_next goes with operation", "value_error");
    if (s.status) add(out, {"status"}, "Value error, status goes with route", "value_error");
    if (s.rate) add(out, {"rate"}, "Value error, rate goes with route", "value_error");
  }
  return out;
}

}  // namespace mockcloud::detail

namespace mockcloud {

std::vector<FieldError> validate(const EnvironmentSpec& s, const CloudModel& m) {
  return detail::validate_spec(s, m);
}
std::vector<FieldError> validate(const SecurityGroupSpec& s, const CloudModel& m) {
  return detail::validate_spec(s, m);
}
std::vector<FieldError> validate(const VmSpec& s, const CloudModel& m) {
  return detail::validate_spec(s, m);
}
std::vector<FieldError> validate(const VolumeSpec& s, const CloudModel& m) {
  return detail::validate_spec(s, m);
}
std::vector<FieldError> validate(const FaultSpec& s) {
  return detail::validate_spec(s);
}

}  // namespace mockcloud

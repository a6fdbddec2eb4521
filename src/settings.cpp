#include "mockcloud/settings.hpp"

#include <array>
#include <cmath>

#include <fmt/format.h>

namespace mockcloud {
namespace {

// Long enough for any test; short enough that due times stay far from overflow.
constexpr double kMaxSeconds = 30.0 * 24 * 3600;

constexpr std::array<SettingField, 10> kFields{{
    {"worker_failure_rate", &Settings::worker_failure_rate, 0.0, 1.0, false, {}},
    {"vm_creation_time_min", &Settings::vm_creation_time_min, 0.0, kMaxSeconds, false,
     "vm_creation_time_max"},
    {"vm_creation_time_max", &Settings::vm_creation_time_max, 0.0, kMaxSeconds, false, {}},
    {"volume_creation_time_min", &Settings::volume_creation_time_min, 0.0, kMaxSeconds, false,
     "volume_creation_time_max"},
    {"volume_creation_time_max", &Settings::volume_creation_time_max, 0.0, kMaxSeconds, false, {}},
    {"vm_deletion_time_min", &Settings::vm_deletion_time_min, 0.0, kMaxSeconds, false,
     "vm_deletion_time_max"},
    {"vm_deletion_time_max", &Settings::vm_deletion_time_max, 0.0, kMaxSeconds, false, {}},
    {"volume_deletion_time_min", &Settings::volume_deletion_time_min, 0.0, kMaxSeconds, false,
     "volume_deletion_time_max"},
    {"volume_deletion_time_max", &Settings::volume_deletion_time_max, 0.0, kMaxSeconds, false, {}},
    {"time_scale", &Settings::time_scale, 0.0, 1000.0, true, {}},
}};

}  // namespace

std::span<const SettingField> setting_fields() noexcept {
  return kFields;
}

const SettingField* find_setting(std::string_view name) noexcept {
  for (const auto& f : kFields)
    if (f.name == name) return &f;
  return nullptr;
}

std::vector<FieldError> validate(const Settings& s) {
  std::vector<FieldError> errors;
  for (const auto& f : kFields) {
    const double v = s.*f.member;
    auto fail = [&](std::string msg, std::string type) {
      errors.push_back({{std::string(f.name)}, std::move(msg), std::move(type)});
    };
    if (!std::isfinite(v)) {
      fail("Input should be a finite number", "finite_number");
    } else if (f.min_exclusive ? v <= f.min : v < f.min) {
      fail(fmt::format("Input should be greater than {}{}", f.min_exclusive ? "" : "or equal to ",
                       f.min),
           f.min_exclusive ? "greater_than" : "greater_than_equal");
    } else if (v > f.max) {
      fail(fmt::format("Input should be less than or equal to {}", f.max), "less_than_equal");
    } else if (!f.paired_max.empty()) {
      const double max = s.*find_setting(f.paired_max)->member;
      if (std::isfinite(max) && v > max)
        fail(fmt::format("{} ({}) must not exceed {} ({})", f.name, v, f.paired_max, max),
             "value_error");
    }
  }
  return errors;
}

}  // namespace mockcloud

// Runtime settings of the simulated cloud (docs/http-api.md's `/_mock/config`), validated as a
// whole.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mockcloud/error.hpp"

namespace mockcloud {

struct Settings {
  double worker_failure_rate = 0.1;  // 0..1, chance that a creation fails
  double vm_creation_time_min = 30, vm_creation_time_max = 60;  // seconds
  double volume_creation_time_min = 30, volume_creation_time_max = 60;
  double vm_deletion_time_min = 5, vm_deletion_time_max = 10;
  double volume_deletion_time_min = 2, volume_deletion_time_max = 5;
  double time_scale = 1.0;  // system clock only: every simulated duration is multiplied by it
  friend bool operator==(const Settings&, const Settings&) = default;
};

/// Describes one setting: its wire name, where it lives, and its allowed range.
struct SettingField {
  std::string_view name;
  double Settings::*member;
  double min, max;
  bool min_exclusive;           // time_scale must be > 0
  std::string_view paired_max;  // for a *_min field: the *_max it must not exceed
};
/// Every runtime setting, in the order of docs/http-api.md.
std::span<const SettingField> setting_fields() noexcept;
const SettingField* find_setting(std::string_view name) noexcept;

/// Every problem of `s` (ranges, non-finite numbers, a min above its max), with the field's name
/// as its path. Empty when valid.
std::vector<FieldError> validate(const Settings& s);

/// A subset of settings to change: (name, value) pairs.
struct SettingsPatch {
  std::vector<std::pair<std::string, double>> values;
};

}  // namespace mockcloud

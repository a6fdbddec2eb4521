// The rules a creation spec must satisfy on its own (names, ranges, CIDRs, rules' ports and
// protocols), checked without touching any state: every problem with its field path. The
// ResourceManager's create calls apply the same rules before looking at what exists.
#pragma once

#include <vector>

#include "mockcloud/error.hpp"
#include "mockcloud/faults.hpp"
#include "mockcloud/model.hpp"
#include "mockcloud/resources.hpp"

namespace mockcloud {

/// Under `model`'s name rule (and, for a security group, its scope).
std::vector<FieldError> validate(const EnvironmentSpec& spec, const CloudModel& model = {});
std::vector<FieldError> validate(const SecurityGroupSpec& spec, const CloudModel& model = {});
std::vector<FieldError> validate(const VmSpec& spec, const CloudModel& model = {});
std::vector<FieldError> validate(const VolumeSpec& spec, const CloudModel& model = {});
std::vector<FieldError> validate(const FaultSpec& spec);

}  // namespace mockcloud

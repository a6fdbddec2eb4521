// Validation of creation specs: every problem with its field path, pydantic's vocabulary.
#pragma once

#include <vector>

#include "mockcloud/error.hpp"
#include "mockcloud/faults.hpp"
#include "mockcloud/resources.hpp"
#include "mockcloud/validate.hpp"

namespace mockcloud::detail {

/// "POST /api/v1/vms/" → "POST /api/v1/vms": upper-case method, one space, no trailing slash.
std::string normalize_route(std::string_view route);

/// The networks an environment may use: inside 10/8, 172.16/12 or 192.168/16, prefix 16..28.
bool is_allowed_environment_cidr(const Cidr& c);

}  // namespace mockcloud::detail

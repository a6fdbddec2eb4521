// The wire names of the enums, derived from their declarations (describe.hpp).
#include "mockcloud/resources.hpp"

#include "mockcloud/describe.hpp"

namespace mockcloud {

#define MOCKCLOUD_WIRE_NAMES(Enum)                               \
  std::string_view to_string(Enum v) noexcept {                  \
    return wire::enum_name(v);                                   \
  }                                                              \
  template <>                                                    \
  std::optional<Enum> from_string(std::string_view s) noexcept { \
    return wire::enum_from_name<Enum>(s);                        \
  }

MOCKCLOUD_WIRE_NAMES(VmStatus)
MOCKCLOUD_WIRE_NAMES(VolumeStatus)
MOCKCLOUD_WIRE_NAMES(TaskState)
MOCKCLOUD_WIRE_NAMES(TaskKind)
MOCKCLOUD_WIRE_NAMES(Direction)
MOCKCLOUD_WIRE_NAMES(Protocol)
MOCKCLOUD_WIRE_NAMES(VolumeType)

#undef MOCKCLOUD_WIRE_NAMES

}  // namespace mockcloud

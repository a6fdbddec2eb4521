// TEMPORARY (replaced by the declarations header of the describe branch).
#pragma once
#include <boost/describe/class.hpp>

#include "mockcloud/faults.hpp"
#include "mockcloud/resources.hpp"

namespace mockcloud {
BOOST_DESCRIBE_STRUCT(EnvironmentSpec, (), (name, cidr, description))
BOOST_DESCRIBE_STRUCT(SecurityRuleSpec, (),
                      (direction, protocol, port_range_min, port_range_max, remote_cidr))
BOOST_DESCRIBE_STRUCT(SecurityGroupSpec, (), (name, environment_id, description, rules))
BOOST_DESCRIBE_STRUCT(VmSpec, (), (name, environment_id, cpu, memory_mb, image, security_group_ids))
BOOST_DESCRIBE_STRUCT(VolumeSpec, (), (name, environment_id, size_gb, volume_type))
BOOST_DESCRIBE_STRUCT(Fault, (),
                      (id, operation, fail_next, route, status, rate, latency_ms, created_at))
}  // namespace mockcloud

// The journal of outcomes: what each change to the cloud decided (ids, due times, draws, IPs,
// results), one described struct per kind of record. The manager applies the same struct live
// and on replay, so loading a journal draws nothing and validates nothing again: the state it
// rebuilds is the state that was acknowledged, whatever later versions change in the rules.
// Bodies are encoded member by member from the Boost.Describe declarations (journal_codec.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/describe/class.hpp>

#include "mockcloud/describe.hpp"
#include "mockcloud/faults.hpp"
#include "mockcloud/random.hpp"
#include "mockcloud/resources.hpp"
#include "mockcloud/settings.hpp"
#include "mockcloud/store.hpp"

namespace mockcloud::detail {

// The version of the record format below is kJournalFormat (store.hpp); loading a journal of
// format 1 replays its commands (journal_v1.cpp) and rewrites it in this format.

/// What starting a task decided.
struct TaskStart {
  Uuid task;
  TimePoint eta;
  double draw = 0;              // uniform [0,1): a step that may fail fails below the failure rate
  std::uint64_t preferred = 0;  // the preferred host offset (VM creations)
  bool forced_failure = false;  // a fail_next fault was spent on it
};
BOOST_DESCRIBE_STRUCT(TaskStart, (), (task, eta, draw, preferred, forced_failure))

struct Reset {
  static constexpr std::string_view kind = "reset";
  std::uint64_t seed = 0;
  Settings settings;
  CloudModel model;  // what the journal was written under (a later member: default if absent)
};
BOOST_DESCRIBE_STRUCT(Reset, (), (seed, settings, model))

struct SettingsChanged {
  static constexpr std::string_view kind = "settings";
  Settings settings;
};
BOOST_DESCRIBE_STRUCT(SettingsChanged, (), (settings))

/// The virtual clock moved: only the record's time matters.
struct ClockMoved {
  static constexpr std::string_view kind = "clock";
};
BOOST_DESCRIBE_STRUCT(ClockMoved, (), ())

struct EnvironmentCreated {
  static constexpr std::string_view kind = "environment.created";
  Uuid id;
  EnvironmentSpec spec;
};
BOOST_DESCRIBE_STRUCT(EnvironmentCreated, (), (id, spec))

struct EnvironmentDeleted {
  static constexpr std::string_view kind = "environment.deleted";
  Uuid id;
};
BOOST_DESCRIBE_STRUCT(EnvironmentDeleted, (), (id))

struct SecurityGroupCreated {
  static constexpr std::string_view kind = "security_group.created";
  Uuid id;
  std::vector<Uuid> rule_ids;
  SecurityGroupSpec spec;
};
BOOST_DESCRIBE_STRUCT(SecurityGroupCreated, (), (id, rule_ids, spec))

struct SecurityGroupDeleted {
  static constexpr std::string_view kind = "security_group.deleted";
  Uuid id;
};
BOOST_DESCRIBE_STRUCT(SecurityGroupDeleted, (), (id))

struct VmCreated {
  static constexpr std::string_view kind = "vm.created";
  Uuid id;
  TaskStart start;
  VmSpec spec;
};
BOOST_DESCRIBE_STRUCT(VmCreated, (), (id, start, spec))

struct VolumeCreated {
  static constexpr std::string_view kind = "volume.created";
  Uuid id;
  TaskStart start;
  VolumeSpec spec;
};
BOOST_DESCRIBE_STRUCT(VolumeCreated, (), (id, start, spec))

/// A VM's or a volume's deletion started (revoking its creation if it was still creating).
struct DeletionStarted {
  static constexpr std::string_view kind = "deletion.started";
  TaskKind task_kind = TaskKind::vm_delete;
  Uuid id;
  TaskStart start;
};
BOOST_DESCRIBE_STRUCT(DeletionStarted, (), (task_kind, id, start))

/// A task's step ended: its result, and the IP the VM took.
struct TaskCompleted {
  static constexpr std::string_view kind = "task.completed";
  Uuid task;
  bool ok = false;
  std::uint32_t ip = 0;
  std::string error;
};
BOOST_DESCRIBE_STRUCT(TaskCompleted, (), (task, ok, ip, error))

/// A queued creation was picked up by a worker (CloudModel::pending_stage).
struct TaskPickedUp {
  static constexpr std::string_view kind = "task.picked_up";
  Uuid task;
};
BOOST_DESCRIBE_STRUCT(TaskPickedUp, (), (task))

struct VolumeAttached {
  static constexpr std::string_view kind = "volume.attached";
  Uuid volume, vm;
};
BOOST_DESCRIBE_STRUCT(VolumeAttached, (), (volume, vm))

struct VolumeDetached {
  static constexpr std::string_view kind = "volume.detached";
  Uuid volume;
};
BOOST_DESCRIBE_STRUCT(VolumeDetached, (), (volume))

struct FaultAdded {
  static constexpr std::string_view kind = "fault.added";
  Fault fault;
};
BOOST_DESCRIBE_STRUCT(FaultAdded, (), (fault))

struct FaultRemoved {
  static constexpr std::string_view kind = "fault.removed";
  std::string id;
};
BOOST_DESCRIBE_STRUCT(FaultRemoved, (), (id))

struct FaultsCleared {
  static constexpr std::string_view kind = "faults.cleared";
};
BOOST_DESCRIBE_STRUCT(FaultsCleared, (), ())

}  // namespace mockcloud::detail

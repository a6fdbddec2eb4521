// Wire names of the enums and their inverses, and the declarations they come from.
#include "mockcloud/describe.hpp"
#include "test_support.hpp"

using namespace mockcloud;

namespace {
template <class E>
void round_trip(std::initializer_list<std::pair<E, const char*>> table) {
  // The table lists every described enumerator, in declaration order.
  REQUIRE(table.size() == wire::enum_values<E>.size());
  std::size_t i = 0;
  for (auto [value, name] : table) {
    CAPTURE(name);
    CHECK(wire::enum_values<E>[i++] == value);
    CHECK(to_string(value) == name);
    auto back = from_string<E>(name);
    REQUIRE(back.has_value());
    CHECK(*back == value);
  }
}

template <class E>
void every_enumerator_round_trips() {
  for (E value : wire::enum_values<E>) {
    CAPTURE(static_cast<int>(value));
    CHECK_FALSE(to_string(value).empty());
    CHECK(from_string<E>(to_string(value)) == value);
    CHECK(wire::enum_from_name<E, wire::Spelling::identity>(
              wire::enum_name<E, wire::Spelling::identity>(value)) == value);
  }
}

template <class T>
std::vector<std::string> member_names() {
  std::vector<std::string> names;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
      [&](auto m) { names.emplace_back(m.name); });
  return names;
}
}  // namespace

TEST_SUITE("resources") {
  TEST_CASE("wire names round-trip") {
    round_trip<VmStatus>({{VmStatus::creating, "creating"},
                          {VmStatus::running, "running"},
                          {VmStatus::error, "error"},
                          {VmStatus::deleting, "deleting"},
                          {VmStatus::pending, "pending"},
                          {VmStatus::deleted, "deleted"}});
    round_trip<VolumeStatus>({{VolumeStatus::creating, "creating"},
                              {VolumeStatus::available, "available"},
                              {VolumeStatus::in_use, "in-use"},
                              {VolumeStatus::error, "error"},
                              {VolumeStatus::deleting, "deleting"},
                              {VolumeStatus::pending, "pending"},
                              {VolumeStatus::deleted, "deleted"}});
    round_trip<TaskState>({{TaskState::pending, "PENDING"},
                           {TaskState::started, "STARTED"},
                           {TaskState::success, "SUCCESS"},
                           {TaskState::failure, "FAILURE"},
                           {TaskState::revoked, "REVOKED"}});
    round_trip<TaskKind>({{TaskKind::vm_create, "vm.create"},
                          {TaskKind::vm_delete, "vm.delete"},
                          {TaskKind::volume_create, "volume.create"},
                          {TaskKind::volume_delete, "volume.delete"}});
    round_trip<Direction>({{Direction::ingress, "ingress"}, {Direction::egress, "egress"}});
    round_trip<Protocol>({{Protocol::tcp, "tcp"},
                          {Protocol::udp, "udp"},
                          {Protocol::icmp, "icmp"},
                          {Protocol::all, "all"}});
    round_trip<VolumeType>({{VolumeType::standard, "standard"}, {VolumeType::ssd, "ssd"}});
  }

  TEST_CASE("every described enumerator round-trips, in every spelling") {
    every_enumerator_round_trips<VmStatus>();
    every_enumerator_round_trips<VolumeStatus>();
    every_enumerator_round_trips<TaskState>();
    every_enumerator_round_trips<TaskKind>();
    every_enumerator_round_trips<Direction>();
    every_enumerator_round_trips<Protocol>();
    every_enumerator_round_trips<VolumeType>();
    CHECK(wire::enum_name<VolumeStatus, wire::Spelling::identity>(VolumeStatus::in_use) ==
          "in_use");
    CHECK(wire::enum_name<TaskKind, wire::Spelling::identity>(TaskKind::vm_create) == "vm_create");
    static_assert(wire::enum_name(TaskState::revoked) == "REVOKED");  // a constant expression
  }

  TEST_CASE("the described fields of a resource, in order") {
    CHECK(member_names<Task>() == std::vector<std::string>{"id", "kind", "resource_id", "state",
                                                           "error", "created_at", "eta",
                                                           "finished_at"});
    CHECK(member_names<VolumeSpec>() ==
          std::vector<std::string>{"name", "environment_id", "size_gb", "volume_type", "vm_id"});
    CHECK(member_names<Vm>().size() == 16u);
    CHECK(member_names<CloudModel>() == std::vector<std::string>{"ids", "keep_deleted",
                                                                 "security_groups", "names",
                                                                 "name_rule", "pending_stage"});
  }

  TEST_CASE("unknown wire names give nullopt") {
    CHECK_FALSE(from_string<VmStatus>("Running").has_value());
    CHECK_FALSE(from_string<VmStatus>("").has_value());
    CHECK_FALSE(from_string<VolumeStatus>("in_use").has_value());
    CHECK_FALSE(from_string<TaskState>("started").has_value());
    CHECK_FALSE(from_string<TaskKind>("vm_create").has_value());
    CHECK_FALSE(from_string<Direction>("both").has_value());
    CHECK_FALSE(from_string<Protocol>("TCP").has_value());
    CHECK_FALSE(from_string<VolumeType>("hdd").has_value());
    CHECK_FALSE(from_string<VolumeType>("ssd ").has_value());
  }

  TEST_CASE("Task::settled") {
    Task t;
    for (auto [s, settled] : {std::pair{TaskState::pending, false},
                              {TaskState::started, false},
                              {TaskState::success, true},
                              {TaskState::failure, true},
                              {TaskState::revoked, true}}) {
      t.state = s;
      CHECK(t.settled() == settled);
    }
  }
}

// Wire names of the enums and their inverses.
#include "test_support.hpp"

using namespace mockcloud;

namespace {
template <class E>
void round_trip(std::initializer_list<std::pair<E, const char*>> table) {
  for (auto [value, name] : table) {
    CAPTURE(name);
    CHECK(to_string(value) == name);
    auto back = from_string<E>(name);
    REQUIRE(back.has_value());
    CHECK(*back == value);
  }
}
}  // namespace

TEST_SUITE("resources") {
  TEST_CASE("wire names round-trip") {
    round_trip<VmStatus>({{VmStatus::creating, "creating"},
                          {VmStatus::running, "running"},
                          {VmStatus::error, "error"},
                          {VmStatus::deleting, "deleting"}});
    round_trip<VolumeStatus>({{VolumeStatus::creating, "creating"},
                              {VolumeStatus::available, "available"},
                              {VolumeStatus::in_use, "in-use"},
                              {VolumeStatus::error, "error"},
                              {VolumeStatus::deleting, "deleting"}});
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

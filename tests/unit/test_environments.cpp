// Environments: creation with defaults, name and CIDR rules, uniqueness, get/delete, and the
// conflict while anything lives in one.
#include "test_support.hpp"

using mctest::loc;
using mockcloud::EnvironmentSpec;
using mockcloud::ErrorKind;

namespace {
EnvironmentSpec spec(std::string name, std::string cidr = "10.0.0.0/16") {
  EnvironmentSpec s;
  s.name = std::move(name);
  s.cidr = std::move(cidr);
  return s;
}
}  // namespace

TEST_SUITE("environments") {
  TEST_CASE("create with defaults") {
    mctest::VirtualCloud vc;
    mockcloud::EnvironmentSpec s;
    s.name = "dev";
    CHECK(s.cidr == "10.0.0.0/16");
    auto r = vc.cloud.create_environment(s);
    REQUIRE_MESSAGE(r.has_value(), mctest::describe(r.error()));
    const auto& e = *r;
    CHECK(mctest::is_uuid_v4(e.id));
    CHECK(e.name == "dev");
    CHECK(e.cidr.to_string() == "10.0.0.0/16");
    CHECK(e.description == "");
    CHECK(e.status == "active");
    CHECK(e.created_at == vc.clock.now());
    CHECK(e.updated_at == e.created_at);

    auto got = vc.cloud.get_environment(e.id);
    REQUIRE(got.has_value());
    CHECK(got->id == e.id);
    CHECK(got->name == "dev");
    CHECK(got->cidr == e.cidr);
    CHECK(vc.cloud.counts().environments == 1u);
  }

  TEST_CASE("description and cidr are kept; timestamps come from the clock") {
    mctest::VirtualCloud vc;
    vc.clock.advance(90s);
    auto r = vc.cloud.create_environment(
        {.name = "prod", .cidr = "192.168.4.0/24", .description = "the real thing"});
    REQUIRE(r.has_value());
    CHECK(r->cidr.to_string() == "192.168.4.0/24");
    CHECK(r->description == "the real thing");
    CHECK(mockcloud::format_rfc3339(r->created_at) == "2030-01-01T00:01:30.000Z");
  }

  TEST_CASE("names: 1..63 characters of [A-Za-z0-9][A-Za-z0-9._-]*") {
    mctest::VirtualCloud vc;
    int n = 0;
    for (const std::string& good :
         std::vector<std::string>{"a", "Z", "0", "a.b_c-D9", "9-lives", "x..y",
                                  std::string(63, 'n'), "A" + std::string(62, '-')}) {
      CAPTURE(good);
      auto r = vc.cloud.create_environment(spec(good));
      CHECK_MESSAGE(r.has_value(), (r ? "" : mctest::describe(r.error())));
      ++n;
    }
    CHECK(vc.cloud.counts().environments == static_cast<std::size_t>(n));

    struct Bad {
      std::string name, type;
    };
    for (const Bad& bad :
         {Bad{"", "string_too_short"}, Bad{std::string(64, 'n'), "string_too_long"},
          Bad{".dot", "string_pattern_mismatch"}, Bad{"-dash", "string_pattern_mismatch"},
          Bad{"_under", "string_pattern_mismatch"}, Bad{"has space", "string_pattern_mismatch"},
          Bad{"slash/name", "string_pattern_mismatch"},
          Bad{"colon:name", "string_pattern_mismatch"}, Bad{"tab\tname", "string_pattern_mismatch"},
          Bad{"trailing\n", "string_pattern_mismatch"},
          Bad{"caf\xc3\xa9", "string_pattern_mismatch"},
          Bad{std::string("nul\0x", 5), "string_pattern_mismatch"}}) {
      CAPTURE(bad.name);
      auto r = vc.cloud.create_environment(spec(bad.name));
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::invalid);
      REQUIRE(r.error().fields.size() == 1u);
      CHECK(r.error().fields[0].loc == loc("name"));
      CHECK(r.error().fields[0].type == bad.type);
      CHECK_FALSE(r.error().fields[0].msg.empty());
    }
    CHECK(vc.cloud.counts().environments == static_cast<std::size_t>(n));
  }

  TEST_CASE("cidr: /16../28 inside 10/8, 172.16/12 or 192.168/16, host bits zero") {
    mctest::VirtualCloud vc;
    int i = 0;
    for (const char* good :
         {"10.0.0.0/16", "10.255.0.0/16", "10.0.0.0/28", "10.20.30.16/28", "172.16.0.0/16",
          "172.31.0.0/16", "172.31.255.240/28", "192.168.0.0/16", "192.168.100.0/24",
          "192.168.255.240/28", "10.128.0.0/20"}) {
      CAPTURE(good);
      auto r = vc.cloud.create_environment(spec("good-" + std::to_string(i++), good));
      CHECK_MESSAGE(r.has_value(), (r ? "" : mctest::describe(r.error())));
      if (r) CHECK(r->cidr.to_string() == good);
    }
    for (const char* bad :
         {"10.0.0.0/15",   "10.0.0.0/8",    "10.0.0.0/29",    "10.0.0.0/32",    "172.16.0.0/12",
          "172.15.0.0/16", "172.32.0.0/16", "192.168.0.0/15", "192.169.0.0/16", "192.167.255.0/24",
          "11.0.0.0/16",   "0.0.0.0/16",    "8.8.0.0/16",     "10.0.0.1/16",    "10.0.1.0/16",
          "10.0.0.8/28",   "10.0.0.0",      "10.0.0.0/",      "garbage",        "",
          "10.0.0.0/016",  " 10.0.0.0/16"}) {
      CAPTURE(bad);
      auto r = vc.cloud.create_environment(spec("bad", bad));
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::invalid);
      REQUIRE(r.error().fields.size() == 1u);
      CHECK(r.error().fields[0].loc == loc("cidr"));
      CHECK_FALSE(r.error().fields[0].msg.empty());
    }
  }

  TEST_CASE("a bad name and a bad cidr: both problems reported") {
    mctest::VirtualCloud vc;
    auto r = vc.cloud.create_environment(spec("-bad", "11.0.0.0/16"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::invalid);
    CHECK(mctest::locs(r.error()) == std::vector<std::string>{"[\"name\"]", "[\"cidr\"]"});
    CHECK_FALSE(r.error().message.empty());
  }

  TEST_CASE("names are unique; environments may share a CIDR") {
    mctest::VirtualCloud vc;
    auto a = vc.env("dev", "10.0.0.0/16");
    auto b = vc.cloud.create_environment(spec("other", "10.0.0.0/16"));
    REQUIRE(b.has_value());
    CHECK(b->id != a.id);

    auto dup = vc.cloud.create_environment(spec("dev", "192.168.0.0/16"));
    REQUIRE_FALSE(dup.has_value());
    CHECK(dup.error().kind == ErrorKind::conflict);
    CHECK(mctest::contains_ci(dup.error().message, "dev"));
    CHECK(vc.cloud.counts().environments == 2u);

    // Names are case-sensitive.
    CHECK(vc.cloud.create_environment(spec("DEV")).has_value());
  }

  TEST_CASE("get: unknown or malformed ids are not found") {
    mctest::VirtualCloud vc;
    vc.env("dev");
    for (const char* id : {"", "nope", "00000000-0000-4000-8000-000000000000",
                           "not-a-uuid-at-all-but-36-characters!"}) {
      auto r = vc.cloud.get_environment(id);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::not_found);
    }
  }

  TEST_CASE("delete: gone, the name is free again, a new id for the new one") {
    mctest::VirtualCloud vc;
    auto e = vc.env("dev");
    auto d = vc.cloud.delete_environment(e.id);
    REQUIRE(d.has_value());
    CHECK(vc.cloud.get_environment(e.id).error().kind == ErrorKind::not_found);
    CHECK(vc.cloud.counts().environments == 0u);
    auto again = vc.cloud.delete_environment(e.id);
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().kind == ErrorKind::not_found);

    auto e2 = vc.env("dev");
    CHECK(e2.id != e.id);
    CHECK(vc.cloud.list_environments().total == 1u);
  }

  TEST_CASE("delete: conflict while a security group, a VM or a volume is in it") {
    mctest::VirtualCloud vc{mctest::fixed_settings()};
    auto e = vc.env("dev");
    auto other = vc.env("other");

    SUBCASE("security group") {
      auto sg = vc.cloud.create_security_group({.name = "web", .environment_id = e.id});
      REQUIRE(sg.has_value());
      auto d = vc.cloud.delete_environment(e.id);
      REQUIRE_FALSE(d.has_value());
      CHECK(d.error().kind == ErrorKind::conflict);
      REQUIRE(vc.cloud.delete_security_group(sg->id).has_value());
      CHECK(vc.cloud.delete_environment(e.id).has_value());
    }
    SUBCASE("VM, while creating, running and deleting") {
      auto op = vc.vm("web-1", e.id);
      CHECK(vc.cloud.delete_environment(e.id).error().kind == ErrorKind::conflict);
      vc.clock.run_until_idle();
      CHECK(op.get().status == mockcloud::VmStatus::running);
      CHECK(vc.cloud.delete_environment(e.id).error().kind == ErrorKind::conflict);
      auto del = vc.cloud.delete_vm(op.id());
      REQUIRE(del.has_value());
      CHECK(vc.cloud.delete_environment(e.id).error().kind == ErrorKind::conflict);
      vc.clock.run_until_idle();
      CHECK(vc.cloud.delete_environment(e.id).has_value());
    }
    SUBCASE("volume") {
      auto op = vc.volume("data", e.id);
      CHECK(vc.cloud.delete_environment(e.id).error().kind == ErrorKind::conflict);
      vc.clock.run_until_idle();
      CHECK(vc.cloud.delete_environment(e.id).error().kind == ErrorKind::conflict);
      REQUIRE(vc.cloud.delete_volume(op.id()).has_value());
      vc.clock.run_until_idle();
      CHECK(vc.cloud.delete_environment(e.id).has_value());
    }
    SUBCASE("a failed VM still counts") {
      REQUIRE(vc.cloud.update_settings({{{"worker_failure_rate", 1.0}}}).has_value());
      auto op = vc.vm("web-1", e.id);
      vc.clock.run_until_idle();
      CHECK(op.get().status == mockcloud::VmStatus::error);
      CHECK(vc.cloud.delete_environment(e.id).error().kind == ErrorKind::conflict);
    }
    // The other environment is not blocked by anything.
    CHECK(vc.cloud.delete_environment(other.id).has_value());
  }

  TEST_CASE("the same seed and name give the same id; another seed another id") {
    mctest::VirtualCloud a{{.seed = 7, .settings = {}}};
    mctest::VirtualCloud b{{.seed = 7, .settings = {}}};
    mctest::VirtualCloud c{{.seed = 8, .settings = {}}};
    b.env("first-in-b");
    auto ea = a.env("dev");
    auto eb = b.env("dev");
    auto ec = c.env("dev");
    CHECK(ea.id == eb.id);
    CHECK(ea.id != ec.id);
    CHECK(a.cloud.seed() == 7u);
  }

  TEST_CASE("a random seed when none is given") {
    mockcloud::VirtualClock c1, c2;
    mockcloud::ResourceManager m1{{}, c1}, m2{{}, c2};
    // Two random 64-bit seeds agree with a negligible probability.
    CHECK(m1.seed() != m2.seed());
  }

  TEST_CASE("list_environments filters by name") {
    mctest::VirtualCloud vc;
    vc.env("a");
    auto b = vc.env("b");
    vc.env("c");
    auto l = vc.cloud.list_environments({.name = "b"});
    REQUIRE(l.items.size() == 1u);
    CHECK(l.items[0].id == b.id);
    CHECK(l.total == 1u);
    CHECK(vc.cloud.list_environments({.name = "zzz"}).total == 0u);
    CHECK(vc.cloud.list_environments().total == 3u);
  }
}

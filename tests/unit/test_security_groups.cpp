// Security groups: rules and their validation paths, per-environment names, not found, and the
// conflict while a VM uses one.
#include <set>

#include "test_support.hpp"

using mctest::loc;
using mockcloud::ErrorKind;
using mockcloud::SecurityGroupSpec;
using mockcloud::SecurityRuleSpec;

namespace {
using enum mockcloud::Direction;
using enum mockcloud::Protocol;
SecurityRuleSpec rule(mockcloud::Direction direction, mockcloud::Protocol protocol,
                      std::optional<int> pmin, std::optional<int> pmax,
                      std::string remote = "0.0.0.0/0") {
  SecurityRuleSpec r;
  r.direction = direction;
  r.protocol = protocol;
  r.port_range_min = pmin;
  r.port_range_max = pmax;
  r.remote_cidr = std::move(remote);
  return r;
}
SecurityGroupSpec sg(std::string name, std::string env, std::vector<SecurityRuleSpec> rules = {}) {
  SecurityGroupSpec s;
  s.name = std::move(name);
  s.environment_id = std::move(env);
  s.rules = std::move(rules);
  return s;
}
}  // namespace

TEST_SUITE("security_groups") {
  TEST_CASE("create with rules: every field kept, each rule with its own id") {
    mctest::VirtualCloud vc;
    auto e = vc.env("dev");
    vc.clock.advance(5s);
    auto s = sg("web", e.id,
                {rule(ingress, tcp, 22, 22, "10.0.0.0/8"), rule(ingress, udp, 1, 65535),
                 rule(egress, icmp, std::nullopt, std::nullopt, "192.168.1.0/24"),
                 rule(egress, all, std::nullopt, std::nullopt),
                 rule(ingress, tcp, std::nullopt, std::nullopt, "10.1.2.3/32")});
    s.description = "front";
    auto r = vc.cloud.create_security_group(s);
    REQUIRE_MESSAGE(r.has_value(), mctest::describe(r.error()));
    const auto& g = *r;
    CHECK(mctest::is_uuid_v4(g.id));
    CHECK(g.name == "web");
    CHECK(g.environment_id == e.id);
    CHECK(g.description == "front");
    CHECK(g.created_at == vc.clock.now());
    CHECK(g.updated_at == g.created_at);
    REQUIRE(g.rules.size() == 5u);
    CHECK(g.rules[0].direction == mockcloud::Direction::ingress);
    CHECK(g.rules[0].protocol == mockcloud::Protocol::tcp);
    CHECK(g.rules[0].port_range_min == 22);
    CHECK(g.rules[0].port_range_max == 22);
    CHECK(g.rules[0].remote_cidr.to_string() == "10.0.0.0/8");
    CHECK(g.rules[1].protocol == mockcloud::Protocol::udp);
    CHECK(g.rules[1].port_range_min == 1);
    CHECK(g.rules[1].port_range_max == 65535);
    CHECK(g.rules[1].remote_cidr.to_string() == "0.0.0.0/0");
    CHECK(g.rules[2].direction == mockcloud::Direction::egress);
    CHECK(g.rules[2].protocol == mockcloud::Protocol::icmp);
    CHECK_FALSE(g.rules[2].port_range_min.has_value());
    CHECK_FALSE(g.rules[2].port_range_max.has_value());
    CHECK(g.rules[3].protocol == mockcloud::Protocol::all);
    CHECK(g.rules[4].remote_cidr.to_string() == "10.1.2.3/32");
    std::set<std::string> ids{g.id};
    for (auto& rr : g.rules) {
      CHECK(mctest::is_uuid_v4(rr.id));
      ids.insert(rr.id);
    }
    CHECK(ids.size() == 6u);

    auto got = vc.cloud.get_security_group(g.id);
    REQUIRE(got.has_value());
    CHECK(got->rules.size() == 5u);
    CHECK(got->rules[0].id == g.rules[0].id);
    CHECK(vc.cloud.counts().security_groups == 1u);
  }

  TEST_CASE("rules default to none; a default rule (tcp, no ports, anywhere) is valid") {
    mctest::VirtualCloud vc;
    auto e = vc.env("dev");
    auto r = vc.cloud.create_security_group(sg("empty", e.id));
    REQUIRE(r.has_value());
    CHECK(r->rules.empty());
    auto r2 = vc.cloud.create_security_group(sg("one", e.id, {SecurityRuleSpec{}}));
    REQUIRE_MESSAGE(r2.has_value(), mctest::describe(r2.error()));
    REQUIRE(r2->rules.size() == 1u);
    CHECK(r2->rules[0].direction == mockcloud::Direction::ingress);
    CHECK(r2->rules[0].protocol == mockcloud::Protocol::tcp);
    CHECK(r2->rules[0].remote_cidr.to_string() == "0.0.0.0/0");
  }

  TEST_CASE("rule validation: each problem at its path") {
    mctest::VirtualCloud vc;
    auto e = vc.env("dev");
    auto invalid = [&](std::vector<SecurityRuleSpec> rules) {
      auto r = vc.cloud.create_security_group(sg("g", e.id, std::move(rules)));
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::invalid);
      return r.error();
    };
    // Unknown directions and protocols are wire errors now (tests/http: rule enums).
    SUBCASE("ports out of range") {
      auto err = invalid({rule(ingress, tcp, 0, 22), rule(ingress, udp, 22, 65536)});
      CHECK(mctest::find_field(err, loc("rules", 0, "port_range_min")) != nullptr);
      CHECK(mctest::find_field(err, loc("rules", 1, "port_range_max")) != nullptr);
      CHECK(err.fields.size() == 2u);
    }
    SUBCASE("negative port") {
      auto err = invalid({rule(ingress, tcp, -1, 22)});
      CHECK(mctest::find_field(err, loc("rules", 0, "port_range_min")) != nullptr);
    }
    SUBCASE("min above max") {
      auto err = invalid({rule(ingress, tcp, 443, 80)});
      CHECK(err.fields.size() == 1u);
      CHECK(mctest::has_field_prefix(err, loc("rules", 0)));
    }
    SUBCASE("ports only for tcp and udp") {
      auto err = invalid({rule(ingress, icmp, 1, 1), rule(egress, all, 80, 80)});
      CHECK(mctest::has_field_prefix(err, loc("rules", 0)));
      CHECK(mctest::has_field_prefix(err, loc("rules", 1)));
    }
    SUBCASE("remote_cidr must be a valid CIDR") {
      auto err = invalid({rule(ingress, tcp, 22, 22, "10.0.0.1/8"),
                          rule(ingress, tcp, 22, 22, "10.0.0.0/33"),
                          rule(ingress, tcp, 22, 22, "anywhere"), rule(ingress, tcp, 22, 22, "")});
      CHECK(mctest::locs(err) == std::vector<std::string>{R"(["rules",0,"remote_cidr"])",
                                                          R"(["rules",1,"remote_cidr"])",
                                                          R"(["rules",2,"remote_cidr"])",
                                                          R"(["rules",3,"remote_cidr"])"});
    }
    SUBCASE("every problem of every rule, and the name") {
      auto err = vc.cloud.create_security_group(
          sg("", e.id, {rule(ingress, tcp, 0, 22), rule(ingress, tcp, 22, 22, "x")}));
      REQUIRE_FALSE(err.has_value());
      CHECK(mctest::find_field(err.error(), loc("name")) != nullptr);
      CHECK(mctest::find_field(err.error(), loc("rules", 0, "port_range_min")) != nullptr);
      CHECK(mctest::find_field(err.error(), loc("rules", 1, "remote_cidr")) != nullptr);
      CHECK(err.error().fields.size() == 3u);
    }
    CHECK(vc.cloud.counts().security_groups == 0u);
  }

  TEST_CASE("any valid remote CIDR is allowed, public ones included") {
    mctest::VirtualCloud vc;
    auto e = vc.env("dev");
    auto r = vc.cloud.create_security_group(
        sg("g", e.id,
           {rule(ingress, tcp, 443, 443, "8.8.8.0/24"), rule(egress, udp, 53, 53, "1.1.1.1/32"),
            rule(egress, all, std::nullopt, std::nullopt, "0.0.0.0/0")}));
    REQUIRE_MESSAGE(r.has_value(), mctest::describe(r.error()));
    CHECK(r->rules[0].remote_cidr.to_string() == "8.8.8.0/24");
  }

  TEST_CASE("unknown environment: not found (after validation)") {
    mctest::VirtualCloud vc;
    auto r = vc.cloud.create_security_group(sg("g", "6f1c5a2e-0000-4000-8000-000000000000"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::not_found);
    // An invalid spec is invalid whatever its environment.
    auto r2 = vc.cloud.create_security_group(sg("-bad", "nope"));
    REQUIRE_FALSE(r2.has_value());
    CHECK(r2.error().kind == ErrorKind::invalid);
  }

  TEST_CASE("names are unique per environment among live groups") {
    mctest::VirtualCloud vc;
    auto dev = vc.env("dev");
    auto prod = vc.env("prod");
    auto a = vc.cloud.create_security_group(sg("web", dev.id));
    REQUIRE(a.has_value());
    auto dup = vc.cloud.create_security_group(sg("web", dev.id));
    REQUIRE_FALSE(dup.has_value());
    CHECK(dup.error().kind == ErrorKind::conflict);
    auto other = vc.cloud.create_security_group(sg("web", prod.id));
    REQUIRE(other.has_value());
    CHECK(other->id != a->id);

    REQUIRE(vc.cloud.delete_security_group(a->id).has_value());
    CHECK(vc.cloud.get_security_group(a->id).error().kind == ErrorKind::not_found);
    auto again = vc.cloud.create_security_group(sg("web", dev.id));
    REQUIRE(again.has_value());
    CHECK(again->id != a->id);
  }

  TEST_CASE("get and delete of unknown groups: not found") {
    mctest::VirtualCloud vc;
    CHECK(vc.cloud.get_security_group("nope").error().kind == ErrorKind::not_found);
    CHECK(vc.cloud.delete_security_group("nope").error().kind == ErrorKind::not_found);
    // An environment's id is not a security group's.
    auto e = vc.env("dev");
    CHECK(vc.cloud.get_security_group(e.id).error().kind == ErrorKind::not_found);
  }

  TEST_CASE("delete: conflict while a VM uses it, free once the VM is gone") {
    mctest::VirtualCloud vc{mctest::fixed_settings()};
    auto e = vc.env("dev");
    auto g = vc.cloud.create_security_group(sg("web", e.id)).value();
    auto unused = vc.cloud.create_security_group(sg("unused", e.id)).value();
    mockcloud::VmSpec vs;
    vs.name = "vm1";
    vs.environment_id = e.id;
    vs.security_group_ids = {g.id};
    auto op = vc.cloud.create_vm(vs).value();
    CHECK(op.resource().security_group_ids == std::vector<std::string>{g.id});

    auto d = vc.cloud.delete_security_group(g.id);
    REQUIRE_FALSE(d.has_value());
    CHECK(d.error().kind == ErrorKind::conflict);  // while creating
    vc.clock.run_until_idle();
    CHECK(vc.cloud.delete_security_group(g.id).error().kind == ErrorKind::conflict);  // running

    REQUIRE(vc.cloud.delete_vm(op.id()).has_value());
    CHECK(vc.cloud.delete_security_group(g.id).error().kind == ErrorKind::conflict);  // deleting
    vc.clock.run_until_idle();
    CHECK(vc.cloud.delete_security_group(g.id).has_value());
    CHECK(vc.cloud.delete_security_group(unused.id).has_value());
    CHECK(vc.cloud.counts().security_groups == 0u);
  }

  TEST_CASE("list_security_groups filters by environment and name") {
    mctest::VirtualCloud vc;
    auto dev = vc.env("dev");
    auto prod = vc.env("prod");
    vc.cloud.create_security_group(sg("a", dev.id)).value();
    vc.cloud.create_security_group(sg("b", dev.id)).value();
    auto pa = vc.cloud.create_security_group(sg("a", prod.id)).value();
    CHECK(vc.cloud.list_security_groups().total == 3u);
    CHECK(vc.cloud.list_security_groups({.environment_id = dev.id}).total == 2u);
    auto l = vc.cloud.list_security_groups({.environment_id = prod.id, .name = "a"});
    REQUIRE(l.items.size() == 1u);
    CHECK(l.items[0].id == pa.id);
    CHECK(vc.cloud.list_security_groups({.name = "a"}).total == 2u);
    CHECK(vc.cloud.list_security_groups({.environment_id = "nope"}).total == 0u);
  }
}

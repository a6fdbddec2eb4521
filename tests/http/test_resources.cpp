// Environments and security groups over real sockets.
#include "fixture.hpp"

using test::str;

TEST_CASE("environments: create, read, list with paging, delete") {
  test::ServerFixture f;
  auto c = f.connect();

  auto created = c.post("/api/v1/environments/", R"({"name":"dev","description":"d","extra":1})");
  REQUIRE(created.status == 201);
  const auto env = created.json().as_object();
  CHECK(str(env.at("name")) == "dev");
  CHECK(str(env.at("cidr")) == "10.0.0.0/16");
  CHECK(str(env.at("description")) == "d");
  CHECK(str(env.at("status")) == "active");
  CHECK(str(env.at("created_at")) == "2030-01-01T00:00:00.000Z");
  const std::string id = str(env.at("id"));

  auto one = c.get("/api/v1/environments/" + id);
  CHECK(one.status == 200);
  CHECK(one.json() == created.json());
  CHECK(c.get("/api/v1/environments/" + id + "/").status == 200);

  for (int i = 0; i < 4; ++i)
    REQUIRE(c.post("/api/v1/environments", R"({"name":"e)" + std::to_string(i) + R"("})").status ==
            201);
  auto all = c.get("/api/v1/environments");
  CHECK(all.status == 200);
  CHECK(all.header("X-Total-Count") == "5");
  CHECK(all.json().as_array().size() == 5);

  auto page = c.get("/api/v1/environments/?skip=1&limit=2");
  CHECK(page.status == 200);
  CHECK(page.header("X-Total-Count") == "5");
  REQUIRE(page.json().as_array().size() == 2);
  CHECK(page.json().as_array()[0] == all.json().as_array()[1]);

  auto named = c.get("/api/v1/environments?name=e2");
  CHECK(named.header("X-Total-Count") == "1");
  CHECK(str(named.json().as_array()[0].at("name")) == "e2");

  CHECK(c.del("/api/v1/environments/" + id).status == 204);
  CHECK(c.get("/api/v1/environments/" + id).status == 404);
}

TEST_CASE("environments: conflicts and validation") {
  test::ServerFixture f;
  auto c = f.connect();
  f.environment(c, "dev");

  auto dup = c.post("/api/v1/environments", R"({"name":"dev"})");
  CHECK(dup.status == 409);
  CHECK(dup.json().at("detail").is_string());

  auto bad = c.post("/api/v1/environments", R"({"name":"x","cidr":"8.8.8.0/24"})");
  CHECK(bad.status == 422);
  const auto e = bad.json().at("detail").as_array().at(0);
  CHECK(e.at("loc") == boost::json::parse(R"(["body","cidr"])"));

  auto types = c.post("/api/v1/environments", R"({"name":7,"description":[]})");
  CHECK(types.status == 422);
  CHECK(types.json() == boost::json::parse(R"({"detail":[
    {"type":"string_type","loc":["body","name"],"msg":"Input should be a valid string"},
    {"type":"string_type","loc":["body","description"],"msg":"Input should be a valid string"}]})"));
}

TEST_CASE("security groups: rules, listing by environment, in-use conflict") {
  test::ServerFixture f;
  auto c = f.connect();
  const auto env = f.environment(c);

  auto created = c.post("/api/v1/security-groups/", R"({"name":"web","environment_id":")" + env +
                                                        R"(","rules":[
      {"direction":"ingress","protocol":"tcp","port_range_min":22,"port_range_max":22,
       "remote_cidr":"0.0.0.0/0"},
      {"direction":"egress","protocol":"all"}]})");
  REQUIRE(created.status == 201);
  const auto group = created.json().as_object();
  const std::string sg = str(group.at("id"));
  const auto& rules = group.at("rules").as_array();
  REQUIRE(rules.size() == 2);
  CHECK(rules[0].at("id").is_string());
  CHECK(rules[0].at("port_range_min") == 22);
  CHECK(rules[1].at("port_range_min").is_null());
  CHECK(str(rules[1].at("protocol")) == "all");

  CHECK(c.get("/api/v1/security-groups/" + sg).status == 200);
  auto listed = c.get("/api/v1/security-groups?environment_id=" + env);
  CHECK(listed.header("X-Total-Count") == "1");
  CHECK(c.get("/api/v1/security-groups?environment_id=nope").header("X-Total-Count") == "0");

  auto bad_rule = c.post("/api/v1/security-groups", R"({"name":"x","environment_id":")" + env +
                                                        R"(","rules":[{"protocol":"tcp",
      "port_range_min":"22"}, 5]})");
  CHECK(bad_rule.status == 422);
  CHECK(bad_rule.json() == boost::json::parse(R"({"detail":[
    {"type":"int_type","loc":["body","rules",0,"port_range_min"],"msg":"Input should be a valid integer"},
    {"type":"model_attributes_type","loc":["body","rules",1],
     "msg":"Input should be a valid dictionary or object to extract fields from"}]})"));

  auto vm = c.post("/api/v1/vms", R"({"name":"a","environment_id":")" + env +
                                      R"(","security_group_ids":[")" + sg + R"("]})");
  REQUIRE(vm.status == 202);
  CHECK(c.del("/api/v1/security-groups/" + sg).status == 409);
  CHECK(c.del("/api/v1/environments/" + env).status == 409);
}

TEST_CASE("unknown enum names in bodies: pydantic's enum errors, where the library's checks were") {
  // The library's specs hold enums; these names never reach it. The answers are those of the
  // string specs before (same errors, same order).
  test::ServerFixture f;
  auto c = f.connect();
  const auto env = f.environment(c);
  auto errors = [&](std::string_view path, const std::string& body) {
    auto r = c.post(path, body);
    CHECK(r.status == 422);
    return r.json();
  };
  const std::string in_env = R"("environment_id":")" + env + R"(")";
  CHECK(errors("/api/v1/volumes",
               R"({"name":"-v",)" + in_env + R"(,"size_gb":0,"volume_type":"SSD"})") ==
        boost::json::parse(R"({"detail":[
    {"type":"string_pattern_mismatch","loc":["body","name"],"msg":"String should match pattern '^[A-Za-z0-9][A-Za-z0-9._-]*$'"},
    {"type":"greater_than_equal","loc":["body","size_gb"],"msg":"Input should be greater than or equal to 1"},
    {"type":"enum","loc":["body","volume_type"],"msg":"Input should be 'standard' or 'ssd'"}]})"));
  CHECK(errors("/api/v1/security-groups",
               R"({"name":"",)" + in_env +
                   R"(,"rules":[{"direction":"up","protocol":"tcp","port_range_min":0},
      {"protocol":"xyz","port_range_min":0,"port_range_max":99999,"remote_cidr":"bad"},
      {"protocol":"icmp","port_range_min":1,"direction":"x"}]})") ==
        boost::json::parse(R"({"detail":[
    {"type":"string_too_short","loc":["body","name"],"msg":"String should have at least 1 character"},
    {"type":"enum","loc":["body","rules",0,"direction"],"msg":"Input should be 'ingress' or 'egress'"},
    {"type":"greater_than_equal","loc":["body","rules",0,"port_range_min"],"msg":"Input should be greater than or equal to 1"},
    {"type":"value_error","loc":["body","rules",0,"port_range_max"],"msg":"Value error, port_range_min and port_range_max go together"},
    {"type":"enum","loc":["body","rules",1,"protocol"],"msg":"Input should be 'tcp', 'udp', 'icmp' or 'all'"},
    {"type":"value_error","loc":["body","rules",1,"remote_cidr"],"msg":"Value error, remote_cidr must be an IPv4 network such as 0.0.0.0/0, with the host bits zero"},
    {"type":"enum","loc":["body","rules",2,"direction"],"msg":"Input should be 'ingress' or 'egress'"},
    {"type":"value_error","loc":["body","rules",2,"port_range_min"],"msg":"Value error, ports are only allowed for the tcp and udp protocols"}]})"));
  CHECK(
      errors("/api/v1/security-groups",
             R"({"name":"g",)" + in_env + R"(,"rules":[{"direction":"INGRESS","protocol":"TCP"}]})")
          .at("detail")
          .as_array()
          .size() == 2);  // names are case-sensitive
  CHECK(errors("/_mock/faults", R"({"operation":"vm.explode","fail_next":0,"status":500})") ==
        boost::json::parse(R"({"detail":[
    {"type":"enum","loc":["body","operation"],"msg":"Input should be 'vm.create', 'vm.delete', 'volume.create' or 'volume.delete'"},
    {"type":"greater_than_equal","loc":["body","fail_next"],"msg":"Input should be greater than or equal to 1"},
    {"type":"value_error","loc":["body","status"],"msg":"Value error, status goes with route"}]})"));
  // The shape of the whole is checked first, and alone.
  CHECK(errors("/_mock/faults", R"({"operation":"vm.explode","route":"POST /x","status":500})") ==
        boost::json::parse(R"({"detail":[
    {"type":"value_error","loc":["body"],"msg":"Value error, give exactly one of: operation (with fail_next), route (with status and rate), latency_ms"}]})"));
}

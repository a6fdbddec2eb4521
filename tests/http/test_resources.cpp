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

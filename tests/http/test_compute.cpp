// VMs, volumes and tasks over real sockets, driven by the virtual clock.
#include "fixture.hpp"

using test::str;

TEST_CASE("a full VM and volume lifecycle driven by /_mock/clock/advance") {
  test::ServerFixture f;
  auto c = f.connect();
  const auto env = f.environment(c, "dev", "10.1.0.0/24");

  auto created = c.post("/api/v1/vms/", R"({"name":"web-1","environment_id":")" + env +
                                            R"(","cpu":2,"memory_mb":2048})");
  REQUIRE(created.status == 202);
  const auto vm0 = created.json().as_object();
  const std::string vm = str(vm0.at("id"));
  CHECK(created.header("Location") == "/api/v1/vms/" + vm);
  CHECK(str(vm0.at("status")) == "creating");
  CHECK(vm0.at("ip_address").is_null());
  CHECK(vm0.at("cpu") == 2);
  CHECK(str(vm0.at("image")) == "ubuntu-22.04");
  const std::string create_task = str(vm0.at("task_id"));

  auto task = c.get("/api/v1/tasks/" + create_task);
  REQUIRE(task.status == 200);
  CHECK(str(task.json().at("state")) == "STARTED");
  CHECK(str(task.json().at("kind")) == "vm.create");

  auto advanced = c.post("/_mock/clock/advance", R"({"seconds":60})");
  REQUIRE(advanced.status == 200);
  CHECK(advanced.json().at("fired") == 1);
  CHECK(str(advanced.json().at("now")) == "2030-01-01T00:01:00.000Z");

  auto running = c.get("/api/v1/vms/" + vm).json().as_object();
  CHECK(str(running.at("status")) == "running");
  CHECK(running.at("progress") == 100);
  REQUIRE(running.at("ip_address").is_string());
  CHECK(str(running.at("ip_address")).starts_with("10.1.0."));
  CHECK(str(c.get("/api/v1/tasks/" + create_task).json().at("state")) == "SUCCESS");

  auto vol = c.post("/api/v1/volumes", R"({"name":"data","environment_id":")" + env +
                                           R"(","size_gb":20,"volume_type":"ssd"})");
  REQUIRE(vol.status == 202);
  const std::string volume = str(vol.json().at("id"));
  CHECK(vol.header("Location") == "/api/v1/volumes/" + volume);
  CHECK(c.post("/api/v1/volumes/" + volume + "/attach/" + vm).status == 409);  // still creating
  REQUIRE(c.post("/_mock/clock/advance", R"({"seconds":60.5})").status == 200);
  CHECK(str(c.get("/api/v1/volumes/" + volume).json().at("status")) == "available");

  auto attached = c.post("/api/v1/volumes/" + volume + "/attach/" + vm + "/");
  REQUIRE(attached.status == 200);
  CHECK(str(attached.json().at("status")) == "in-use");
  CHECK(str(attached.json().at("vm_id")) == vm);
  const auto ids = c.get("/api/v1/vms/" + vm).json().at("volume_ids").as_array();
  REQUIRE(ids.size() == 1);
  CHECK(str(ids[0]) == volume);
  CHECK(c.del("/api/v1/volumes/" + volume).status == 409);  // in use
  CHECK(c.get("/api/v1/volumes?status=in-use").header("X-Total-Count") == "1");

  auto detached = c.post("/api/v1/volumes/" + volume + "/detach");
  REQUIRE(detached.status == 200);
  CHECK(str(detached.json().at("status")) == "available");
  CHECK(detached.json().at("vm_id").is_null());
  CHECK(c.post("/api/v1/volumes/" + volume + "/detach").status == 409);

  auto deleting = c.del("/api/v1/vms/" + vm);
  REQUIRE(deleting.status == 202);
  CHECK(str(deleting.json().at("status")) == "deleting");
  const std::string delete_task = str(deleting.json().at("task_id"));
  CHECK(delete_task != create_task);
  CHECK(c.del("/api/v1/vms/" + vm + "/").status == 202);  // again: same task
  CHECK(c.get("/api/v1/vms?status=deleting").header("X-Total-Count") == "1");
  REQUIRE(c.post("/_mock/clock/advance", R"({"seconds":10})").status == 200);
  CHECK(c.get("/api/v1/vms/" + vm).status == 404);

  auto done = c.get("/api/v1/tasks/" + delete_task + "/");
  REQUIRE(done.status == 200);
  CHECK(str(done.json().at("state")) == "SUCCESS");
  CHECK(done.json().at("finished_at").is_string());
  auto tasks = c.get("/api/v1/tasks?resource_id=" + vm);
  CHECK(tasks.header("X-Total-Count") == "2");
  CHECK(c.get("/api/v1/tasks?state=SUCCESS").status == 200);

  CHECK(c.del("/api/v1/volumes/" + volume).status == 202);
  REQUIRE(c.post("/_mock/clock/advance", R"({"seconds":5})").status == 200);
  CHECK(c.get("/api/v1/volumes/" + volume).status == 404);
}

TEST_CASE("VM requests: 404 and 409 for references, 422 for types and ranges") {
  test::ServerFixture f;
  auto c = f.connect();
  const auto env = f.environment(c);

  CHECK(c.get("/api/v1/vms/3f2c0000-0000-4000-8000-000000000000").status == 404);
  CHECK(c.get("/api/v1/vms/not-a-uuid").status == 404);
  auto missing_env = c.post("/api/v1/vms", R"({"name":"a","environment_id":"nope"})");
  CHECK(missing_env.status == 404);
  CHECK(missing_env.json().at("detail").is_string());
  CHECK(c.post("/api/v1/vms",
               R"({"name":"a","environment_id":")" + env + R"(","security_group_ids":["nope"]})")
            .status == 404);

  auto types = c.post("/api/v1/vms", R"({"name":5,"cpu":"two","memory_mb":1.5,
                                         "security_group_ids":"x"})");
  REQUIRE(types.status == 422);
  CHECK(types.json() == boost::json::parse(R"({"detail":[
    {"type":"string_type","loc":["body","name"],"msg":"Input should be a valid string"},
    {"type":"missing","loc":["body","environment_id"],"msg":"Field required"},
    {"type":"int_type","loc":["body","cpu"],"msg":"Input should be a valid integer"},
    {"type":"int_from_float","loc":["body","memory_mb"],
     "msg":"Input should be a valid integer, got a number with a fractional part"},
    {"type":"list_type","loc":["body","security_group_ids"],"msg":"Input should be a valid list"}]})"));

  auto overflow = c.post("/api/v1/vms", R"({"name":"a","environment_id":")" + env +
                                            R"(","cpu":99999999999999999999})");
  CHECK(overflow.status == 422);
  CHECK(overflow.json().at("detail").at(0).at("loc") == boost::json::parse(R"(["body","cpu"])"));

  auto range = c.post("/api/v1/vms",
                      R"({"name":"a","environment_id":")" + env + R"(","cpu":65,"memory_mb":64})");
  REQUIRE(range.status == 422);
  const auto list = range.json().at("detail").as_array();
  REQUIRE(list.size() == 2);
  CHECK(list[0].at("loc") == boost::json::parse(R"(["body","cpu"])"));
  CHECK(list[1].at("loc") == boost::json::parse(R"(["body","memory_mb"])"));

  CHECK(
      c.post("/api/v1/vms", R"({"name":"a","environment_id":")" + env + R"(","cpu":2.0})").status ==
      202);
  CHECK(c.post("/api/v1/vms", R"({"name":"a","environment_id":")" + env + R"("})").status == 409);

  auto vol = c.post("/api/v1/volumes", R"({"name":"v","environment_id":")" + env + R"("})");
  CHECK(vol.status == 422);  // size_gb is required
  CHECK(vol.json().at("detail").at(0).at("loc") == boost::json::parse(R"(["body","size_gb"])"));
}

TEST_CASE("list query parameters are validated with a query loc") {
  test::ServerFixture f;
  auto c = f.connect();
  auto r = c.get("/api/v1/vms?skip=-1&limit=0&status=sleeping");
  REQUIRE(r.status == 422);
  CHECK(r.json() == boost::json::parse(R"({"detail":[
    {"type":"greater_than_equal","loc":["query","skip"],"msg":"Input should be greater than or equal to 0"},
    {"type":"greater_than_equal","loc":["query","limit"],"msg":"Input should be greater than or equal to 1"},
    {"type":"enum","loc":["query","status"],
     "msg":"Input should be 'creating', 'running', 'error' or 'deleting'"}]})"));
  auto big = c.get("/api/v1/volumes/?limit=1001");
  CHECK(big.status == 422);
  CHECK(big.json().at("detail").at(0).at("loc") == boost::json::parse(R"(["query","limit"])"));
  CHECK(c.get("/api/v1/tasks?limit=abc").status == 422);
  CHECK(c.get("/api/v1/tasks?limit=1000&skip=0").status == 200);
}

// Determinism: draws keyed by identity (not by call order), a golden record of a fixed script
// under seed 42, and the same outcomes per resource when the script runs from 4 threads in
// shuffled order.
#include <algorithm>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "test_support.hpp"

using mockcloud::Duration;
using mockcloud::ResourceManager;
using mockcloud::VirtualClock;
using mockcloud::VmStatus;
using mockcloud::VolumeStatus;

namespace {

std::string ip_text(const std::optional<mockcloud::Ipv4Address>& ip) {
  return ip ? ip->to_string() : "-";
}

std::int64_t ns(Duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

std::string task_line(ResourceManager& m, const std::string& task_id) {
  auto t = m.get_task(task_id).value();
  return std::string(mockcloud::to_string(t.kind)) + " " + t.id +
         " dur=" + std::to_string(ns(t.eta - t.created_at)) + "ns " +
         std::string(mockcloud::to_string(t.state));
}

/// The golden script: a few environments, groups, VMs, volumes and deletes, with default
/// settings (30..60 s creations, 10 % failures). One line per fact, in a fixed order.
std::vector<std::string> golden_script(ResourceManager& m, VirtualClock& clock) {
  std::vector<std::string> out;
  std::map<std::string, mockcloud::Environment> envs;
  for (auto [name, cidr] :
       {std::pair{"dev", "10.0.0.0/16"}, {"prod", "192.168.0.0/24"}, {"lab", "172.16.5.0/28"}}) {
    auto e = m.create_environment({.name = name, .cidr = cidr, .description = ""}).value();
    envs[name] = e;
    out.push_back("env " + std::string(name) + " " + e.id);
  }
  auto web = m.create_security_group({.name = "web", .environment_id = envs["dev"].id}).value();
  out.push_back("sg dev/web " + web.id);
  auto db = m.create_security_group({.name = "db",
                                     .environment_id = envs["prod"].id,
                                     .description = "",
                                     .rules = {{.direction = mockcloud::Direction::ingress,
                                                .protocol = mockcloud::Protocol::tcp,
                                                .port_range_min = 5432,
                                                .port_range_max = 5432,
                                                .remote_cidr = "10.0.0.0/8"}}})
                .value();
  out.push_back("sg prod/db " + db.id + " rule " + db.rules.at(0).id);

  std::vector<std::pair<std::string, mockcloud::Operation<mockcloud::Vm>>> vms;
  for (auto [env, name] : {std::pair{"dev", "web-1"},
                           {"dev", "web-2"},
                           {"dev", "web-3"},
                           {"prod", "api"},
                           {"prod", "worker"},
                           {"lab", "a"},
                           {"lab", "b"},
                           {"lab", "c"}}) {
    mockcloud::VmSpec s;
    s.name = name;
    s.environment_id = envs[env].id;
    if (std::string_view(env) == "dev") s.security_group_ids = {web.id};
    vms.emplace_back(std::string(env) + "/" + name, m.create_vm(s).value());
    clock.advance(250ms);
  }
  std::vector<std::pair<std::string, mockcloud::Operation<mockcloud::Volume>>> vols;
  for (auto [env, name, type] : {std::tuple{"dev", "data-1", mockcloud::VolumeType::standard},
                                 {"dev", "data-2", mockcloud::VolumeType::ssd},
                                 {"prod", "logs", mockcloud::VolumeType::standard}}) {
    mockcloud::VolumeSpec s;
    s.name = name;
    s.environment_id = envs[env].id;
    s.volume_type = type;
    vols.emplace_back(std::string(env) + "/" + name, m.create_volume(s).value());
  }
  clock.advance(61s);
  for (auto& [key, op] : vms) {
    auto vm = op.get();
    out.push_back("vm " + key + " " + vm.id + " ip=" + ip_text(vm.ip_address) + " " +
                  std::string(mockcloud::to_string(vm.status)) + " task " +
                  task_line(m, op.task_id()));
  }
  for (auto& [key, op] : vols) {
    auto v = op.get();
    out.push_back("volume " + key + " " + v.id + " " + std::string(mockcloud::to_string(v.status)) +
                  " task " + task_line(m, op.task_id()));
  }
  // Delete two VMs and a volume, then recreate a deleted VM's name: a new generation.
  auto del1 = m.delete_vm(vms[1].second.id()).value();
  auto del2 = m.delete_vm(vms[5].second.id()).value();
  auto del3 = m.delete_volume(vols[0].second.id()).value();
  out.push_back("delete dev/web-2 task " + task_line(m, del1.task_id()));
  out.push_back("delete lab/a task " + task_line(m, del2.task_id()));
  out.push_back("delete dev/data-1 task " + task_line(m, del3.task_id()));
  clock.run_until_idle();
  auto again = m.create_vm({.name = "web-2", .environment_id = envs["dev"].id}).value();
  auto again_lab = m.create_vm({.name = "a", .environment_id = envs["lab"].id}).value();
  clock.run_until_idle();
  for (auto* op : {&again, &again_lab}) {
    auto vm = op->get();
    out.push_back("vm " + std::string(vm.name) + "#1 " + vm.id + " ip=" + ip_text(vm.ip_address) +
                  " " + std::string(mockcloud::to_string(vm.status)) + " task " +
                  task_line(m, op->task_id()));
  }
  out.push_back("now " + mockcloud::format_rfc3339(clock.now()));
  return out;
}

// Recorded once from the implementation (seed 42); a change here is a change of the derivation.
const std::vector<std::string> kGolden = {
    "env dev 68f27105-591f-4584-96f0-a13ba16c1107",
    "env prod 455f6830-9dc9-4341-bad8-50219c5cffd6",
    "env lab ccbfa657-23f8-49c8-a03e-768b305c254c",
    "sg dev/web a420a084-f7e4-4f52-bbbb-661ad4970b29",
    "sg prod/db 914d7e38-1164-43b7-9582-1dce15d7c5a9 rule 8fc10b5e-f1b9-4d19-bcaa-32b6f92ea06d",
    "vm dev/web-1 24ee9ac2-08dd-4d2c-a47a-c7dfe963a3aa ip=10.0.97.166 running task vm.create "
    "28a23602-20d4-4208-a997-5e063eea0086 dur=36276000000ns SUCCESS",
    "vm dev/web-2 491ec284-9590-434a-8d07-55afc2a61fa1 ip=- error task vm.create "
    "f33a74d8-dfe4-4c91-941f-25224f30a729 dur=36878000000ns FAILURE",
    "vm dev/web-3 77114bf5-e11d-46ff-af13-079fbac6d6d2 ip=10.0.171.0 running task vm.create "
    "3fce2d63-86a2-48e8-9494-9d490c9df07b dur=37159000000ns SUCCESS",
    "vm prod/api 1e775b00-5fa2-48f9-9a2f-7a0323b253d7 ip=192.168.0.133 running task vm.create "
    "affb1803-625e-48fe-bc9a-11567aabcd5a dur=37108000000ns SUCCESS",
    "vm prod/worker 98d489fb-74ee-40e1-a470-87ab3b669600 ip=192.168.0.118 running task vm.create "
    "144dfab5-d930-4e80-bafe-656e53ffde2b dur=36190000000ns SUCCESS",
    "vm lab/a a7dbbe0f-6cb1-4ca5-a350-450ce7253a5c ip=172.16.5.7 running task vm.create "
    "14106c6e-02ca-4a08-88bf-22b6655ae1b5 dur=45285000000ns SUCCESS",
    "vm lab/b 33e13074-1d49-49a2-a688-97658089b8c1 ip=172.16.5.11 running task vm.create "
    "2cd6e384-2d08-45d8-a55f-31aca200318b dur=43611000000ns SUCCESS",
    "vm lab/c 425f57df-0ccf-4f98-b25c-bdd75a334136 ip=172.16.5.3 running task vm.create "
    "4123c4a3-6a07-425c-ba72-e2b78f1208f2 dur=54492000000ns SUCCESS",
    "volume dev/data-1 5785eb19-9071-4d2b-a62f-8a07fbeb30b6 available task volume.create "
    "d67aa8b2-e5a0-4994-8afd-4ca9dbd4ed76 dur=34611000000ns SUCCESS",
    "volume dev/data-2 4ff407e8-a1a7-4df7-9016-2fd0c73ba495 available task volume.create "
    "1ef2c0b5-0382-4178-abf3-e702b11600ed dur=54124000000ns SUCCESS",
    "volume prod/logs ca45b9d9-c0bd-41ca-b823-0d4d43297ab0 available task volume.create "
    "9d90b567-b299-4db4-ac1b-39f5597514a1 dur=46432000000ns SUCCESS",
    "delete dev/web-2 task vm.delete d5157237-9b08-4690-8739-c513a679b3aa dur=7756000000ns STARTED",
    "delete lab/a task vm.delete 9bf99d6f-7ba0-4a86-9532-42f8edf7fa2f dur=9564000000ns STARTED",
    "delete dev/data-1 task volume.delete 435a55aa-7c12-451d-beb7-bb187afc2552 dur=2575000000ns "
    "STARTED",
    "vm web-2#1 b53a8444-eb5c-443e-8717-714fd37a5099 ip=- error task vm.create "
    "ef16bf60-dfd6-4779-b169-0dee70274222 dur=31342000000ns FAILURE",
    "vm a#1 a1c9a6dd-9895-47ad-b832-4dd0cb27623f ip=172.16.5.4 running task vm.create "
    "9b08075b-cf48-4d5b-8156-c06911e34e8d dur=36135000000ns SUCCESS",
    "now 2030-01-01T00:01:48.699Z",
};

struct Outcome {
  std::string id;
  std::string task_id;
  std::string ip;
  std::int64_t duration_ns = 0;
  std::string status;
  bool operator==(const Outcome&) const = default;
};

struct Item {
  bool is_vm;
  std::string env, name;
};

const std::vector<std::pair<std::string, std::string>> kEnvs = {{"alpha", "10.1.0.0/16"},
                                                                {"beta", "192.168.0.0/16"},
                                                                {"gamma", "172.20.0.0/16"},
                                                                {"tiny", "10.99.0.0/28"}};

std::vector<Item> items() {
  std::vector<Item> out;
  for (auto& [env, cidr] : kEnvs) {
    const int n = env == "tiny" ? 8 : 12;
    for (int i = 0; i < n; ++i)
      out.push_back({true, env, "vm-" + std::to_string(i)});
    for (int i = 0; i < 4; ++i)
      out.push_back({false, env, "vol-" + std::to_string(i)});
  }
  return out;
}

/// Creates the environments (in `env_order`) and then every item, spread over `threads` threads
/// in `order`; settles everything and returns each resource's outcome by "kind env/name".
std::map<std::string, Outcome> run_items(const std::vector<Item>& order,
                                         const std::vector<std::size_t>& env_order, int threads) {
  VirtualClock clock;
  ResourceManager m{{.seed = 2024, .settings = {}}, clock};
  std::map<std::string, std::string> env_ids;
  for (auto i : env_order)
    env_ids[kEnvs[i].first] =
        m.create_environment({.name = kEnvs[i].first, .cidr = kEnvs[i].second}).value().id;

  std::mutex mu;
  std::map<std::string, std::pair<std::string, std::string>> ops;  // key -> (id, task)
  auto work = [&](int t) {
    for (std::size_t i = t; i < order.size(); i += threads) {
      const auto& it = order[i];
      std::string key = (it.is_vm ? "vm " : "volume ") + it.env + "/" + it.name;
      std::pair<std::string, std::string> ids;
      if (it.is_vm) {
        auto op = m.create_vm({.name = it.name, .environment_id = env_ids.at(it.env)}).value();
        ids = {op.id(), op.task_id()};
      } else {
        auto op = m.create_volume({.name = it.name, .environment_id = env_ids.at(it.env)}).value();
        ids = {op.id(), op.task_id()};
      }
      std::lock_guard lk(mu);
      ops[key] = ids;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back(work, t);
  for (auto& th : pool)
    th.join();
  clock.run_until_idle();

  std::map<std::string, Outcome> out;
  for (auto& [key, ids] : ops) {
    auto t = m.get_task(ids.second).value();
    Outcome o;
    o.id = ids.first;
    o.task_id = ids.second;
    o.duration_ns = ns(t.eta - t.created_at);
    if (key.starts_with("vm ")) {
      auto vm = m.get_vm(ids.first).value();
      o.ip = ip_text(vm.ip_address);
      o.status = std::string(mockcloud::to_string(vm.status));
    } else {
      o.status = std::string(mockcloud::to_string(m.get_volume(ids.first)->status));
    }
    out[key] = o;
  }
  return out;
}

}  // namespace

TEST_SUITE("determinism") {
  TEST_CASE("golden: seed 42 gives the recorded IDs, IPs, durations and outcomes") {
    VirtualClock clock;
    ResourceManager m{{.seed = 42, .settings = {}}, clock};
    auto lines = golden_script(m, clock);
    if (kGolden.empty()) {
      std::string all;
      for (auto& l : lines)
        all += "    \"" + l + "\",\n";
      MESSAGE("record these lines in kGolden:\n" << all);
      FAIL_CHECK("kGolden is not recorded yet");
      return;
    }
    REQUIRE(lines.size() == kGolden.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
      CAPTURE(i);
      CHECK(lines[i] == kGolden[i]);
    }
  }

  TEST_CASE("golden script: the same twice in one process, different under another seed") {
    VirtualClock c1, c2, c3;
    ResourceManager m1{{.seed = 42, .settings = {}}, c1};
    ResourceManager m2{{.seed = 42, .settings = {}}, c2};
    ResourceManager m3{{.seed = 43, .settings = {}}, c3};
    auto a = golden_script(m1, c1);
    auto b = golden_script(m2, c2);
    auto c = golden_script(m3, c3);
    CHECK(a == b);
    REQUIRE(a.size() == c.size());
    CHECK(a[0] != c[0]);
  }

  TEST_CASE("a VM's draws depend on its identity, not on what else happened before") {
    auto settle = [](ResourceManager& m, VirtualClock& c, const std::string& env_id) {
      auto op = m.create_vm({.name = "web", .environment_id = env_id}).value();
      auto t = m.get_task(op.task_id()).value();
      c.run_until_idle();
      auto vm = op.get();
      return Outcome{vm.id, t.id, ip_text(vm.ip_address), ns(t.eta - t.created_at),
                     std::string(mockcloud::to_string(vm.status))};
    };
    VirtualClock c1;
    ResourceManager quiet{{.seed = 9, .settings = {}}, c1};
    auto dev1 = quiet.create_environment({.name = "dev"}).value();
    auto alone = settle(quiet, c1, dev1.id);

    VirtualClock c2;
    ResourceManager busy{{.seed = 9, .settings = {}}, c2};
    auto other = busy.create_environment({.name = "other"}).value();
    for (int i = 0; i < 5; ++i)
      (void)busy.create_vm({.name = "x" + std::to_string(i), .environment_id = other.id}).value();
    c2.advance(17s);
    auto dev2 = busy.create_environment({.name = "dev"}).value();
    for (int i = 0; i < 3; ++i)
      (void)busy.create_volume({.name = "v" + std::to_string(i), .environment_id = dev2.id})
          .value();
    (void)busy.create_vm({.name = "neighbour", .environment_id = dev2.id}).value();
    auto crowded = settle(busy, c2, dev2.id);

    CHECK(dev1.id == dev2.id);
    CHECK(crowded == alone);
  }

  TEST_CASE("generations: a reused name gets a new id, the same in every run") {
    auto run = [] {
      VirtualClock c;
      ResourceManager m{{.seed = 5, .settings = mctest::fixed_settings(0.0, 10, 2)}, c};
      auto e = m.create_environment({.name = "dev"}).value();
      std::vector<std::string> ids;
      for (int gen = 0; gen < 3; ++gen) {
        auto op = m.create_vm({.name = "web", .environment_id = e.id}).value();
        ids.push_back(op.id());
        c.run_until_idle();
        (void)m.delete_vm(op.id()).value();
        c.run_until_idle();
      }
      return ids;
    };
    auto a = run();
    auto b = run();
    CHECK(a == b);
    CHECK(std::set<std::string>(a.begin(), a.end()).size() == 3u);
  }

  TEST_CASE("different identities get different ids") {
    mctest::VirtualCloud vc{mctest::fixed_settings()};
    auto ab = vc.env("ab");
    auto a = vc.env("a");
    std::set<std::string> ids{ab.id, a.id};
    ids.insert(vc.vm("c", ab.id).id());
    ids.insert(vc.vm("bc", a.id).id());
    ids.insert(vc.volume("c", ab.id).id());
    ids.insert(vc.cloud.create_security_group({.name = "c", .environment_id = ab.id}).value().id);
    auto env_named_like_vm = vc.env("c");
    ids.insert(env_named_like_vm.id);
    CHECK(ids.size() == 7u);
  }

  TEST_CASE("4 threads in shuffled order give the same outcome per resource as one thread") {
    const auto all = items();
    auto sequential = run_items(all, {0, 1, 2, 3}, 1);
    REQUIRE(sequential.size() == all.size());
    std::map<std::string, int> by_status;
    for (auto& [k, o] : sequential)
      ++by_status[o.status];
    CAPTURE(by_status.size());
    CHECK(by_status["running"] + by_status["error"] + by_status["available"] == int(all.size()));

    std::mt19937 rng(12345);
    for (int round = 0; round < 3; ++round) {
      CAPTURE(round);
      auto order = all;
      std::shuffle(order.begin(), order.end(), rng);
      std::vector<std::size_t> env_order{0, 1, 2, 3};
      std::shuffle(env_order.begin(), env_order.end(), rng);
      auto parallel = run_items(order, env_order, 4);
      REQUIRE(parallel.size() == sequential.size());
      std::map<std::string, std::set<std::string>> tiny_ips;
      for (auto& [key, want] : sequential) {
        CAPTURE(key);
        const auto& got = parallel.at(key);
        CHECK(got.id == want.id);
        CHECK(got.task_id == want.task_id);
        CHECK(got.duration_ns == want.duration_ns);
        CHECK(got.status == want.status);
        if (key.find(" tiny/") == std::string::npos) {
          CHECK(got.ip == want.ip);
        } else if (key.starts_with("vm ") && got.status == "running") {
          // A /28 with 8 VMs: preferred addresses may collide, so only validity is fixed.
          auto ip = mockcloud::Ipv4Address::parse(got.ip);
          REQUIRE(ip.has_value());
          auto cidr = *mockcloud::Cidr::parse("10.99.0.0/28");
          CHECK(cidr.contains(*ip));
          CHECK(*ip != cidr.network());
          CHECK(*ip != cidr.broadcast());
          CHECK(tiny_ips["tiny"].insert(got.ip).second);
        }
      }
    }
  }
}

// Settings: the field table, validation (ranges, non-finite numbers, min above max) and
// ResourceManager::update_settings (all or nothing).
#include <cmath>
#include <limits>

#include "test_support.hpp"

using mctest::loc;
using mockcloud::Settings;
using mockcloud::SettingsPatch;
using mockcloud::validate;

namespace {
bool has_loc(const std::vector<mockcloud::FieldError>& errs, const std::string& name) {
  for (auto& e : errs)
    if (e.loc == loc(name)) return true;
  return false;
}
}  // namespace

TEST_SUITE("settings") {
  TEST_CASE("defaults are those of docs/http-api.md and valid") {
    Settings s;
    CHECK(s.worker_failure_rate == 0.1);
    CHECK(s.vm_creation_time_min == 30);
    CHECK(s.vm_creation_time_max == 60);
    CHECK(s.volume_creation_time_min == 30);
    CHECK(s.volume_creation_time_max == 60);
    CHECK(s.vm_deletion_time_min == 5);
    CHECK(s.vm_deletion_time_max == 10);
    CHECK(s.volume_deletion_time_min == 2);
    CHECK(s.volume_deletion_time_max == 5);
    CHECK(s.time_scale == 1.0);
    CHECK(validate(s).empty());
  }

  TEST_CASE("setting_fields lists every runtime setting in docs/http-api.md's order") {
    auto fields = mockcloud::setting_fields();
    std::vector<std::string> names;
    for (auto& f : fields)
      names.emplace_back(f.name);
    CHECK(names == std::vector<std::string>{"worker_failure_rate", "vm_creation_time_min",
                                            "vm_creation_time_max", "volume_creation_time_min",
                                            "volume_creation_time_max", "vm_deletion_time_min",
                                            "vm_deletion_time_max", "volume_deletion_time_min",
                                            "volume_deletion_time_max", "time_scale"});
    // Each field points at its own member.
    Settings s;
    double v = 1000;
    for (auto& f : fields)
      s.*f.member = ++v;
    CHECK(s.worker_failure_rate == 1001);
    CHECK(s.vm_creation_time_min == 1002);
    CHECK(s.vm_creation_time_max == 1003);
    CHECK(s.volume_creation_time_min == 1004);
    CHECK(s.volume_creation_time_max == 1005);
    CHECK(s.vm_deletion_time_min == 1006);
    CHECK(s.vm_deletion_time_max == 1007);
    CHECK(s.volume_deletion_time_min == 1008);
    CHECK(s.volume_deletion_time_max == 1009);
    CHECK(s.time_scale == 1010);
  }

  TEST_CASE("setting_fields: ranges and pairs") {
    auto* rate = mockcloud::find_setting("worker_failure_rate");
    REQUIRE(rate != nullptr);
    CHECK(rate->min == 0.0);
    CHECK(rate->max == 1.0);
    CHECK_FALSE(rate->min_exclusive);
    CHECK(rate->paired_max.empty());

    auto* scale = mockcloud::find_setting("time_scale");
    REQUIRE(scale != nullptr);
    CHECK(scale->min == 0.0);
    CHECK(scale->min_exclusive);

    for (auto [min, max] : {std::pair{"vm_creation_time_min", "vm_creation_time_max"},
                            {"volume_creation_time_min", "volume_creation_time_max"},
                            {"vm_deletion_time_min", "vm_deletion_time_max"},
                            {"volume_deletion_time_min", "volume_deletion_time_max"}}) {
      auto* f = mockcloud::find_setting(min);
      REQUIRE(f != nullptr);
      CHECK(f->paired_max == max);
      CHECK(f->min == 0.0);
      CHECK(f->max >= 3600.0);
      auto* g = mockcloud::find_setting(max);
      REQUIRE(g != nullptr);
      CHECK(g->paired_max.empty());
    }
    CHECK(mockcloud::find_setting("nope") == nullptr);
    CHECK(mockcloud::find_setting("") == nullptr);
    CHECK(mockcloud::find_setting("TIME_SCALE") == nullptr);
    CHECK(mockcloud::find_setting("time_scale ") == nullptr);
  }

  TEST_CASE("validate: ranges") {
    Settings s;
    s.worker_failure_rate = 0.0;
    CHECK(validate(s).empty());
    s.worker_failure_rate = 1.0;
    CHECK(validate(s).empty());
    s.worker_failure_rate = 1.01;
    CHECK(has_loc(validate(s), "worker_failure_rate"));
    s.worker_failure_rate = -0.01;
    CHECK(has_loc(validate(s), "worker_failure_rate"));

    s = Settings{};
    s.time_scale = 0.0;
    CHECK(has_loc(validate(s), "time_scale"));
    s.time_scale = -1.0;
    CHECK(has_loc(validate(s), "time_scale"));
    s.time_scale = 0.001;
    CHECK(validate(s).empty());

    s = Settings{};
    s.vm_deletion_time_min = -1;
    CHECK(has_loc(validate(s), "vm_deletion_time_min"));
    s = Settings{};
    s.vm_creation_time_min = s.vm_creation_time_max = 0;  // instantaneous is allowed
    CHECK(validate(s).empty());
    s = Settings{};
    s.volume_creation_time_max = 1e12;
    CHECK(has_loc(validate(s), "volume_creation_time_max"));
  }

  TEST_CASE("validate: non-finite numbers are refused") {
    for (double bad :
         {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
          -std::numeric_limits<double>::infinity()}) {
      for (auto& f : mockcloud::setting_fields()) {
        Settings s;
        s.*f.member = bad;
        auto errs = validate(s);
        CAPTURE(f.name);
        CAPTURE(bad);
        CHECK(has_loc(errs, std::string(f.name)));
      }
    }
  }

  TEST_CASE("validate: a min above its max") {
    Settings s;
    s.vm_creation_time_min = 61;
    auto errs = validate(s);
    REQUIRE(errs.size() == 1u);
    CHECK(
        (errs[0].loc == loc("vm_creation_time_min") || errs[0].loc == loc("vm_creation_time_max")));
    CHECK_FALSE(errs[0].msg.empty());

    s = Settings{};
    s.volume_deletion_time_max = 1;  // below its min (2)
    errs = validate(s);
    REQUIRE(errs.size() == 1u);
    CHECK((errs[0].loc == loc("volume_deletion_time_min") ||
           errs[0].loc == loc("volume_deletion_time_max")));

    s = Settings{};
    s.vm_deletion_time_min = s.vm_deletion_time_max = 7;  // equal is fine
    CHECK(validate(s).empty());
  }

  TEST_CASE("validate reports every problem") {
    Settings s;
    s.worker_failure_rate = 2;
    s.time_scale = 0;
    s.vm_deletion_time_min = 11;  // above max 10
    auto errs = validate(s);
    CHECK(errs.size() == 3u);
    CHECK(has_loc(errs, "worker_failure_rate"));
    CHECK(has_loc(errs, "time_scale"));
    CHECK((has_loc(errs, "vm_deletion_time_min") || has_loc(errs, "vm_deletion_time_max")));
    for (auto& e : errs) {
      CHECK_FALSE(e.msg.empty());
      CHECK_FALSE(e.type.empty());
    }
  }

  TEST_CASE("update_settings applies a valid patch and returns the whole new settings") {
    mctest::VirtualCloud vc;
    auto r = vc.cloud.update_settings(
        {{{"vm_creation_time_min", 1}, {"vm_creation_time_max", 2}, {"worker_failure_rate", 0}}});
    REQUIRE_MESSAGE(r.has_value(), mctest::describe(r.error()));
    Settings expected;
    expected.vm_creation_time_min = 1;
    expected.vm_creation_time_max = 2;
    expected.worker_failure_rate = 0;
    CHECK(*r == expected);
    CHECK(vc.cloud.settings() == expected);

    // A min may rise above the old max when the patch raises the max too.
    auto r2 = vc.cloud.update_settings(
        {{{"volume_deletion_time_min", 20}, {"volume_deletion_time_max", 30}}});
    REQUIRE(r2.has_value());
    CHECK(vc.cloud.settings().volume_deletion_time_min == 20);
    CHECK(vc.cloud.settings().volume_deletion_time_max == 30);

    // An empty patch changes nothing and succeeds.
    auto before = vc.cloud.settings();
    auto r3 = vc.cloud.update_settings({});
    REQUIRE(r3.has_value());
    CHECK(*r3 == before);
  }

  TEST_CASE("update_settings refuses a bad value or a min above the max after merging") {
    mctest::VirtualCloud vc;
    const auto before = vc.cloud.settings();

    auto r = vc.cloud.update_settings({{{"vm_creation_time_min", 100}}});  // max stays 60
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == mockcloud::ErrorKind::invalid);
    CHECK_FALSE(r.error().fields.empty());
    CHECK(vc.cloud.settings() == before);

    // One good value and one bad: nothing changes.
    auto r2 = vc.cloud.update_settings({{{"vm_creation_time_max", 100}, {"time_scale", -1}}});
    REQUIRE_FALSE(r2.has_value());
    CHECK(r2.error().kind == mockcloud::ErrorKind::invalid);
    CHECK(mctest::find_field(r2.error(), loc("time_scale")) != nullptr);
    CHECK(vc.cloud.settings() == before);

    auto r3 = vc.cloud.update_settings(
        {{{"worker_failure_rate", std::numeric_limits<double>::quiet_NaN()}}});
    REQUIRE_FALSE(r3.has_value());
    CHECK(mctest::find_field(r3.error(), loc("worker_failure_rate")) != nullptr);
    CHECK(vc.cloud.settings() == before);
  }

  TEST_CASE("constructing a manager with invalid settings throws invalid") {
    mockcloud::VirtualClock clock;
    Settings s;
    s.time_scale = 0;
    s.vm_creation_time_min = 100;  // above its max
    try {
      mockcloud::ResourceManager m{{.seed = 1, .settings = s}, clock};
      FAIL("the constructor must refuse invalid settings");
    } catch (const mockcloud::Exception& ex) {
      CHECK(ex.kind() == mockcloud::ErrorKind::invalid);
      CHECK(ex.error().fields.size() == 2u);
    }
  }

  TEST_CASE("constructing a manager keeps the given settings") {
    auto s = mctest::fixed_settings(0.5, 3, 1);
    mctest::VirtualCloud vc{s};
    CHECK(vc.cloud.settings() == s);
  }
}

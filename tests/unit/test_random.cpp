// Rng, keyed draws and UUIDs: determinism, bounds, identity keys and the version-4 layout.
#include <set>

#include "test_support.hpp"

using mockcloud::DrawKey;
using mockcloud::keyed_rng;
using mockcloud::Rng;
using mockcloud::Uuid;

namespace {
std::vector<std::uint64_t> stream(Rng r, int n = 8) {
  std::vector<std::uint64_t> out;
  for (int i = 0; i < n; ++i)
    out.push_back(r.next());
  return out;
}
}  // namespace

TEST_SUITE("random") {
  TEST_CASE("splitmix64 and fnv1a64 match their reference values") {
    std::uint64_t state = 0;
    CHECK(mockcloud::splitmix64(state) == 0xe220a8397b1dcdafull);
    CHECK(mockcloud::fnv1a64("") == 0xcbf29ce484222325ull);
    CHECK(mockcloud::fnv1a64("a") == 0xaf63dc4c8601ec8cull);
  }

  TEST_CASE("Rng is deterministic per seed") {
    CHECK(stream(Rng{7}) == stream(Rng{7}));
    CHECK(stream(Rng{7}) != stream(Rng{8}));
    Rng a{42}, b{42};
    for (int i = 0; i < 100; ++i)
      CHECK(a.below(1000) == b.below(1000));
    for (int i = 0; i < 100; ++i)
      CHECK(a.unit() == b.unit());
  }

  TEST_CASE("below stays within its bound and is uniform") {
    Rng r{1};
    for (int i = 0; i < 1000; ++i)
      CHECK(r.below(1) == 0u);

    std::array<int, 10> counts{};
    for (int i = 0; i < 20000; ++i) {
      auto v = r.below(10);
      REQUIRE(v < 10u);
      ++counts[v];
    }
    for (int c : counts)
      CHECK((c > 1700 && c < 2300));

    const std::uint64_t huge = ~std::uint64_t{0};
    for (int i = 0; i < 1000; ++i)
      CHECK(r.below(huge) < huge);
  }

  TEST_CASE("below has no modulo bias for a bound near 2^64") {
    // With x % bound, bound = 3 * 2^62 would put half the draws below 2^62 instead of a third.
    const std::uint64_t bound = 3ull << 62;
    Rng r{99};
    int low = 0;
    const int n = 30000;
    for (int i = 0; i < n; ++i) {
      auto v = r.below(bound);
      REQUIRE(v < bound);
      if (v < (1ull << 62)) ++low;
    }
    CHECK(static_cast<double>(low) / n == doctest::Approx(1.0 / 3).epsilon(0.06));
  }

  TEST_CASE("unit lies in [0, 1) and between in [lo, hi]") {
    Rng r{3};
    double sum = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
      double u = r.unit();
      REQUIRE(u >= 0.0);
      REQUIRE(u < 1.0);
      sum += u;
    }
    CHECK(sum / n == doctest::Approx(0.5).epsilon(0.03));
    for (int i = 0; i < 1000; ++i) {
      double v = r.between(30.0, 60.0);
      CHECK(v >= 30.0);
      CHECK(v <= 60.0);
    }
    CHECK(r.between(5.0, 5.0) == 5.0);
  }

  TEST_CASE("keyed_rng: the same key gives the same stream") {
    DrawKey k{"vm", "dev", "web-1", 0, "id"};
    CHECK(stream(keyed_rng(42, k)) == stream(keyed_rng(42, k)));
    // The key's strings may live anywhere: only their contents count.
    std::string kind = "vm", env = "dev", name = "web-1", purpose = "id";
    DrawKey copy{kind, env, name, 0, purpose};
    CHECK(stream(keyed_rng(42, copy)) == stream(keyed_rng(42, k)));
  }

  TEST_CASE("keyed_rng: every part of the key and the seed matters") {
    const DrawKey base{"vm", "dev", "web-1", 0, "create"};
    auto ref = stream(keyed_rng(42, base));
    CHECK(stream(keyed_rng(43, base)) != ref);
    CHECK(stream(keyed_rng(42, {"volume", "dev", "web-1", 0, "create"})) != ref);
    CHECK(stream(keyed_rng(42, {"vm", "prod", "web-1", 0, "create"})) != ref);
    CHECK(stream(keyed_rng(42, {"vm", "dev", "web-2", 0, "create"})) != ref);
    CHECK(stream(keyed_rng(42, {"vm", "dev", "web-1", 1, "create"})) != ref);
    CHECK(stream(keyed_rng(42, {"vm", "dev", "web-1", 0, "delete"})) != ref);
    CHECK(stream(keyed_rng(42, {"vm", "dev", "web-1", 0, "id"})) != ref);
  }

  TEST_CASE("keyed_rng: moving characters between parts gives another key") {
    // VM "c" in environment "ab" is not VM "bc" in environment "a".
    auto a = stream(keyed_rng(42, {"vm", "ab", "c", 0, "id"}));
    auto b = stream(keyed_rng(42, {"vm", "a", "bc", 0, "id"}));
    CHECK(a != b);
    auto c = stream(keyed_rng(42, {"vm", "", "abc", 0, "id"}));
    CHECK(a != c);
    auto d = stream(keyed_rng(42, {"vmab", "", "c", 0, "id"}));
    CHECK(a != d);
    auto e = stream(keyed_rng(42, {"vm", "ab", "cid", 0, ""}));
    CHECK(a != e);
  }

  TEST_CASE("Uuid::from_rng has the version-4 layout and is deterministic") {
    Rng r{5}, r2{5};
    std::set<std::string> seen;
    for (int i = 0; i < 2000; ++i) {
      Uuid u = Uuid::from_rng(r);
      CHECK(u == Uuid::from_rng(r2));
      CHECK(((u.hi >> 12) & 0xF) == 4u);
      CHECK((u.lo >> 62) == 2u);
      auto s = u.to_string();
      CAPTURE(s);
      CHECK(mctest::is_uuid_v4(s));
      seen.insert(s);
    }
    CHECK(seen.size() == 2000u);
  }

  TEST_CASE("Uuid prints hi then lo in the canonical form") {
    Uuid u{0x0123456789abcdefull, 0xfedcba9876543210ull};
    CHECK(u.to_string() == "01234567-89ab-cdef-fedc-ba9876543210");
    char buf[36];
    u.write(buf);
    CHECK(std::string(buf, 36) == u.to_string());
    CHECK(Uuid{}.to_string() == "00000000-0000-0000-0000-000000000000");
  }

  TEST_CASE("Uuid::parse round-trips and accepts either case") {
    Rng r{11};
    for (int i = 0; i < 100; ++i) {
      Uuid u = Uuid::from_rng(r);
      Uuid back{};
      REQUIRE(Uuid::parse(u.to_string(), back));
      CHECK(back == u);
      std::string upper = u.to_string();
      for (auto& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      Uuid back2{};
      REQUIRE(Uuid::parse(upper, back2));
      CHECK(back2 == u);
    }
    Uuid mixed{};
    REQUIRE(Uuid::parse("01234567-89AB-cdef-FeDc-ba9876543210", mixed));
    CHECK(mixed == Uuid{0x0123456789abcdefull, 0xfedcba9876543210ull});
  }

  TEST_CASE("Uuid::parse refuses anything but the canonical form") {
    Uuid out{};
    for (const char* bad :
         {"", "01234567-89ab-cdef-fedc-ba987654321", "01234567-89ab-cdef-fedc-ba98765432100",
          "0123456789abcdeffedcba9876543210", "01234567-89ab-cdef-fedcba98-76543210",
          "{01234567-89ab-cdef-fedc-ba9876543210}", "01234567-89ab-cdef-fedc-ba987654321g",
          " 01234567-89ab-cdef-fedc-ba9876543210", "01234567-89ab-cdef-fedc-ba9876543210 ",
          "01234567_89ab_cdef_fedc_ba9876543210", "0123456-789ab-cdef-fedc-ba9876543210",
          "+1234567-89ab-cdef-fedc-ba9876543210"}) {
      CAPTURE(bad);
      CHECK_FALSE(Uuid::parse(bad, out));
    }
  }
}

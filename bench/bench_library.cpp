// The library at scale: create N VMs under a VirtualClock, settle them, then time lookups and
// filtered pages. Each size runs in a child process of its own (this binary re-executed with
// --vms N), so the peak RSS it reports belongs to that size alone.
//
//   mockcloud-bench-library                       # 10k, 100k and 1M VMs, one run each
//   mockcloud-bench-library --repeat 3            # three runs per size, medians printed
//   mockcloud-bench-library --sizes 10000,50000   # other sizes
//   mockcloud-bench-library --vms 100000          # one run in this process, key=value lines
//   mockcloud-bench-library --vms 100000 --event-history 0   # without the events history
//
// See bench/README.md for the figures measured on the project's machine.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <mockcloud/mockcloud.hpp>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t kVmsPerEnvironment = 31'250;  // 1M VMs -> 32 environments of a /16
constexpr std::size_t kLookups = 10'000;
constexpr std::size_t kPageLimit = 100;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double micros(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

/// The p-quantile (0..1) by the nearest-rank method; sorts `v`.
double quantile(std::vector<double>& v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

double median(std::vector<double> v) {
  return quantile(v, 0.5);
}

/// CPU time of this process (user + system), immune to waiting for a core another worker holds.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

long peak_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;  // KiB on Linux
}

/// The skips at which a filtered page is timed: the first pages, then deeper and deeper, and
/// the last full page of `matching` records.
std::vector<std::size_t> page_skips(std::size_t matching) {
  std::vector<std::size_t> skips;
  for (std::size_t s : {std::size_t{0}, std::size_t{1'000}, std::size_t{10'000},
                        std::size_t{100'000}, matching / 2})
    if (s + kPageLimit <= matching) skips.push_back(s);
  if (matching >= kPageLimit) skips.push_back(matching - kPageLimit);
  std::sort(skips.begin(), skips.end());
  skips.erase(std::unique(skips.begin(), skips.end()), skips.end());
  return skips;
}

// ---- one run, in this process ----

int run_one(std::size_t n, std::uint64_t seed, bool queries, std::size_t event_history) {
  std::vector<std::pair<std::string, double>> out;
  auto report = [&out](std::string key, double value) { out.emplace_back(std::move(key), value); };
  report("vms", static_cast<double>(n));
  report("baseline_rss_mib", peak_rss_kib() / 1024.0);

  mockcloud::VirtualClock clock;
  // Default settings: 30..60 s, 10 %.
  mockcloud::ResourceManager cloud{{.seed = seed, .event_history = event_history}, clock};

  const std::size_t env_count =
      std::max<std::size_t>(1, (n + kVmsPerEnvironment - 1) / kVmsPerEnvironment);
  std::vector<std::string> envs;
  for (std::size_t e = 0; e < env_count; ++e) {
    auto env = cloud.create_environment({.name = "bench-" + std::to_string(e),
                                         .cidr = "10." + std::to_string(e % 256) + ".0.0/16"});
    if (!env) {
      std::fprintf(stderr, "create_environment: %s\n", env.error().message.c_str());
      return 1;
    }
    envs.push_back(env->id);
  }
  report("environments", static_cast<double>(env_count));

  // Keep the ids of a random sample only, so that the benchmark's own memory stays out of the
  // peak RSS: every (n / kLookups)-th VM, with a random offset inside each stride.
  mockcloud::Rng pick(seed ^ 0x5bd1e995);
  const std::size_t stride = std::max<std::size_t>(1, n / kLookups);
  std::vector<std::string> sample;
  sample.reserve(n / stride + 1);
  std::size_t next_pick = pick.below(stride);

  const auto t0 = Clock::now();
  const double c0 = cpu_seconds();
  mockcloud::VmSpec spec;
  for (std::size_t i = 0; i < n; ++i) {
    spec.name = "vm-" + std::to_string(i);
    spec.environment_id = envs[i % env_count];
    auto op = cloud.create_vm(spec);
    if (!op) {
      std::fprintf(stderr, "create_vm %zu: %s\n", i, op.error().message.c_str());
      return 1;
    }
    if (i == next_pick) {
      sample.push_back(op->id());
      next_pick = (i / stride + 1) * stride + pick.below(stride);
    }
  }
  const double create_s = seconds_since(t0);
  const double c1 = cpu_seconds();
  const auto t1 = Clock::now();
  const std::size_t fired = clock.run_until_idle();
  const double settle_s = seconds_since(t1);
  const double c2 = cpu_seconds();
  report("create_s", create_s);
  report("settle_s", settle_s);
  report("total_s", create_s + settle_s);
  report("create_cpu_s", c1 - c0);
  report("settle_cpu_s", c2 - c1);
  report("total_cpu_s", c2 - c0);
  report("rss_after_settle_mib", peak_rss_kib() / 1024.0);

  const auto counts = cloud.status_counts();
  const auto running = counts.vms[static_cast<int>(mockcloud::VmStatus::running)];
  const auto error = counts.vms[static_cast<int>(mockcloud::VmStatus::error)];
  const auto creating = counts.vms[static_cast<int>(mockcloud::VmStatus::creating)];
  report("fired", static_cast<double>(fired));
  report("running", static_cast<double>(running));
  report("error", static_cast<double>(error));
  report("running_share", static_cast<double>(running) / static_cast<double>(n));
  if (fired != n || creating != 0 || running + error != n ||
      std::abs(static_cast<double>(running) / static_cast<double>(n) - 0.9) > 0.02) {
    std::fprintf(stderr, "unexpected outcome: fired %zu, running %zu, error %zu, creating %zu\n",
                 fired, running, error, creating);
    return 1;
  }

  if (!queries) {
    report("peak_rss_mib", peak_rss_kib() / 1024.0);
    for (const auto& [key, value] : out)
      std::printf("%s=%.9g\n", key.c_str(), value);
    std::fflush(stdout);
    std::_Exit(0);
  }

  // get_vm over the sampled ids, in a random order (the ids are spread over the whole table).
  for (std::size_t i = sample.size(); i > 1; --i)
    std::swap(sample[i - 1], sample[pick.below(i)]);
  std::vector<double> lat;
  lat.reserve(sample.size());
  for (const auto& id : sample) {
    const auto s = Clock::now();
    auto vm = cloud.get_vm(id);
    const auto d = Clock::now() - s;
    if (!vm) {
      std::fprintf(stderr, "get_vm %s: %s\n", id.c_str(), vm.error().message.c_str());
      return 1;
    }
    lat.push_back(micros(d));
  }
  report("get_samples", static_cast<double>(lat.size()));
  report("get_median_us", quantile(lat, 0.5));
  report("get_p99_us", quantile(lat, 0.99));

  // list_vms(status = running, Page{skip, 100}) at several depths.
  const mockcloud::VmFilter running_only{.status = mockcloud::VmStatus::running};
  for (std::size_t skip : page_skips(running)) {
    lat.clear();
    const auto start = Clock::now();
    // At least 21 pages and up to 1000, for at most ~1.5 s per depth.
    while (lat.size() < 21 || (lat.size() < 1000 && Clock::now() - start < 1500ms)) {
      const auto s = Clock::now();
      auto page = cloud.list_vms(running_only, {.skip = skip, .limit = kPageLimit});
      const auto d = Clock::now() - s;
      if (page.items.size() != kPageLimit || page.total != running ||
          page.items.front().status != mockcloud::VmStatus::running) {
        std::fprintf(stderr, "bad page at skip %zu: %zu items, total %zu\n", skip,
                     page.items.size(), page.total);
        return 1;
      }
      lat.push_back(micros(d));
    }
    const std::string key = "page_" + std::to_string(skip);
    report(key + "_median_us", quantile(lat, 0.5));
    report(key + "_p99_us", quantile(lat, 0.99));
  }

  report("peak_rss_mib", peak_rss_kib() / 1024.0);
  for (const auto& [key, value] : out)
    std::printf("%s=%.9g\n", key.c_str(), value);
  std::fflush(stdout);
  std::_Exit(0);  // the OS frees the million records faster than their destructors would
}

// ---- the driver: one child process per run ----

using Figures = std::map<std::string, double>;

std::optional<Figures> spawn_run(const std::string& self, std::size_t n, std::uint64_t seed) {
  int fds[2];
  if (pipe(fds) != 0) return std::nullopt;
  const pid_t pid = fork();
  if (pid < 0) return std::nullopt;
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    const std::string vms = std::to_string(n), seed_text = std::to_string(seed);
    execl(self.c_str(), self.c_str(), "--vms", vms.c_str(), "--seed", seed_text.c_str(),
          static_cast<char*>(nullptr));
    std::perror("execl");
    std::_Exit(127);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t got; (got = read(fds[0], buf, sizeof buf)) != 0;) {
    if (got < 0) {
      if (errno == EINTR) continue;
      break;
    }
    text.append(buf, static_cast<std::size_t>(got));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  Figures f;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    if (const auto eq = line.find('='); eq != std::string::npos)
      f[line.substr(0, eq)] = std::strtod(line.c_str() + eq + 1, nullptr);
    pos = end + 1;
  }
  return f;
}

std::string human(std::size_t n) {
  if (n >= 1'000'000 && n % 1'000'000 == 0) return std::to_string(n / 1'000'000) + "M";
  if (n >= 1'000 && n % 1'000 == 0) return std::to_string(n / 1'000) + "k";
  return std::to_string(n);
}

/// The skips of a run's page figures, in increasing order.
std::vector<std::size_t> skips_of(const Figures& f) {
  std::vector<std::size_t> skips;
  for (const auto& [key, value] : f)
    if (key.starts_with("page_") && key.ends_with("_median_us"))
      skips.push_back(std::stoull(key.substr(5)));
  std::sort(skips.begin(), skips.end());
  return skips;
}

int drive(const std::vector<std::size_t>& sizes, int repeat, std::uint64_t seed) {
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) {
    std::perror("readlink /proc/self/exe");
    return 1;
  }
  self[len] = '\0';

  std::printf(
      "mockcloud library benchmark: VirtualClock, default settings (30..60 s, failure "
      "rate 0.1), seed %llu, %d run(s) per size, each in its own process\n\n",
      static_cast<unsigned long long>(seed), repeat);
  std::vector<std::pair<std::size_t, Figures>> medians;
  for (std::size_t n : sizes) {
    std::vector<Figures> runs;
    for (int r = 0; r < repeat; ++r) {
      auto f = spawn_run(self, n, seed);
      if (!f) {
        std::fprintf(stderr, "run with %zu VMs failed\n", n);
        return 1;
      }
      std::printf(
          "%5s VMs run %d: create %.3f s + settle %.3f s = %.3f s (CPU %.3f s), peak RSS "
          "%.0f MiB, running %.1f %%, get p50 %.2f us, page(skip 0) p50 %.1f us\n",
          human(n).c_str(), r + 1, (*f)["create_s"], (*f)["settle_s"], (*f)["total_s"],
          (*f)["total_cpu_s"], (*f)["peak_rss_mib"], 100 * (*f)["running_share"],
          (*f)["get_median_us"], (*f)["page_0_median_us"]);
      std::fflush(stdout);
      runs.push_back(std::move(*f));
    }
    Figures m;
    for (const auto& [key, value] : runs.front()) {
      std::vector<double> v;
      for (const auto& run : runs)
        if (auto it = run.find(key); it != run.end()) v.push_back(it->second);
      m[key] = median(v);
    }
    medians.emplace_back(n, std::move(m));
  }

  std::printf("\n%s of %d run(s) per size\n", repeat > 1 ? "Medians" : "Figures", repeat);
  std::printf("%-6s %5s %9s %9s %9s %9s %10s %9s %9s %9s %9s\n", "VMs", "envs", "create s",
              "settle s", "total s", "CPU s", "peak RSS", "running", "get p50", "get p99", "fired");
  for (auto& [n, f] : medians)
    std::printf("%-6s %5.0f %9.3f %9.3f %9.3f %9.3f %6.0f MiB %8.1f%% %6.2f us %6.2f us %9.0f\n",
                human(n).c_str(), f["environments"], f["create_s"], f["settle_s"], f["total_s"],
                f["total_cpu_s"], f["peak_rss_mib"], 100 * f["running_share"], f["get_median_us"],
                f["get_p99_us"], f["fired"]);

  std::printf("\nlist_vms(status=running, Page{skip, 100}): median / p99 in us\n");
  for (auto& [n, f] : medians) {
    std::printf("%-6s", human(n).c_str());
    for (std::size_t skip : skips_of(f)) {
      const std::string key = "page_" + std::to_string(skip);
      std::printf("  skip %zu: %.1f / %.1f", skip, f[key + "_median_us"], f[key + "_p99_us"]);
    }
    std::printf("\n");
  }

  // The targets of the issue, for 1M VMs.
  for (auto& [n, f] : medians) {
    if (n != 1'000'000) continue;
    std::printf("\nTargets at 1M VMs:\n");
    std::printf("  created and settled < 3 s: %.3f s (CPU %.3f s)  %s\n", f["total_s"],
                f["total_cpu_s"], f["total_s"] < 3 ? "met" : "MISSED");
    std::printf("  peak RSS < 1 GiB:          %.0f MiB  %s\n", f["peak_rss_mib"],
                f["peak_rss_mib"] < 1024 ? "met" : "MISSED");
    for (std::size_t skip : skips_of(f)) {
      const double us = f["page_" + std::to_string(skip) + "_median_us"];
      std::printf("  filtered page < 1 ms, skip %-7zu %.1f us  %s\n", skip, us,
                  us < 1000 ? "met" : "MISSED");
    }
  }
  return 0;
}

[[noreturn]] void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--sizes N,N,...] [--repeat R] [--seed S]\n"
               "       %s --vms N [--seed S] [--no-queries] [--event-history H]\n"
               "           (one run in this process; H: ManagerOptions::event_history)\n",
               argv0, argv0);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::size_t> sizes{10'000, 100'000, 1'000'000};
  std::optional<std::size_t> single;
  int repeat = 1;
  std::uint64_t seed = 42;
  bool queries = true;
  std::size_t event_history = mockcloud::ManagerOptions{}.event_history;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--no-queries") {  // with --vms: create and settle only, for profiling
      queries = false;
      continue;
    }
    if (i + 1 >= argc) usage(argv[0]);
    const char* value = argv[++i];
    if (arg == "--vms") {
      single = std::strtoull(value, nullptr, 10);
    } else if (arg == "--repeat") {
      repeat = std::max(1, std::atoi(value));
    } else if (arg == "--event-history") {
      event_history = std::strtoull(value, nullptr, 10);
    } else if (arg == "--seed") {
      seed = std::strtoull(value, nullptr, 10);
    } else if (arg == "--sizes") {
      sizes.clear();
      for (const char* p = value; *p;) {
        char* end = nullptr;
        sizes.push_back(std::strtoull(p, &end, 10));
        p = *end == ',' ? end + 1 : end;
        if (end == p && *p) usage(argv[0]);
      }
    } else {
      usage(argv[0]);
    }
  }
  if (single) {
    if (*single == 0) usage(argv[0]);
    return run_one(*single, seed, queries, event_history);
  }
  if (sizes.empty() || std::find(sizes.begin(), sizes.end(), 0) != sizes.end()) usage(argv[0]);
  return drive(sizes, repeat, seed);
}

// Test control: reset, live settings, injected faults, counters, shutdown.
#include <fmt/format.h>

#include "core.hpp"
#include "validate.hpp"

namespace mockcloud::detail {

namespace {
/// "ids=sequential keep_deleted=true ...": a model in a message.
std::string describe_model(const CloudModel& m) {
  std::string out;
  boost::mp11::mp_for_each<
      boost::describe::describe_members<CloudModel, boost::describe::mod_public>>([&](auto d) {
    if (!out.empty()) out += ' ';
    out += d.name;
    out += '=';
    const auto& v = m.*d.pointer;
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(v)>, bool>)
      out += v ? "true" : "false";
    else
      out += wire::enum_name(v);
  });
  return out;
}
}  // namespace

void Core::reset(std::optional<std::uint64_t> seed) {
  {
    const auto lock = write_lock();
    const Reset e{seed.value_or(seed_), initial_settings_, model_};
    apply(e);
    record(e);
    const CauseScope cause(*this, EventCause::reset);
    note(EventKind::reset, {}, {}, kNoStatus, kNoStatus, current_time());
  }
  settled_cv_.notify_all();
}

void Core::apply(const Reset& e) {
  if (e.model != model_)
    throw StoreError(fmt::format(
        "the journal was written by a cloud of another model ({}), and this one is {}: start "
        "the server with the dialect that wrote it, or use another data directory or database",
        describe_model(e.model), describe_model(model_)));
  reset_to(e.seed, e.settings);
}

void Core::reset_to(std::uint64_t seed, const Settings& settings) {
  ++epoch_;  // timers already popped and handles of the old state see the change
  disarm();
  due_.clear();
  envs_.clear();
  sgs_.clear();
  vms_.clear();
  volumes_.clear();
  tasks_.clear();
  env_names_.clear();
  scopes_.clear();
  sg_names_.clear();
  vm_names_.clear();
  volume_names_.clear();
  std::fill(std::begin(last_id_), std::end(last_id_), 0);
  last_task_of_.clear();
  callbacks_.clear();  // their futures report broken_promise
  image_ids_.clear();
  images_.clear();
  faults_.clear();
  faults_changed();
  faults_created_ = 0;
  status_counts_ = {};
  settings_ = settings;
  seed_ = seed;
  // A reset that another process made moves this one's clock back too.
  if (auto* v = dynamic_cast<VirtualClock*>(&clock_); v && (!replay_at_ || following_)) {
    v->rewind();
    if (pinned_now_) pinned_now_ = v->now();  // the reset's record carries the rewound time
    remote_at_ = v->now();                    // what the other servers wrote before is behind it
  }
}

void Core::shutdown() {
  std::vector<std::function<void(const Event&)>> waiters;  // released outside the locks
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    ++epoch_;
    disarm();
    due_.clear();
    callbacks_.clear();
    std::lock_guard subs(subscribers_mutex_);
    for (const auto& s : subscribers_) {
      s->closed = true;
      if (s->waiter) waiters.push_back(std::move(s->waiter));
      s->waiter = nullptr;
    }
    subscribers_.clear();
    ready_.clear();
    events_changed();
  }
  settled_cv_.notify_all();
  if (shared_) store_->follow(nullptr);  // returns once no call of the store into us runs
  if (auto* v = dynamic_cast<VirtualClock*>(&clock_); v && clock_listener_)
    v->remove_listener(clock_listener_);
  clock_.barrier();  // a completion already running on the clock's thread returns first
}

std::uint64_t Core::seed() const {
  std::lock_guard lock(mutex_);
  return seed_;
}

Settings Core::settings() const {
  std::lock_guard lock(mutex_);
  return settings_;
}

Result<Settings> Core::update_settings(const SettingsPatch& patch) {
  const auto lock = write_lock();
  Settings next = settings_;
  std::vector<FieldError> errors;
  for (const auto& [name, value] : patch.values) {
    if (const SettingField* f = find_setting(name))
      next.*f->member = value;
    else
      errors.push_back({{name}, "Unknown setting", "extra_forbidden"});
  }
  for (auto& e : validate(next))
    errors.push_back(std::move(e));
  if (!errors.empty()) return Error::invalid(std::move(errors));
  const SettingsChanged e{next};
  apply(e);
  record(e);
  return settings_;
}

void Core::apply(const SettingsChanged& e) {
  settings_ = e.settings;
}

Result<Fault> Core::add_fault(const FaultSpec& spec) {
  if (auto errors = validate(spec); !errors.empty()) return Error::invalid(std::move(errors));
  const auto lock = write_lock();
  Rng rng = keyed_rng(seed_, {"fault", {}, {}, faults_created_, "id"});
  Fault f;
  f.id = Uuid::from_rng(rng).to_string();
  if (spec.operation) {
    f.operation = spec.operation;
    f.fail_next = spec.fail_next;
  } else if (spec.route) {
    f.route = normalize_route(*spec.route);
    f.status = static_cast<int>(*spec.status);
    f.rate = spec.rate.value_or(1.0);
  } else {
    f.latency_ms = spec.latency_ms;
  }
  f.created_at = current_time();
  const FaultAdded e{std::move(f)};
  apply(e);
  record(e);
  return faults_.back().fault;
}

void Core::apply(const FaultAdded& e) {
  FaultRecord r;
  r.fault = e.fault;
  if (!Uuid::parse(e.fault.id, r.id)) throw StoreError("journal record is corrupt (a fault id)");
  faults_.push_back(std::move(r));
  ++faults_created_;
  faults_changed();
}

std::vector<Fault> Core::faults() const {
  std::lock_guard lock(mutex_);
  std::vector<Fault> out;
  out.reserve(faults_.size());
  for (const auto& r : faults_)
    out.push_back(r.fault);
  return out;
}

Result<Ok> Core::remove_fault(std::string_view id) {
  const auto lock = write_lock();
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->fault.id == id) {
      const FaultRemoved e{it->fault.id};
      apply(e);
      record(e);
      return Ok{};
    }
  }
  return Error::not_found(fmt::format("Fault {} not found", id));
}

void Core::apply(const FaultRemoved& e) {
  std::erase_if(faults_, [&](const FaultRecord& r) { return r.fault.id == e.id; });
  faults_changed();
}

void Core::clear_faults() {
  const auto lock = write_lock();
  if (faults_.empty()) return;
  const FaultsCleared e;
  apply(e);
  record(e);
}

void Core::apply(const FaultsCleared&) {
  faults_.clear();
  faults_changed();
}

void Core::faults_changed() {
  std::size_t routes = 0;
  std::int64_t latency = 0;
  for (const auto& r : faults_) {
    routes += r.fault.route.has_value();
    latency += r.fault.latency_ms.value_or(0);
  }
  route_faults_.store(routes, std::memory_order_relaxed);
  latency_ms_.store(latency, std::memory_order_relaxed);
}

std::optional<int> Core::draw_route_fault(std::string_view route) {
  if (route_faults_.load(std::memory_order_relaxed) == 0) return std::nullopt;
  const std::string key = normalize_route(route);
  std::lock_guard lock(mutex_);
  for (auto& r : faults_) {
    if (!r.fault.route || *r.fault.route != key) continue;
    Rng rng = keyed_rng(seed_, {"fault", {}, r.fault.id, r.draws++, "route"});
    if (rng.unit() < r.fault.rate.value_or(1.0)) return r.fault.status;
  }
  return std::nullopt;
}

std::chrono::milliseconds Core::injected_latency() const {
  return std::chrono::milliseconds(latency_ms_.load(std::memory_order_relaxed));
}

Counts Core::counts() const {
  std::lock_guard lock(mutex_);
  return {envs_.size(), sgs_.size(), vms_.size(), volumes_.size(), tasks_.size()};
}

StatusCounts Core::status_counts() const {
  std::lock_guard lock(mutex_);
  return status_counts_;
}

}  // namespace mockcloud::detail

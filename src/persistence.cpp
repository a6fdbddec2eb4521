// The journal: recording what each change decided, and loading a journal back (migrating a
// journal of commands, the format before, into a journal of outcomes).
#include <fmt/format.h>
#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include "core.hpp"
#include "journal_codec.hpp"

namespace mockcloud::detail {

namespace {

/// Every kind of record of the current format.
using Events =
    boost::mp11::mp_list<Reset, SettingsChanged, ClockMoved, EnvironmentCreated, EnvironmentDeleted,
                         SecurityGroupCreated, SecurityGroupDeleted, VmCreated, VolumeCreated,
                         DeletionStarted, TaskCompleted, TaskPickedUp, VolumeAttached,
                         VolumeDetached, FaultAdded, FaultRemoved, FaultsCleared>;

bool is_current_kind(std::string_view kind) {
  bool found = false;
  boost::mp11::mp_for_each<Events>([&](auto e) { found = found || decltype(e)::kind == kind; });
  return found;
}

}  // namespace

// ---- recording ----

void Core::append_record(std::string_view kind, std::string body, bool truncates) {
  const TimePoint now = current_time();
  last_recorded_at_ = now;
  Store::Record r{now.time_since_epoch().count(), std::string(kind), std::move(body), truncates};
  if (migrated_) {
    if (truncates) migrated_->clear();
    migrated_->push_back(std::move(r));
  } else {
    applied_seq_ = store_->append(std::move(r));
  }
}

void Core::sync() const {
  if (store_ && wait_for_durability_) store_->wait_durable(store_->last_appended());
}

void Core::after_durable(std::function<void(bool)> callback) const {
  if (!store_) return callback(true);
  store_->after_durable(std::move(callback));
}

void Core::clock_moved(TimePoint now) {
  const auto lock = write_lock();
  if (store_ && !closing_ && now != last_recorded_at_) record(ClockMoved{});
}

// ---- loading ----

void Core::open_store(std::shared_ptr<Store> store) {
  store_ = std::move(store);
  if (store_->shared()) return open_shared();
  events_on_ = false;  // a replay emits nothing
  bool empty = true;
  std::uint64_t seq = 0;
  // A journal of an older format is replayed into a new one, which replaces it at the end.
  std::vector<Store::Record> migrated;
  if (store_->journal_format() < kJournalFormat) migrated_ = &migrated;
  store_->replay([&](const Store::Record& r) {
    empty = false;
    ++seq;
    try {
      if (is_current_kind(r.kind)) {
        replay(r);
        if (migrated_) migrated_->push_back(r);
      } else {
        replay_v1(r);
      }
    } catch (const Exception& e) {
      throw StoreError(
          fmt::format("replaying journal record {} ({}) failed: {}", seq, r.kind, e.what()));
    } catch (const StoreError& e) {
      throw StoreError(
          fmt::format("replaying journal record {} ({}) failed: {}", seq, r.kind, e.what()));
    }
  });
  if (migrated_) {
    migrated_ = nullptr;
    store_->rewrite(std::move(migrated));
  }
  std::unique_lock lock(mutex_);
  const std::optional<TimePoint> resume_at = replay_at_;
  if (replay_at_) last_recorded_at_ = *replay_at_;
  replay_at_.reset();
  {
    std::lock_guard subs(subscribers_mutex_);
    events_changed();
  }
  if (empty) record(Reset{seed_, settings_, model_});
  // The clock, not under our lock: it runs timers and listeners under its own locks, and those
  // take ours (a lock-order inversion otherwise, though nothing of ours is armed yet).
  lock.unlock();
  if (auto* v = dynamic_cast<VirtualClock*>(&clock_)) {
    // A virtual clock resumes where the journal left it.
    if (resume_at && v->now() < *resume_at) v->advance_to(*resume_at);
    clock_listener_ = v->add_listener([this](TimePoint now) { clock_moved(now); });
  }
  lock.lock();
  arm();  // operations in flight resume; a due time that passed fires at once, in due order
}

void Core::replay(const Store::Record& rec) {
  Callbacks none;  // nobody waits on a replayed change
  std::lock_guard lock(mutex_);
  replay_locked(rec, none);
}

void Core::replay_locked(const Store::Record& rec, Callbacks& cbs) {
  replay_at_ = TimePoint{Duration{rec.at}};
  Reader reader(rec.body);
  bool applied = false;
  boost::mp11::mp_for_each<Events>([&](auto tag) {
    using Event = decltype(tag);
    if (applied || Event::kind != rec.kind) return;
    Event e;
    decode(reader, e);
    if (reader.remaining() != 0) throw StoreError("journal record is corrupt (trailing bytes)");
    if constexpr (std::is_same_v<Event, DeletionStarted> || std::is_same_v<Event, TaskCompleted>)
      apply(e, cbs);
    else
      apply(e);
    applied = true;
  });
  if (!applied) throw StoreError(fmt::format("journal record of an unknown kind \"{}\"", rec.kind));
}

}  // namespace mockcloud::detail

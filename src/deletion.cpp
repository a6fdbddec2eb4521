// Deleting a VM or a volume: the steps both share.
#include <fmt/format.h>

#include "core.hpp"
#include "journal_codec.hpp"

namespace mockcloud::detail {
namespace {

// What differs between the kinds: names, settings and statuses.
struct Deletion {
  std::string_view draw_kind, record_kind;
  TaskKind task;
  double Settings::*min;
  double Settings::*max;
};
constexpr Deletion deletion_of(const VmRecord*) {
  return {"vm", "vm.delete", TaskKind::vm_delete, &Settings::vm_deletion_time_min,
          &Settings::vm_deletion_time_max};
}
constexpr Deletion deletion_of(const VolumeRecord*) {
  return {"volume", "volume.delete", TaskKind::volume_delete, &Settings::volume_deletion_time_min,
          &Settings::volume_deletion_time_max};
}

}  // namespace

template <class Record, class Snapshot>
Result<Operation<Snapshot>> Core::delete_async(
    Table<Record>& table, std::string_view id, std::string_view noun,
    const std::function<std::optional<Error>(const Record&)>& blocked) {
  using Status = decltype(Record::status);
  constexpr Deletion d = deletion_of(static_cast<const Record*>(nullptr));
  Callbacks cbs;
  Task revoked;
  std::optional<Operation<Snapshot>> op;
  {
    std::lock_guard lock(mutex_);
    const Slot slot = table.find(id);
    if (slot == kNone) return Error::not_found(fmt::format("{} {} not found", noun, id));
    Record& r = table[slot];
    if (auto error = blocked(r)) return std::move(*error);
    const TimePoint now = current_time();
    if (r.status != Status::deleting) {
      if (r.status == Status::creating) {
        revoke_creation(r.task, now, cbs);
        revoked = snapshot(tasks_[r.task]);
      }
      Rng rng = draw(d.draw_kind, r.env, r.name, r.generation, "delete");
      const Uuid task_id = Uuid::from_rng(rng);
      const double seconds = rng.between(settings_.*d.min, settings_.*d.max);
      if constexpr (std::is_same_v<Record, VmRecord>)
        set_vm_status(slot, VmStatus::deleting);
      else
        set_volume_status(slot, VolumeStatus::deleting);
      r.updated_at = now;
      r.task = start_task(d.task, task_id, r.id, slot, r.task, now, seconds);
      record(d.record_kind, [&] { return Writer().str(r.id.to_string()).take(); });
    }
    op.emplace(shared_from_this(), r.task, epoch_, snapshot(r, now));
  }
  if (!revoked.id.empty()) {  // the creation it cancelled settled
    settled_cv_.notify_all();
    run(cbs, revoked);
  }
  return std::move(*op);
}

Result<Operation<Vm>> Core::delete_vm(std::string_view id) {
  return delete_async<VmRecord, Vm>(vms_, id, "VM", [](const VmRecord&) { return std::nullopt; });
}

Result<Operation<Volume>> Core::delete_volume(std::string_view id) {
  return delete_async<VolumeRecord, Volume>(
      volumes_, id, "Volume", [&](const VolumeRecord& v) -> std::optional<Error> {
        if (v.status != VolumeStatus::in_use) return std::nullopt;
        return Error::conflict(
            fmt::format("Volume {} is in-use, attached to VM {}: detach it first", id,
                        vms_[v.vm].id.to_string()));
      });
}

}  // namespace mockcloud::detail

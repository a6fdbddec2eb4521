// Tasks: the worker's view of asynchronous operations.
#include <algorithm>

#include <fmt/format.h>

#include "core.hpp"
#include "listing.hpp"

namespace mockcloud::detail {

Result<Task> Core::get_task(std::string_view id) const {
  std::lock_guard lock(mutex_);
  const Slot s = tasks_.find(id);
  if (s == kNone) return Error::not_found(fmt::format("Task {} not found", id));
  return snapshot(tasks_[s]);
}

Listing<Task> Core::list_tasks(const TaskFilter& f, Page p) const {
  std::lock_guard lock(mutex_);
  auto snap = [this](const TaskRecord& r) { return snapshot(r); };
  auto match = [state = f.state](const TaskRecord& r) { return !state || r.state == *state; };
  Filter filter;
  if (f.state) filter.status = static_cast<std::uint8_t>(*f.state);
  if (f.resource_id) {
    // A resource has at most a creation and a deletion task: gather, order, page.
    Listing<Task> out;
    Uuid rid;
    if (!Uuid::parse(*f.resource_id, rid)) return out;
    Slot last = kNone;
    if (Slot vm = vms_.find(rid); vm != kNone)
      last = vms_[vm].task;
    else if (Slot vol = volumes_.find(rid); vol != kNone)
      last = volumes_[vol].task;
    else if (auto it = last_task_of_.find(rid); it != last_task_of_.end())
      last = it->second;
    std::vector<OrderEntry> hits;
    for (Slot s = last; s != kNone; s = tasks_[s].previous)
      if (match(tasks_[s])) hits.push_back({tasks_[s].created_at, tasks_[s].id, s});
    std::sort(hits.begin(), hits.end());
    out.total = hits.size();
    for (std::size_t i = p.skip; i < hits.size() && out.items.size() < p.limit; ++i)
      out.items.push_back(snapshot(tasks_[hits[i].slot]));
    return out;
  }
  const std::size_t total =
      f.state ? status_counts_.tasks[static_cast<int>(*f.state)] : tasks_.size();
  return page_of(tasks_, total, p, filter, snap);
}

}  // namespace mockcloud::detail

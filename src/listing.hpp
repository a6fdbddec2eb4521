// Pages of a Table in (created_at, id) order without copying what is not on the page.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core.hpp"

namespace mockcloud::detail {

/// What a list may filter on besides the name: an environment and a status.
struct Filter {
  Filter() = default;
  Filter(Slot e) : env(e) {}  // NOLINT: implicit, so that {env} reads as "this environment"
  Slot env = kNone;
  std::optional<std::uint8_t> status;
  bool matches(Slot e, std::uint8_t s) const {
    return (env == kNone || e == env) && (!status || s == *status);
  }
};

/// Walks the creation order from the `skip`-th match until the page is full. `total` (the
/// filtered count) comes from the caller's counters.
template <class Record, class Snap>
auto page_of(const Table<Record>& table, std::size_t total, Page p, Filter f, Snap&& snap) {
  Listing<decltype(snap(std::declval<const Record&>()))> out;
  out.total = total;
  if (p.skip >= total || p.limit == 0) return out;
  out.items.reserve(std::min(p.limit, total - p.skip));
  const auto status_only = f.env == kNone ? f.status : std::nullopt;
  table.order().walk(
      p.skip, status_only, [&](const OrderEntry& e) { return f.matches(e.env, e.status); },
      [&](const OrderEntry& e) {
        out.items.push_back(snap(table[e.slot]));
        return out.items.size() < p.limit;
      });
  return out;
}

/// A name filter: the live record under each (environment, name) key, filtered and ordered.
template <class Record, class Snap>
auto page_by_name(const Table<Record>& table, const NameTable& names,
                  const std::vector<NameKey>& keys, Page p, Filter f, Snap&& snap) {
  std::vector<OrderEntry> hits;
  for (const auto& key : keys) {
    const NameEntry* name = names.find(key);
    if (!name || name->live == kNone) continue;
    const Record& r = table[name->live];
    if (f.matches(order_env(r), order_status(r))) hits.push_back({r.created_at, r.id, name->live});
  }
  std::sort(hits.begin(), hits.end());
  Listing<decltype(snap(std::declval<const Record&>()))> out;
  out.total = hits.size();
  for (std::size_t i = p.skip; i < hits.size() && out.items.size() < p.limit; ++i)
    out.items.push_back(snap(table[hits[i].slot]));
  return out;
}

/// The name-table keys for `name` in one environment, or in every live one (env == kNone); the
/// one cloud-wide key when the kind's names are unique across the cloud (Core::name_scope), where
/// the environment filter is left to the caller's Filter.
inline std::vector<NameKey> name_keys(const Table<EnvRecord>& envs, Slot env, std::string_view name,
                                      bool cloud_wide) {
  std::vector<NameKey> keys;
  if (cloud_wide) {
    keys.push_back({0, name});
  } else if (env != kNone) {
    keys.push_back({envs[env].scope, name});
  } else {
    for (Slot s = 0; s < envs.capacity(); ++s)
      if (envs[s].alive) keys.push_back({envs[s].scope, name});
  }
  return keys;
}

}  // namespace mockcloud::detail

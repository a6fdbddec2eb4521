// Pages of a Table in (created_at, id) order without copying what is not on the page.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "core.hpp"

namespace mockcloud::detail {

/// Walks the creation order, skipping records that do not match, until the page is full.
/// `total` (the filtered count) comes from the caller's counters, so the walk stops early.
template <class Record, class Match, class Snap>
auto page_of(const Table<Record>& table, std::size_t total, Page p, Match&& match, Snap&& snap) {
  Listing<decltype(snap(std::declval<const Record&>()))> out;
  out.total = total;
  if (p.skip >= total) return out;
  out.items.reserve(std::min(p.limit, total - p.skip));
  std::size_t skipped = 0;
  for (const OrderKey& k : table.order()) {
    if (out.items.size() >= p.limit) break;
    const Record& r = table[k.slot];
    if (!match(r)) continue;
    if (skipped < p.skip) {
      ++skipped;
      continue;
    }
    out.items.push_back(snap(r));
  }
  return out;
}

/// A name filter: the live record under each (environment, name) key, filtered and ordered.
template <class Record, class Snap, class Match>
auto page_by_name(const Table<Record>& table, const NameTable& names,
                  const std::vector<std::string>& keys, Page p, Snap&& snap, Match&& match) {
  std::vector<OrderKey> hits;
  for (const auto& key : keys) {
    auto it = names.find(key);
    if (it == names.end() || it->second.live == kNone) continue;
    const Record& r = table[it->second.live];
    if (match(r)) hits.push_back({r.created_at, r.id, it->second.live});
  }
  std::sort(hits.begin(), hits.end());
  Listing<decltype(snap(std::declval<const Record&>()))> out;
  out.total = hits.size();
  for (std::size_t i = p.skip; i < hits.size() && out.items.size() < p.limit; ++i)
    out.items.push_back(snap(table[hits[i].slot]));
  return out;
}

template <class Record, class Snap>
auto page_by_name(const Table<Record>& table, const NameTable& names,
                  const std::vector<std::string>& keys, Page p, Snap&& snap) {
  return page_by_name(table, names, keys, p, snap, [](const Record&) { return true; });
}

/// The name-table keys for `name` in one environment, or in every live one (env == kNone).
inline std::vector<std::string> name_keys(const Table<EnvRecord>& envs, Slot env,
                                          std::string_view name) {
  std::vector<std::string> keys;
  if (env != kNone) {
    keys.push_back(name_key(envs[env].name, name));
  } else {
    for (const OrderKey& k : envs.order())
      keys.push_back(name_key(envs[k.slot].name, name));
  }
  return keys;
}

}  // namespace mockcloud::detail

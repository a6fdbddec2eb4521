#include "mockcloud/memory.hpp"

#include <atomic>

namespace mockcloud {

namespace {
std::atomic<bool> huge_pages_enabled{true};
}

void set_huge_pages(bool enabled) noexcept {
  huge_pages_enabled.store(enabled, std::memory_order_relaxed);
}

bool huge_pages() noexcept {
  return huge_pages_enabled.load(std::memory_order_relaxed);
}

}  // namespace mockcloud

// An allocator for the big arrays of a table (records, indexes, the due heap): allocations of
// 2 MiB and more are mapped on their own and marked for transparent huge pages, so a table of a
// million records takes a few hundred page faults instead of a few hundred thousand (on a
// virtual machine each fault is costly: it was a fifth of the time to create a million VMs).
// Smaller allocations go to operator new as usual.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

// LeakSanitizer scans the heap but not memory mapped by hand: the mapped arrays are registered as
// root regions, or whatever their records own (an environment's IP bitmap) would look leaked.
#if defined(__SANITIZE_ADDRESS__)
#define MOCKCLOUD_LSAN_ROOTS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define MOCKCLOUD_LSAN_ROOTS 1
#endif
#endif
#ifdef MOCKCLOUD_LSAN_ROOTS
#include <sanitizer/lsan_interface.h>
#endif

namespace mockcloud::detail {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;

inline void* huge_allocate(std::size_t bytes) {
  if (bytes < kHugePage) return ::operator new(bytes);
  const std::size_t size = (bytes + kHugePage - 1) & ~(kHugePage - 1);
  // Map one huge page more than needed, then trim both ends to a 2 MiB boundary.
  void* raw =
      ::mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const auto aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > start) ::munmap(raw, aligned - start);
  const std::size_t tail = start + size + kHugePage - (aligned + size);
  if (tail) ::munmap(reinterpret_cast<void*>(aligned + size), tail);
  ::madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
#ifdef MOCKCLOUD_LSAN_ROOTS
  __lsan_register_root_region(reinterpret_cast<void*>(aligned), size);
#endif
  return reinterpret_cast<void*>(aligned);
}

inline void huge_deallocate(void* p, std::size_t bytes) noexcept {
  if (bytes < kHugePage) return ::operator delete(p);
  const std::size_t size = (bytes + kHugePage - 1) & ~(kHugePage - 1);
#ifdef MOCKCLOUD_LSAN_ROOTS
  __lsan_unregister_root_region(p, size);
#endif
  ::munmap(p, size);
}

template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() noexcept = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(huge_allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { huge_deallocate(p, n * sizeof(T)); }
  friend bool operator==(const HugePageAllocator&, const HugePageAllocator&) noexcept {
    return true;
  }
};

/// A vector whose large buffers use huge pages.
template <class T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace mockcloud::detail

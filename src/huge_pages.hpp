// Memory for the big arrays of a table (records, indexes, the due queue): allocations of 2 MiB and
// more are mapped on their own and marked for transparent huge pages, so a table of a million
// records takes a few hundred page faults instead of a few hundred thousand (on a virtual machine
// each fault is costly: it was a fifth of the time to create a million VMs). Smaller allocations
// go to the heap as usual.
//
// HugePageAllocator serves std containers (record chunks, hash indexes). MappedArray is a growable
// array of plain values (the creation order, positions, the due queue, the name arena) that grows
// by moving page tables (mremap) instead of copying: appending to a big one never stalls the
// request that crosses a power of two, and the pages of its new half are touched only when used.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "mockcloud/memory.hpp"

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
// ThreadSanitizer does not follow memory that mremap moves: its builds copy instead.
#if defined(__SANITIZE_THREAD__)
#define MOCKCLOUD_NO_MREMAP 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MOCKCLOUD_NO_MREMAP 1
#endif
#endif

namespace mockcloud::detail {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;

inline std::size_t huge_round(std::size_t bytes) {
  return (bytes + kHugePage - 1) & ~(kHugePage - 1);
}

/// Maps `bytes` (>= kHugePage) on a 2 MiB boundary, marked for huge pages.
inline void* huge_map(std::size_t bytes) {
  const std::size_t size = huge_round(bytes);
  // Map one huge page more than needed, then trim both ends to a 2 MiB boundary.
  void* raw =
      ::mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const auto aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > start) ::munmap(raw, aligned - start);
  const std::size_t tail = start + size + kHugePage - (aligned + size);
  if (tail) ::munmap(reinterpret_cast<void*>(aligned + size), tail);
  ::madvise(reinterpret_cast<void*>(aligned), size,
            mockcloud::huge_pages() ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
#ifdef MOCKCLOUD_LSAN_ROOTS
  __lsan_register_root_region(reinterpret_cast<void*>(aligned), size);
#endif
  return reinterpret_cast<void*>(aligned);
}

inline void huge_unmap(void* p, std::size_t bytes) noexcept {
  const std::size_t size = huge_round(bytes);
#ifdef MOCKCLOUD_LSAN_ROOTS
  __lsan_unregister_root_region(p, size);
#endif
  ::munmap(p, size);
}

inline void* huge_allocate(std::size_t bytes) {
  return bytes < kHugePage ? ::operator new(bytes) : huge_map(bytes);
}

inline void huge_deallocate(void* p, std::size_t bytes) noexcept {
  if (bytes < kHugePage) return ::operator delete(p);
  huge_unmap(p, bytes);
}

/// Resizes a MappedArray's buffer of `old_bytes` (p: nullptr, from malloc below kHugePage, else
/// from huge_map) to `new_bytes` > old_bytes, keeping its contents.
inline void* mapped_grow(void* p, std::size_t old_bytes, std::size_t new_bytes) {
  if (new_bytes < kHugePage) {
    void* q = std::realloc(p, new_bytes);
    if (!q) throw std::bad_alloc();
    return q;
  }
  void* q = huge_map(new_bytes);
  if (old_bytes < kHugePage) {
    if (p) std::memcpy(q, p, old_bytes);
    std::free(p);
    return q;
  }
#ifndef MOCKCLOUD_NO_MREMAP
  // Move the old pages to the start of the new mapping: page tables move, bytes do not (both
  // ends are 2 MiB aligned, so huge pages move whole).
  const std::size_t old_size = huge_round(old_bytes);
  void* moved = ::mremap(p, old_size, old_size, MREMAP_MAYMOVE | MREMAP_FIXED, q);
  if (moved == q) {
#ifdef MOCKCLOUD_LSAN_ROOTS
    __lsan_unregister_root_region(p, old_size);
#endif
    return q;
  }
#endif
  std::memcpy(q, p, old_bytes);
  huge_unmap(p, old_bytes);
  return q;
}

inline void mapped_free(void* p, std::size_t bytes) noexcept {
  if (!p) return;
  if (bytes < kHugePage) return std::free(p);
  huge_unmap(p, bytes);
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

/// A growable array of trivially copyable values (see the top of this file): the part of
/// std::vector's interface the tables use, with pointers as iterators.
template <class T>
class MappedArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  MappedArray() = default;
  MappedArray(const MappedArray&) = delete;
  MappedArray& operator=(const MappedArray&) = delete;
  MappedArray(MappedArray&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        capacity_(std::exchange(o.capacity_, 0)) {}
  MappedArray& operator=(MappedArray&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
    return *this;
  }
  ~MappedArray() { mapped_free(data_, capacity_ * sizeof(T)); }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  T* data() noexcept { return data_; }
  const T* data() const noexcept { return data_; }
  T* begin() noexcept { return data_; }
  T* end() noexcept { return data_ + size_; }
  const T* begin() const noexcept { return data_; }
  const T* end() const noexcept { return data_ + size_; }
  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  T& front() noexcept { return data_[0]; }
  const T& front() const noexcept { return data_[0]; }
  T& back() noexcept { return data_[size_ - 1]; }
  const T& back() const noexcept { return data_[size_ - 1]; }

  void push_back(const T& v) {
    if (size_ == capacity_) grow(size_ + 1);
    data_[size_++] = v;
  }
  void pop_back() noexcept { --size_; }
  /// Keeps the memory (a cleared array refills without faults).
  void clear() noexcept { size_ = 0; }
  void resize(std::size_t n, const T& v = T{}) {
    if (n > capacity_) grow(n);
    for (std::size_t i = size_; i < n; ++i)
      data_[i] = v;
    size_ = n;
  }
  /// Inserts `v` before `at` (a pointer into this array); returns where it now is.
  T* insert(const T* at, const T& v) {
    const std::size_t i = static_cast<std::size_t>(at - data_);
    if (size_ == capacity_) grow(size_ + 1);
    std::memmove(data_ + i + 1, data_ + i, (size_ - i) * sizeof(T));
    data_[i] = v;
    ++size_;
    return data_ + i;
  }
  /// Appends [first, last).
  template <class It>
  void append(It first, It last) {
    const auto n = static_cast<std::size_t>(std::distance(first, last));
    if (size_ + n > capacity_) grow(size_ + n);
    std::copy(first, last, data_ + size_);
    size_ += n;
  }
  /// Drops the values for which pred is true, keeping the order of the others.
  template <class Pred>
  void erase_if(Pred pred) {
    size_ = static_cast<std::size_t>(std::remove_if(begin(), end(), pred) - begin());
  }

 private:
  void grow(std::size_t need) {
    const std::size_t capacity = std::max({need, 2 * capacity_, std::size_t{16}});
    data_ = static_cast<T*>(mapped_grow(data_, capacity_ * sizeof(T), capacity * sizeof(T)));
    capacity_ = capacity;
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace mockcloud::detail

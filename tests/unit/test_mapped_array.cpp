// MappedArray (src/huge_pages.hpp): the growable array of the tables, which moves from the heap
// to its own 2 MiB-aligned mapping and then grows by moving page tables. Its contents must
// survive every kind of growth.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include <fstream>
#include <sstream>
#include <string>

#include "huge_pages.hpp"
#include "mockcloud/memory.hpp"

using mockcloud::detail::kHugePage;
using mockcloud::detail::MappedArray;

namespace {

/// The VmFlags line of the mapping of /proc/self/smaps that holds `p` ("" if none).
std::string vm_flags(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<std::uintptr_t>(p);
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= at && at < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return {};
}

}  // namespace

TEST_SUITE("mapped array") {
  TEST_CASE("keeps its values while growing from the heap to mappings of 64 MiB") {
    MappedArray<std::uint64_t> a;
    const std::size_t n = 8 * 1024 * 1024;  // 64 MiB of values: several moves of mappings
    std::uint64_t* last_data = nullptr;
    std::size_t mapped_moves = 0;  // new buffers once past 2 MiB: 4, 8, ..., 64 MiB
    for (std::size_t i = 0; i < n; ++i) {
      a.push_back(i * 2654435761u);
      if (a.data() != last_data) {
        if (i * sizeof(std::uint64_t) >= kHugePage) ++mapped_moves;
        last_data = a.data();
      }
    }
    REQUIRE(a.size() == n);
    CHECK(mapped_moves >= 4);
    CHECK(reinterpret_cast<std::uintptr_t>(a.data()) % kHugePage == 0);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i)
      wrong += a[i] != i * 2654435761u;
    CHECK(wrong == 0);
    CHECK(a.back() == (n - 1) * 2654435761u);
  }

  TEST_CASE("insert, append, resize, erase_if and clear behave like a vector") {
    MappedArray<int> a;
    std::vector<int> ref;
    for (int i = 0; i < 300'000; ++i) {  // crosses 2 MiB
      a.push_back(i);
      ref.push_back(i);
    }
    a.insert(a.begin() + 5, -1);
    ref.insert(ref.begin() + 5, -1);
    const int more[] = {7, 8, 9};
    a.append(std::begin(more), std::end(more));
    ref.insert(ref.end(), std::begin(more), std::end(more));
    a.erase_if([](int v) { return v % 3 == 0; });
    std::erase_if(ref, [](int v) { return v % 3 == 0; });
    a.resize(a.size() + 1'000'000, 42);  // crosses more mappings
    ref.resize(ref.size() + 1'000'000, 42);
    REQUIRE(a.size() == ref.size());
    CHECK(std::equal(a.begin(), a.end(), ref.begin()));
    a.pop_back();
    CHECK(a.size() == ref.size() - 1);
    a.clear();
    CHECK(a.empty());
    a.push_back(3);
    CHECK(a.front() == 3);
    MappedArray<int> b = std::move(a);
    CHECK(b.size() == 1);
    CHECK(a.empty());
  }

  TEST_CASE("set_huge_pages() decides how big arrays are advised") {
    const bool before = mockcloud::huge_pages();
    for (bool on : {true, false}) {
      CAPTURE(on);
      mockcloud::set_huge_pages(on);
      CHECK(mockcloud::huge_pages() == on);
      MappedArray<char> a;
      a.resize(3 * kHugePage, 'x');  // its own mapping
      const std::string flags = vm_flags(a.data());
      REQUIRE_FALSE(flags.empty());
      CHECK(flags.find(on ? " hg" : " nh") != std::string::npos);
      CHECK(flags.find(on ? " nh" : " hg") == std::string::npos);
    }
    mockcloud::set_huge_pages(before);
  }
}

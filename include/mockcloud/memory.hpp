// How libmockcloud maps the big arrays of its tables (records, indexes, the creation order).
#pragma once

namespace mockcloud {

/// Process-wide, for arrays mapped after the call: whether arrays of 2 MiB and more ask the
/// kernel for transparent huge pages (madvise MADV_HUGEPAGE; MADV_NOHUGEPAGE when off).
///
/// On (the default): a million VMs take a few hundred page faults instead of a few hundred
/// thousand, the fastest for bulk work such as a test suite's fixture of 100k VMs. Off: each
/// fault zeroes 4 KiB instead of 2 MiB, so no single call pays for a whole huge page (about
/// 5 ms on a virtual machine): what a server answering requests wants. mockcloud-server turns
/// it off (its POST p99 went from ~6 ms to ~3 ms, bench/README.md).
void set_huge_pages(bool enabled) noexcept;
bool huge_pages() noexcept;

}  // namespace mockcloud

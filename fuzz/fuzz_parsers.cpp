// The text parsers: IPv4 addresses and CIDRs (src/net.cpp), RFC 3339 times (src/time.cpp) and
// query strings (http/handlers.cpp). Whatever parses must print back the same (addresses and
// networks are strict: one spelling each) and survive a round trip.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "handlers.hpp"
#include "mockcloud/net.hpp"
#include "mockcloud/time.hpp"

namespace {

[[noreturn]] void fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "%s: \"%.*s\"\n", what, static_cast<int>(input.size()), input.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (auto ip = mockcloud::Ipv4Address::parse(input)) {
    if (ip->to_string() != input) fail("an address does not print back the same", input);
  }
  if (auto cidr = mockcloud::Cidr::parse(input)) {
    if (cidr->to_string() != input) fail("a CIDR does not print back the same", input);
    if (cidr->prefix() < 0 || cidr->prefix() > 32) fail("prefix out of range", input);
    if ((cidr->network().to_uint() & ~cidr->mask()) != 0) fail("host bits set", input);
    if (!cidr->contains(cidr->network()) || !cidr->contains(cidr->broadcast()))
      fail("a CIDR does not contain its ends", input);
  }
  if (auto t = mockcloud::parse_rfc3339(input)) {
    const std::string text = mockcloud::format_rfc3339(*t);
    auto again = mockcloud::parse_rfc3339(text);
    if (!again) fail("a formatted time does not parse", input);
    if (mockcloud::format_rfc3339(*again) != text) fail("a time does not round-trip", input);
  }

  mockcloud::http::Query query(input);
  mockcloud::http::FieldErrors errors;
  (void)query.page(errors);
  (void)query.get("environment_id");
  (void)query.get("status");
  return 0;
}

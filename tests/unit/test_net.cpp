// Ipv4Address and Cidr: strict parsing, printing, membership, size and broadcast.
#include "test_support.hpp"

using mockcloud::Cidr;
using mockcloud::Ipv4Address;

TEST_SUITE("net") {
  TEST_CASE("Ipv4Address parses dotted quads and prints them back") {
    auto a = Ipv4Address::parse("10.0.0.1");
    REQUIRE(a.has_value());
    CHECK(a->to_uint() == 0x0A000001u);
    CHECK(a->to_string() == "10.0.0.1");

    CHECK(Ipv4Address::parse("0.0.0.0")->to_uint() == 0u);
    CHECK(Ipv4Address::parse("255.255.255.255")->to_uint() == 0xFFFFFFFFu);
    CHECK(Ipv4Address::parse("192.168.1.254")->to_uint() == 0xC0A801FEu);
    CHECK(Ipv4Address::parse("172.16.0.10")->to_string() == "172.16.0.10");
    CHECK(Ipv4Address{0xC0A80001u}.to_string() == "192.168.0.1");
    CHECK(Ipv4Address{}.to_string() == "0.0.0.0");
  }

  TEST_CASE("Ipv4Address rejects anything but a strict dotted quad") {
    for (const char* bad : {"",           "10.0.0",     "10.0.0.0.0",
                            "10.0.0.01",  "010.0.0.1",  "00.0.0.1",
                            " 10.0.0.1",  "10.0.0.1 ",  "10.0.0.1\n",
                            "1.2.3.256",  "256.1.1.1",  "1.2.3.-1",
                            "1.2.3.+1",   "a.b.c.d",    "10..0.1",
                            ".10.0.0.1",  "10.0.0.1.",  "10.0.0.1/32",
                            "1.2.3.4x",   "0x0A.0.0.1", "99999999999.0.0.1",
                            "4294967296", "167772161",  "1.2.3.4294967297",
                            "10,0,0,1"}) {
      CAPTURE(bad);
      CHECK_FALSE(Ipv4Address::parse(bad).has_value());
    }
    // An embedded NUL is not the end of the text.
    CHECK_FALSE(Ipv4Address::parse(std::string_view("10.0.0.1\0", 9)).has_value());
  }

  TEST_CASE("Ipv4Address orders by numeric value") {
    CHECK(*Ipv4Address::parse("10.0.0.2") < *Ipv4Address::parse("10.0.0.10"));
    CHECK(*Ipv4Address::parse("9.255.255.255") < *Ipv4Address::parse("10.0.0.0"));
    CHECK(*Ipv4Address::parse("10.0.0.2") == Ipv4Address{0x0A000002u});
  }

  TEST_CASE("Cidr parses networks and prints them back") {
    auto c = Cidr::parse("10.0.0.0/16");
    REQUIRE(c.has_value());
    CHECK(c->network().to_string() == "10.0.0.0");
    CHECK(c->prefix() == 16);
    CHECK(c->to_string() == "10.0.0.0/16");
    CHECK(c->mask() == 0xFFFF0000u);

    CHECK(Cidr::parse("0.0.0.0/0")->to_string() == "0.0.0.0/0");
    CHECK(Cidr::parse("0.0.0.0/0")->mask() == 0u);
    CHECK(Cidr::parse("10.1.2.3/32")->to_string() == "10.1.2.3/32");
    CHECK(Cidr::parse("10.1.2.3/32")->mask() == 0xFFFFFFFFu);
    CHECK(Cidr::parse("192.168.10.16/28")->prefix() == 28);
    CHECK(*Cidr::parse("172.16.0.0/12") == Cidr{Ipv4Address{0xAC100000u}, 12});
  }

  TEST_CASE("Cidr rejects host bits, missing or bad prefixes and bad addresses") {
    for (const char* bad : {"",
                            "10.0.0.0",
                            "10.0.0.0/",
                            "/16",
                            "10.0.0.1/16",
                            "10.0.0.0/33",
                            "10.0.0.0/-1",
                            "10.0.0.0/016",
                            "10.0.0.0/00",
                            "10.0.0.0/16 ",
                            " 10.0.0.0/16",
                            "10.0.0.0/16/16",
                            "10.0.0.0/1a",
                            "10.0.0.0/+16",
                            "10.0.0/16",
                            "10.0.0.00/16",
                            "10.0.0.0//16",
                            "10.0.0.0/4294967312",
                            "192.168.1.0/23",
                            "0.0.0.1/0",
                            "10.0.0.0 /16"}) {
      CAPTURE(bad);
      CHECK_FALSE(Cidr::parse(bad).has_value());
    }
  }

  TEST_CASE("Cidr contains addresses and networks") {
    auto c = *Cidr::parse("10.0.0.0/16");
    CHECK(c.contains(*Ipv4Address::parse("10.0.0.0")));
    CHECK(c.contains(*Ipv4Address::parse("10.0.255.255")));
    CHECK(c.contains(*Ipv4Address::parse("10.0.17.3")));
    CHECK_FALSE(c.contains(*Ipv4Address::parse("10.1.0.0")));
    CHECK_FALSE(c.contains(*Ipv4Address::parse("9.255.255.255")));

    CHECK(c.contains(*Cidr::parse("10.0.16.0/20")));
    CHECK(c.contains(c));
    CHECK_FALSE(c.contains(*Cidr::parse("10.0.0.0/15")));
    CHECK_FALSE(c.contains(*Cidr::parse("10.1.0.0/24")));
    CHECK(Cidr::parse("0.0.0.0/0")->contains(*Ipv4Address::parse("255.255.255.255")));
    CHECK(Cidr::parse("0.0.0.0/0")->contains(*Cidr::parse("192.168.0.0/16")));

    auto host = *Cidr::parse("10.1.2.3/32");
    CHECK(host.contains(*Ipv4Address::parse("10.1.2.3")));
    CHECK_FALSE(host.contains(*Ipv4Address::parse("10.1.2.4")));
  }

  TEST_CASE("Cidr size and broadcast") {
    CHECK(Cidr::parse("10.0.0.0/16")->size() == 65536u);
    CHECK(Cidr::parse("10.0.0.0/28")->size() == 16u);
    CHECK(Cidr::parse("10.0.0.0/32")->size() == 1u);
    CHECK(Cidr::parse("0.0.0.0/0")->size() == (std::uint64_t{1} << 32));

    CHECK(Cidr::parse("10.0.0.0/16")->broadcast().to_string() == "10.0.255.255");
    CHECK(Cidr::parse("192.168.7.240/28")->broadcast().to_string() == "192.168.7.255");
    CHECK(Cidr::parse("172.16.0.0/12")->broadcast().to_string() == "172.31.255.255");
    CHECK(Cidr::parse("0.0.0.0/0")->broadcast().to_string() == "255.255.255.255");
    CHECK(Cidr::parse("10.1.2.3/32")->broadcast().to_string() == "10.1.2.3");
  }
}

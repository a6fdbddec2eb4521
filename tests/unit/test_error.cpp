// Errors: kinds as std::error_code, Result's value/error access, and Exception.
#include "test_support.hpp"

using mockcloud::Error;
using mockcloud::ErrorKind;
using mockcloud::Result;

TEST_SUITE("error") {
  TEST_CASE("ErrorKind is an error code enum of the library's category") {
    std::error_code ec = ErrorKind::not_found;
    CHECK(ec.category() == mockcloud::error_category());
    CHECK(ec.value() == 1);
    CHECK(ec == mockcloud::make_error_code(ErrorKind::not_found));
    CHECK(ec != mockcloud::make_error_code(ErrorKind::conflict));
    CHECK(std::string(mockcloud::error_category().name()).size() > 0);
    for (auto k : {ErrorKind::not_found, ErrorKind::conflict, ErrorKind::invalid,
                   ErrorKind::not_settled, ErrorKind::cancelled}) {
      auto msg = mockcloud::make_error_code(k).message();
      CAPTURE(static_cast<int>(k));
      CHECK_FALSE(msg.empty());
    }
    // Messages tell the kinds apart.
    CHECK(mockcloud::make_error_code(ErrorKind::not_found).message() !=
          mockcloud::make_error_code(ErrorKind::conflict).message());
  }

  TEST_CASE("Error factories") {
    auto nf = Error::not_found("VM x not found");
    CHECK(nf.kind == ErrorKind::not_found);
    CHECK(nf.message == "VM x not found");
    CHECK(nf.fields.empty());
    CHECK(nf.code() == mockcloud::make_error_code(ErrorKind::not_found));
    auto inv = Error::invalid({{mctest::loc("cpu"), "too big", "less_than_equal"}});
    CHECK(inv.kind == ErrorKind::invalid);
    CHECK(inv.message == "too big");
    REQUIRE(inv.fields.size() == 1u);
    CHECK(inv.fields[0].loc == mctest::loc("cpu"));
  }

  TEST_CASE("Result: value or error; value() throws the error") {
    Result<int> ok{5};
    CHECK(ok.has_value());
    CHECK(static_cast<bool>(ok));
    CHECK(*ok == 5);
    CHECK(ok.value() == 5);
    Result<int> bad{Error::conflict("busy")};
    CHECK_FALSE(bad.has_value());
    CHECK(bad.error().kind == ErrorKind::conflict);
    try {
      (void)bad.value();
      FAIL("value() on an error must throw");
    } catch (const mockcloud::Exception& ex) {
      CHECK(ex.kind() == ErrorKind::conflict);
      CHECK(std::string(ex.what()) == "busy");
      CHECK(ex.error().message == "busy");
    }
  }

  TEST_CASE("manager errors carry kind, message and code") {
    mctest::VirtualCloud vc;
    auto r = vc.cloud.get_vm("nope");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::not_found);
    CHECK_FALSE(r.error().message.empty());
    CHECK(r.error().code() == std::error_code(ErrorKind::not_found));
    auto dup1 = vc.cloud.create_environment({.name = "dev"});
    auto dup2 = vc.cloud.create_environment({.name = "dev"});
    REQUIRE_FALSE(dup2.has_value());
    CHECK_FALSE(dup2.error().message.empty());
    CHECK(dup2.error().fields.empty());
    auto inv = vc.cloud.create_environment({.name = ""});
    REQUIRE_FALSE(inv.has_value());
    CHECK_FALSE(inv.error().fields.empty());
    CHECK_FALSE(inv.error().message.empty());
  }
}

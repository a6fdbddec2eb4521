// Raw bytes of one or more pipelined HTTP/1.1 requests, parsed by Beast's request parser with
// the session's limits and answered by Api::handle, as the session does, without a socket.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <string_view>

#include "beast_request.hpp"
#include "fuzz_support.hpp"
#include "mockcloud/http/server.hpp"

namespace bhttp = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& h = fuzz::harness();
  h.next_input();
  static const mockcloud::http::ServerOptions limits;  // the defaults the server runs with
  std::string_view input(reinterpret_cast<const char*>(data), size);
  mockcloud::http::Response response;
  for (int n = 0; n < 8 && !input.empty(); ++n) {  // pipelined requests, as on one connection
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(limits.body_limit);
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.eager(true);
    boost::beast::error_code ec;
    while (!input.empty() && !parser.is_done()) {
      const auto used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
      input.remove_prefix(used);
      if (ec == bhttp::error::need_more) {
        ec = {};
        if (used == 0) break;  // a truncated head: the session would wait for more
        continue;
      }
      if (ec) break;
    }
    if (!ec && !parser.is_done() && input.empty()) parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;  // the session answers 400/413/431 or waits

    const auto& msg = parser.get();
    const auto request = mockcloud::http::to_request(msg);
    // Both dialects answer every request: the original's routes, redirects and errors too.
    h.api.handle(request, response);
    fuzz::check_response(response);
    h.original_api.handle(request, response);
    fuzz::check_response(response);
    if (!msg.keep_alive()) break;
  }
  return 0;
}

// The plain Request (message.hpp) of a request Beast has parsed: what a session hands to
// Api::handle, and what the fuzz target does the same way.
#pragma once

#include <boost/beast/http/message.hpp>

#include "message.hpp"

namespace mockcloud::http {

/// Views into `msg`: keep the message alive while the Request is in use.
template <class Body, class Fields>
Request to_request(const boost::beast::http::request<Body, Fields>& msg) {
  Request request;
  request.method = msg.method_string();
  request.target = msg.target();
  if (auto it = msg.find("X-Request-Id"); it != msg.end()) request.request_id = it->value();
  if (auto it = msg.find("Idempotency-Key"); it != msg.end()) request.idempotency_key = it->value();
  request.body = msg.body();
  if (auto it = msg.find(boost::beast::http::field::content_type); it != msg.end())
    request.content_type = it->value();
  if (auto it = msg.find(boost::beast::http::field::authorization); it != msg.end())
    request.authorization = it->value();
  if (auto it = msg.find("Last-Event-ID"); it != msg.end()) request.last_event_id = it->value();
  if (auto it = msg.find(boost::beast::http::field::origin); it != msg.end()) {
    request.origin = it->value();
    if (msg.method() == boost::beast::http::verb::options) {
      if (auto m = msg.find(boost::beast::http::field::access_control_request_method);
          m != msg.end())
        request.cors_request_method = m->value();
      if (auto h = msg.find(boost::beast::http::field::access_control_request_headers);
          h != msg.end())
        request.cors_request_headers = h->value();
    }
  }
  return request;
}

}  // namespace mockcloud::http

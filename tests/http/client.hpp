// A tiny blocking HTTP/1.1 client over POSIX sockets for the server tests: keep-alive capable,
// raw writes for malformed or pipelined requests, every read bounded by a receive timeout.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace test {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string header(std::string name) const {
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
  }
  bool has_header(std::string name) const {
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return headers.count(name) != 0;
  }
  boost::json::value json() const { return boost::json::parse(body); }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class Client {
 public:
  /// `receive_buffer`: SO_RCVBUF in bytes before connecting (0: the system's), to read slowly.
  explicit Client(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5),
                  int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    if (receive_buffer > 0)
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect failed");
    }
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Sends one request (with Content-Length when there is a body) and reads its response.
  HttpResponse request(std::string_view method, std::string_view target, std::string_view body = {},
                       const Headers& headers = {}) {
    send_raw(format(method, target, body, headers));
    return read_response();
  }
  HttpResponse get(std::string_view target, const Headers& headers = {}) {
    return request("GET", target, {}, headers);
  }
  HttpResponse post(std::string_view target, std::string_view body = {},
                    const Headers& headers = {}) {
    return request("POST", target, body, headers);
  }
  HttpResponse patch(std::string_view target, std::string_view body, const Headers& headers = {}) {
    return request("PATCH", target, body, headers);
  }
  HttpResponse del(std::string_view target) { return request("DELETE", target); }

  /// A body goes with `Content-Type: application/json` unless `headers` has a Content-Type of
  /// its own; one with an empty value sends none.
  static std::string format(std::string_view method, std::string_view target,
                            std::string_view body = {}, const Headers& headers = {}) {
    std::string out;
    out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    bool own_content_type = false;
    for (const auto& [k, v] : headers) {
      if (is_content_type(k)) {
        own_content_type = true;
        if (v.empty()) continue;
      }
      out.append(k).append(": ").append(v).append("\r\n");
    }
    if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
      if (!own_content_type) out.append("Content-Type: application/json\r\n");
      out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    }
    out.append("\r\n").append(body);
    return out;
  }

  static bool is_content_type(std::string_view name) {
    constexpr std::string_view expected = "content-type";
    if (name.size() != expected.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(name[i])) != expected[i]) return false;
    return true;
  }

  void send_raw(std::string_view data) {
    while (!data.empty()) {
      const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed: " + std::to_string(errno));
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  /// Reads one response; throws on timeout or when the server closes first.
  HttpResponse read_response() {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
      fill();
    HttpResponse r;
    std::string_view head(buffer_.data(), end);
    const auto line_end = head.find("\r\n");
    const std::string_view status_line = head.substr(0, line_end);
    if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12)
      throw std::runtime_error("bad status line: " + std::string(status_line));
    r.status = std::stoi(std::string(status_line.substr(9, 3)));
    std::string_view rest =
        line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
    while (!rest.empty()) {
      auto eol = rest.find("\r\n");
      std::string_view line = rest.substr(0, eol);
      rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 2);
      auto colon = line.find(':');
      std::string name(line.substr(0, colon));
      for (auto& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
      r.headers[name] = std::string(value);
    }
    buffer_.erase(0, end + 4);
    std::size_t length = 0;
    if (auto it = r.headers.find("content-length"); it != r.headers.end())
      length = std::stoul(it->second);
    while (buffer_.size() < length)
      fill();
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }

  /// Reads up to and including the next `delimiter`, and returns that text without it.
  std::string read_until(std::string_view delimiter) {
    std::size_t at;
    while ((at = buffer_.find(delimiter)) == std::string::npos)
      fill();
    std::string text = buffer_.substr(0, at);
    buffer_.erase(0, at + delimiter.size());
    return text;
  }

  /// Reads until the server closes the connection, and returns what came; throws on timeout.
  std::string read_to_end() {
    for (;;) {
      char buf[65536];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0 || (n < 0 && errno == ECONNRESET)) break;
      if (n < 0) throw std::runtime_error("recv failed (timeout?): " + std::to_string(errno));
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
    return std::exchange(buffer_, {});
  }

  /// True when the server closes the connection (EOF or reset) within the receive timeout.
  bool closed_by_peer() {
    char c;
    const auto n = ::recv(fd_, &c, 1, 0);
    if (n == 0) return true;
    if (n < 0 && (errno == ECONNRESET || errno == EPIPE)) return true;
    if (n > 0) buffer_ += c;
    return false;
  }

 private:
  void fill() {
    char buf[65536];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) throw std::runtime_error("connection closed by the server");
    if (n < 0) throw std::runtime_error("recv failed (timeout?): " + std::to_string(errno));
    buffer_.append(buf, static_cast<std::size_t>(n));
  }

  int fd_ = -1;
  std::string buffer_;
};

inline std::string str(const boost::json::value& v) {
  return std::string(v.as_string().data(), v.as_string().size());
}

}  // namespace test

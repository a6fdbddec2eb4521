// JSON serialization into a reused buffer (about 4x faster than json::value_from + serialize, see
// docs/design-notes.md): the primitives, and the resources through wire.hpp's writer.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <iterator>

#include "json_io.hpp"
#include "wire.hpp"

namespace mockcloud::http {
namespace {

constexpr char kHex[] = "0123456789abcdef";

/// The length of the well-formed UTF-8 sequence (RFC 3629) starting at s[i], a byte >= 0x80;
/// 0 when it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const auto lead = at(i);
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xbf;  // the range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    n = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    n = 3;
    if (lead == 0xe0) lo = 0xa0;  // no overlong forms
    if (lead == 0xed) hi = 0x9f;  // no surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    n = 4;
    if (lead == 0xf0) lo = 0x90;
    if (lead == 0xf4) hi = 0x8f;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size() || at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if ((at(i + k) & 0xc0) != 0x80) return 0;
  return n;
}

}  // namespace

void write_loc_element(std::string& out, const PathElement& e) {
  if (const auto* s = std::get_if<std::string>(&e))
    write_string(out, *s);
  else
    write_int(out, static_cast<std::int64_t>(std::get<std::size_t>(e)));
}

void write_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t run = 0;  // start of the current run of characters that need no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') continue;
    if (c >= 0x80) {
      // Text from a request (an id in a path) may be any bytes; JSON must be UTF-8, so what
      // is not becomes U+FFFD, as a UTF-8 decoder with errors="replace" would have it.
      if (const auto n = utf8_sequence(s, i)) {
        i += n - 1;
        continue;
      }
      out.append(s.data() + run, i - run);
      run = i + 1;
      out += "\\ufffd";
      continue;
    }
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void write_time(std::string& out, TimePoint t) {
  char buf[24];
  format_rfc3339(t, buf);
  out += '"';
  out.append(buf, sizeof buf);
  out += '"';
}

void write_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void write_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  const auto start = out.size();
  fmt::format_to(std::back_inserter(out), "{}", d);
  if (out.find_first_of(".e", start) == std::string::npos) out += ".0";
}

// The resources: the generic writer over their declarations (wire.hpp).
void write_json(std::string& out, const Environment& e) {
  JsonWriter<>::value(out, e);
}
void write_json(std::string& out, const SecurityGroup& g) {
  JsonWriter<>::value(out, g);
}
void write_json(std::string& out, const Vm& vm) {
  JsonWriter<>::value(out, vm);
}
void write_json(std::string& out, const Volume& v) {
  JsonWriter<>::value(out, v);
}
void write_json(std::string& out, const Task& t) {
  JsonWriter<>::value(out, t);
}
void write_json(std::string& out, const Fault& f) {
  JsonWriter<>::value(out, f);
}

void write_json(std::string& out, const Settings& s) {
  out += '{';
  bool first = true;
  for (const auto& field : setting_fields()) {
    if (!first) out += ',';
    first = false;
    write_string(out, field.name);
    out += ':';
    write_double(out, s.*field.member);
  }
  out += '}';
}

void write_detail(std::string& out, std::string_view message) {
  out += "{\"detail\":";
  write_string(out, message);
  out += '}';
}

void write_field_errors(std::string& out, const std::vector<FieldError>& errors) {
  out += "{\"detail\":[";
  for (std::size_t i = 0; i < errors.size(); ++i) {
    const auto& e = errors[i];
    if (i != 0) out += ',';
    out += "{\"type\":";
    write_string(out, e.type);
    out += ",\"loc\":[";
    for (std::size_t j = 0; j < e.loc.size(); ++j) {
      if (j != 0) out += ',';
      write_loc_element(out, e.loc[j]);
    }
    out += "],\"msg\":";
    write_string(out, e.msg);
    out += '}';
  }
  out += "]}";
}

}  // namespace mockcloud::http

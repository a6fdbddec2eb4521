// The JSON mapping of the described resources and specs (mockcloud/describe.hpp): one generic
// writer and one generic reader over the declared fields, parameterized by a wire dialect that
// says how field names and enumerators are spelled. ApiDialect is this service's API; another
// dialect (the original service's: other names, `in_use`) is another struct of the same shape.
#pragma once

#include <boost/describe.hpp>
#include <boost/mp11/algorithm.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "json_io.hpp"
#include "mockcloud/describe.hpp"

namespace mockcloud::http {

/// Members of the library's types that this service's own dialect does not carry: they are
/// the original dialect's (original/), kept in the library for it.
template <class T>
constexpr bool api_hides(std::string_view) {
  return false;
}
template <>
constexpr bool api_hides<Vm>(std::string_view field) {
  return field == "instance_type";
}
template <>
constexpr bool api_hides<VmSpec>(std::string_view field) {
  return field == "instance_type";
}
template <>
constexpr bool api_hides<SecurityGroup>(std::string_view field) {
  return field == "rules_text";
}
template <>
constexpr bool api_hides<SecurityGroupSpec>(std::string_view field) {
  return field == "rules_text";
}

/// This service's wire format: fields by their declared names, enums by the library's names.
struct ApiDialect {
  template <class E>
  static constexpr wire::Spelling spelling = wire::spelling<E>;
  static constexpr std::string_view field(std::string_view declared) { return declared; }
  template <class T>
  static constexpr bool hides(std::string_view declared) {
    return api_hides<T>(declared);
  }
};

using mockcloud::wire::is_described;
using mockcloud::wire::is_optional;

/// Calls f(descriptor) for each described public member of T, in declaration order.
template <class T, class F>
void for_each_field(F&& f) {
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(f);
}
/// The same, for the members that `Dialect` carries.
template <class T, class Dialect, class F>
void for_each_wire_field(F&& f) {
  for_each_field<T>([&](auto d) {
    if constexpr (!Dialect::template hides<T>(decltype(d)::name)) f(d);
  });
}
template <class T, class D>
using member_type = std::remove_cvref_t<decltype(std::declval<T&>().*D::pointer)>;

// ---- writing ----

/// `{"name":` for the first field, `,"name":` for the others, spelled at compile time.
template <class Dialect, class D, bool First>
struct FieldKey {
  static constexpr auto text = [] {
    struct {
      char text[64]{};
      std::size_t size = 0;
      constexpr std::string_view view() const noexcept { return {text, size}; }
    } k;
    k.text[k.size++] = First ? '{' : ',';
    k.text[k.size++] = '"';
    for (char c : Dialect::field(D::name))
      k.text[k.size++] = c;  // a name over 60 characters does not compile (out of bounds)
    k.text[k.size++] = '"';
    k.text[k.size++] = ':';
    return k;
  }();
};

template <class Dialect = ApiDialect>
struct JsonWriter {
  static void value(std::string& out, const std::string& s) { write_string(out, s); }
  static void value(std::string& out, int v) { write_int(out, v); }
  static void value(std::string& out, std::int64_t v) { write_int(out, v); }
  static void value(std::string& out, double v) { write_double(out, v); }
  static void value(std::string& out, TimePoint t) { write_time(out, t); }
  static void value(std::string& out, const Cidr& c) { write_string(out, c.to_string()); }
  static void value(std::string& out, Ipv4Address a) { write_string(out, a.to_string()); }
  /// A type that writes itself (a dialect's own spelling of a value).
  template <class T>
  requires requires(const T& v, std::string& o) { v.write_json(o); }
  static void value(std::string& out, const T& v) { v.write_json(out); }
  template <class E>
  requires std::is_enum_v<E>
  static void value(std::string& out, E e) {
    out += '"';  // wire names need no escaping
    out += wire::enum_name<E, Dialect::template spelling<E>>(e);
    out += '"';
  }
  template <class T>
  static void value(std::string& out, const std::optional<T>& v) {
    if (v)
      value(out, *v);
    else
      out += "null";
  }
  template <class T>
  static void value(std::string& out, const std::vector<T>& items) {
    out += '[';
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i != 0) out += ',';
      value(out, items[i]);
    }
    out += ']';
  }
  template <class T>
  requires is_described<T>
  static void value(std::string& out, const T& object) {
    bool first = true;
    for_each_wire_field<T, Dialect>([&](auto d) {
      using D = decltype(d);
      out += first ? FieldKey<Dialect, D, true>::text.view()
                   : FieldKey<Dialect, D, false>::text.view();
      first = false;
      value(out, object.*D::pointer);
    });
    out += '}';
  }
};

/// `{"type":"string","enum":[...]}`: E's JSON schema, spelled at compile time.
template <class E, wire::Spelling S = wire::spelling<E>>
inline constexpr auto enum_schema = [] {
  struct {
    char text[256]{};
    std::size_t size = 0;
    constexpr std::string_view view() const noexcept { return {text, size}; }
  } s;
  auto put = [&](std::string_view t) {
    for (char c : t)
      s.text[s.size++] = c;
  };
  put(R"({"type":"string","enum":[)");
  for (std::size_t i = 0; i < wire::default_model_enumerators<E>; ++i) {
    if (i != 0) put(",");
    put("\"");
    put(wire::enum_names<E, S>[i].view());
    put("\"");
  }
  put("]}");
  return s;
}();

// ---- reading ----

/// What the declarations do not say about reading a spec: the fields a request must give, and
/// what a rule depends on. Specialized beside each spec below.
template <class Spec>
struct ReadRules {
  static constexpr std::string_view required[] = {""};
  /// Called when `field` held a name that is no enumerator (the value is left as it was).
  static void unknown_name(Spec&, std::string_view /*field*/) {}
};
template <>
struct ReadRules<EnvironmentSpec> {
  static constexpr std::string_view required[] = {"name"};
  static void unknown_name(EnvironmentSpec&, std::string_view) {}
};
template <>
struct ReadRules<SecurityRuleSpec> {
  static constexpr std::string_view required[] = {""};
  static void unknown_name(SecurityRuleSpec& rule, std::string_view field) {
    if (field == "protocol") {  // the port rules depend on the protocol: not checked without one
      rule.port_range_min.reset();
      rule.port_range_max.reset();
    }
  }
};
template <>
struct ReadRules<SecurityGroupSpec> {
  static constexpr std::string_view required[] = {"name", "environment_id"};
  static void unknown_name(SecurityGroupSpec&, std::string_view) {}
};
template <>
struct ReadRules<VmSpec> {
  static constexpr std::string_view required[] = {"name", "environment_id"};
  static void unknown_name(VmSpec&, std::string_view) {}
};
template <>
struct ReadRules<VolumeSpec> {
  static constexpr std::string_view required[] = {"name", "environment_id", "size_gb"};
  static void unknown_name(VolumeSpec&, std::string_view) {}
};
template <>
struct ReadRules<FaultSpec> {
  static constexpr std::string_view required[] = {""};
  static void unknown_name(FaultSpec&, std::string_view) {}
};

template <class Spec>
constexpr bool is_required(std::string_view field) {
  for (auto r : ReadRules<Spec>::required)
    if (r == field) return true;
  return false;
}

/// Reads the described fields of `T` from a JSON object; `Top` is the request's spec (for the
/// order of its errors).
template <class Top, class Dialect = ApiDialect>
struct SpecReader {
  template <class T>
  static void object(const json::object& body, FieldErrors& errors, std::vector<PathElement> base,
                     T& out) {
    ObjectReader r{body, errors, std::move(base)};
    std::string_view unknown[boost::mp11::mp_size<
        boost::describe::describe_members<T, boost::describe::mod_public>>::value];
    std::size_t unknowns = 0;
    for_each_wire_field<T, Dialect>([&](auto d) {
      using D = decltype(d);
      if (!field(r, Dialect::field(D::name), is_required<T>(D::name), out.*D::pointer))
        unknown[unknowns++] = D::name;
    });
    for (std::size_t i = 0; i < unknowns; ++i)  // once every field is read
      ReadRules<T>::unknown_name(out, unknown[i]);
  }

 private:
  // Each returns false when the member held an unknown enumerator name.
  static bool field(ObjectReader& r, std::string_view key, bool required, std::string& out) {
    r.string(key, out, required);
    return true;
  }
  static bool field(ObjectReader& r, std::string_view key, bool required, std::int64_t& out) {
    if (lax(r, key, out)) return true;
    r.integer(key, out, required);
    return true;
  }
  static bool field(ObjectReader& r, std::string_view key, bool, std::optional<int>& out) {
    r.integer(key, out);
    return true;
  }
  static bool field(ObjectReader& r, std::string_view key, bool, std::optional<std::int64_t>& out) {
    std::int64_t v = 0;
    if (lax(r, key, v)) {
      out = v;
      return true;
    }
    r.nullable_integer(key, out);
    return true;
  }
  /// pydantic's lax integers, for a dialect that asks for them (`lax_integers`): a string of
  /// digits ("42", " -7 ") or a boolean is an integer. True when it handled the member.
  static bool lax(ObjectReader& r, std::string_view key, std::int64_t& out) {
    if constexpr (requires { Dialect::lax_integers; }) {
      if constexpr (Dialect::lax_integers) {
        const auto* v = r.find(key);
        if (v == nullptr || !(v->is_string() || v->is_bool())) return false;
        if (v->is_bool()) {
          out = v->get_bool() ? 1 : 0;
          return true;
        }
        if (auto i = parse_lax_integer(v->get_string()))
          out = *i;
        else
          r.errors().add(r.loc(key),
                         "Input should be a valid integer, unable to parse string as an integer",
                         "int_parsing");
        return true;
      }
    }
    (void)r, (void)key, (void)out;
    return false;
  }
  static bool field(ObjectReader& r, std::string_view key, bool, std::optional<double>& out) {
    r.nullable_number(key, out);
    return true;
  }
  static bool field(ObjectReader& r, std::string_view key, bool, std::optional<std::string>& out) {
    r.nullable_string(key, out);
    return true;
  }
  static bool field(ObjectReader& r, std::string_view key, bool, std::vector<std::string>& out) {
    r.string_list(key, out);
    return true;
  }
  template <class E>
  requires std::is_enum_v<E>
  static bool field(ObjectReader& r, std::string_view key, bool, E& out) {
    return r.enumeration<Top, E, Dialect::template spelling<E>>(key, out);
  }
  template <class E>
  requires std::is_enum_v<E>
  static bool field(ObjectReader& r, std::string_view key, bool, std::optional<E>& out) {
    return r.nullable_enumeration<Top, E, Dialect::template spelling<E>>(key, out);
  }
  template <class T>
  requires is_described<T>
  static bool field(ObjectReader& r, std::string_view key, bool, std::vector<T>& out) {
    const auto* v = r.find(key);
    if (v == nullptr) return true;
    if (!v->is_array()) {
      r.errors().add(r.loc(key), std::string(type_error_message("list_type")), "list_type");
      return true;
    }
    const auto& array = v->get_array();
    out.reserve(array.size());
    for (std::size_t i = 0; i < array.size(); ++i) {
      auto base = r.loc(key);
      base.emplace_back(i);
      if (!array[i].is_object()) {
        r.errors().add(std::move(base), std::string(type_error_message("model_attributes_type")),
                       "model_attributes_type");
        continue;
      }
      T item;
      object(array[i].get_object(), r.errors(), std::move(base), item);
      out.push_back(std::move(item));
    }
    return true;
  }
};

template <class Spec, class Dialect = ApiDialect>
Spec read_spec(const json::object& body, FieldErrors& errors) {
  Spec spec;
  SpecReader<Spec, Dialect>::object(body, errors, {}, spec);
  return spec;
}

}  // namespace mockcloud::http

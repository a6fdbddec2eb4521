// GET /openapi.json: the OpenAPI 3.1 document, generated from the route table that the router
// dispatches on (each Route's RouteDoc), so that the two cannot drift apart. The schemas below
// describe exactly what json_write.cpp writes (additionalProperties: false on responses) and what
// json_read.cpp accepts; the OpenAPI tests validate real responses against them.
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <set>
#include <span>
#include <string>

#include "mockcloud/settings.hpp"
#include "openapi.hpp"
#include "route_docs.hpp"
#include "service.hpp"
#include "wire.hpp"

#ifndef MOCKCLOUD_VERSION
#define MOCKCLOUD_VERSION "0.0.0"
#endif

namespace mockcloud::http {
namespace {

namespace json = boost::json;

constexpr std::string_view description =
    R"(A mock cloud for tests: environments (isolated IPv4 networks), security groups, VMs and block volumes, whose creation and deletion take simulated time and sometimes fail.

* Every route answers with and without a trailing slash. This document spells a collection with it (`/api/v1/vms/`) and everything else without (`/api/v1/vms/{id}`, `/api/v1/volumes/{id}/detach`, `/health`), as clients send them: a request matched exactly against these paths lands on its operation.
* Every response carries `X-Request-Id` (echoed from the request if given).
* Errors have FastAPI's shapes: `{"detail": "..."}`, and for 422 `{"detail": [{"loc", "msg", "type"}]}`.
* A known path with a method it does not have answers 405 `{"detail": "Method Not Allowed"}` with an `Allow` header; an unknown path 404 `{"detail": "Not Found"}`.
* CORS: a request with an `Origin` (every origin by default, `--cors-origins`) gets `Access-Control-Allow-Origin` and `Access-Control-Expose-Headers`; a browser's `OPTIONS` preflight on a known path answers 200 without a body.
* A request body over the limit (1 MiB by default, `--max-body-bytes`) answers 413; a connection over `--max-connections` gets 503. Route faults injected with `POST /_mock/faults` make an `/api/v1` route answer the configured status (400..599) with `{"detail": "injected fault"}`.
* The `/_mock` routes (tag *test control*) are not in the original service: they reset the state, change the settings, move a virtual clock and inject faults.)";

// Component schemas of what has no declaration in mockcloud/describe.hpp; the resources and the
// request bodies are generated from their declarations (described_schemas below).
constexpr std::string_view schemas_json = R"json({
"ErrorDetail": {
  "type": "object", "title": "ErrorDetail",
  "description": "FastAPI's error body for every error but validation errors",
  "required": ["detail"], "additionalProperties": false,
  "properties": {"detail": {"type": "string", "examples": ["VM 3f2c5a4e-0000-4000-8000-000000000000 not found"]}}
},
"ValidationError": {
  "type": "object", "title": "ValidationError",
  "required": ["loc", "msg", "type"],
  "properties": {
    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "description": "Where: [\"body\", \"cpu\"], [\"query\", \"limit\"], [\"body\", \"rules\", 0, \"protocol\"]"},
    "msg": {"type": "string"},
    "type": {"type": "string", "examples": ["missing", "int_type", "less_than_equal", "json_invalid"]}
  }
},
"HTTPValidationError": {
  "type": "object", "title": "HTTPValidationError",
  "required": ["detail"], "additionalProperties": false,
  "properties": {"detail": {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}}}
},
"Name": {"type": "string", "minLength": 1, "maxLength": 63, "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$"},
"Id": {"type": "string", "format": "uuid"},
"Timestamp": {"type": "string", "format": "date-time", "description": "RFC 3339 UTC with milliseconds, from the cloud's clock", "examples": ["2030-01-01T00:00:00.000Z"]},
"Counts": {
  "type": "object", "title": "Counts", "additionalProperties": false,
  "required": ["environments", "security_groups", "vms", "volumes", "tasks"],
  "properties": {
    "environments": {"type": "integer", "minimum": 0},
    "security_groups": {"type": "integer", "minimum": 0},
    "vms": {"type": "integer", "minimum": 0},
    "volumes": {"type": "integer", "minimum": 0},
    "tasks": {"type": "integer", "minimum": 0}
  }
},
"Health": {
  "type": "object", "title": "Health", "additionalProperties": false,
  "required": ["status", "version", "clock", "now", "uptime_s"],
  "properties": {
    "status": {"type": "string", "enum": ["healthy", "unhealthy"]},
    "version": {"type": "string"},
    "clock": {"type": "string", "enum": ["system", "virtual"]},
    "now": {"$ref": "#/components/schemas/Timestamp"},
    "uptime_s": {"type": "number", "minimum": 0, "description": "Real seconds since the process started"},
    "database": {"type": "string", "enum": ["connected", "unreachable"],
                 "description": "With --database-url only: whether PostgreSQL answers"},
    "counts": {"$ref": "#/components/schemas/Counts", "description": "When healthy"},
    "detail": {"type": "string", "description": "When unhealthy: why"}
  }
},
"Reset": {
  "type": "object", "title": "Reset",
  "properties": {"seed": {"type": ["integer", "null"], "minimum": 0, "maximum": 18446744073709551615,
                          "description": "The new seed; omitted or null keeps the current one"}}
},
"Clock": {
  "type": "object", "title": "Clock", "additionalProperties": false, "required": ["mode", "now"],
  "properties": {
    "mode": {"type": "string", "enum": ["system", "virtual"]},
    "now": {"$ref": "#/components/schemas/Timestamp"}
  }
},
"Event": {
  "type": "object", "title": "Event", "additionalProperties": false,
  "required": ["seq", "at", "kind", "cause", "id", "environment_id", "from", "to", "task_id", "vm_id"],
  "properties": {
    "seq": {"type": "integer", "minimum": 0, "description": "1, 2, ... in the order the changes were applied; a resync marker's is the last event it stands for"},
    "at": {"$ref": "#/components/schemas/Timestamp"},
    "kind": {"type": "string", "enum": ["vm", "volume", "environment", "security_group", "reset", "resync"]},
    "cause": {"type": "string", "enum": ["request", "timer", "fault", "reset"]},
    "id": {"type": ["string", "null"], "description": "The resource; null for reset and resync"},
    "environment_id": {"type": ["string", "null"], "description": "Its environment (an environment's own id); null for reset, resync and a cloud-wide security group"},
    "from": {"type": "string", "description": "The status before; empty for a creation"},
    "to": {"type": "string", "description": "The status after; gone for a resource removed"},
    "task_id": {"type": ["string", "null"], "description": "The task that moved it; null for a synchronous change"},
    "vm_id": {"type": ["string", "null"], "description": "A volume attached or detached: the VM"}
  }
},
"Journal": {
  "type": "object", "title": "Journal", "additionalProperties": false, "required": ["events", "latest", "resync"],
  "properties": {
    "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
    "latest": {"type": "integer", "minimum": 0, "description": "The seq of the latest event (0: none yet)"},
    "resync": {"type": "boolean", "description": "since is older than the kept history (or ahead of latest): nothing listed"}
  }
},
"Invariants": {
  "type": "object", "title": "Invariants", "additionalProperties": false, "required": ["ok", "violations"],
  "properties": {
    "ok": {"type": "boolean"},
    "violations": {"type": "array", "items": {
      "type": "object", "additionalProperties": false, "required": ["kind", "message"],
      "properties": {"kind": {"type": "string", "enum": ["ip", "ip_leak", "attachment", "task", "count"]},
                     "message": {"type": "string"}}}}
  }
},
"ClockAdvance": {
  "type": "object", "title": "ClockAdvance", "required": ["seconds"],
  "properties": {"seconds": {"type": "number", "minimum": 0, "maximum": 1000000000}}
},
"ClockAdvanced": {
  "type": "object", "title": "ClockAdvanced", "additionalProperties": false, "required": ["now", "fired"],
  "properties": {
    "now": {"$ref": "#/components/schemas/Timestamp"},
    "fired": {"type": "integer", "minimum": 0, "description": "Operations completed"}
  }
}
})json";

}  // namespace

std::string title_of(std::string_view field) {
  std::string title(field);
  bool start = true;
  for (auto& c : title) {
    if (c == '_') {
      c = ' ';
      start = true;
    } else if (start) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      start = false;
    }
  }
  return title;
}

namespace {

/// "One of a, b, c": the names an asset route serves.
std::string asset_names(std::span<const std::string_view> files) {
  std::string out = "One of ";
  for (auto file : files) {
    if (out.size() > 7) out += ", ";
    out += file;
  }
  return out;
}

json::value ref(std::string_view schema) {
  return json::object{{"$ref", "#/components/schemas/" + std::string(schema)}};
}

// ---- the described resources and specs ----
// Responses list every field as required and allow no other; request bodies ignore unknown
// fields (no additionalProperties), require what ReadRules (wire.hpp) says, and give the defaults
// of omitted fields (those of a default-constructed spec).

template <class T>
constexpr std::string_view title = "";
template <>
constexpr std::string_view title<Environment> = "Environment";
template <>
constexpr std::string_view title<EnvironmentSpec> = "EnvironmentCreate";
template <>
constexpr std::string_view title<SecurityRule> = "SecurityRule";
template <>
constexpr std::string_view title<SecurityRuleSpec> = "SecurityRuleCreate";
template <>
constexpr std::string_view title<SecurityGroup> = "SecurityGroup";
template <>
constexpr std::string_view title<SecurityGroupSpec> = "SecurityGroupCreate";
template <>
constexpr std::string_view title<Vm> = "Vm";
template <>
constexpr std::string_view title<VmSpec> = "VmCreate";
template <>
constexpr std::string_view title<Volume> = "Volume";
template <>
constexpr std::string_view title<VolumeSpec> = "VolumeCreate";
template <>
constexpr std::string_view title<Task> = "Task";
template <>
constexpr std::string_view title<Fault> = "Fault";
template <>
constexpr std::string_view title<FaultSpec> = "FaultCreate";

// What the types do not say: constraints (the library's validate() ranges), descriptions and
// examples, merged into the generated property (field "" is the schema itself). A `$ref` replaces
// the generated property.
struct FieldDoc {
  std::string_view schema, field, json;
};
constexpr FieldDoc field_docs[] = {
    {"Environment", "cidr", R"({"examples": ["10.0.0.0/16"]})"},
    {"Environment", "status", R"({"enum": ["active"]})"},
    {"EnvironmentCreate", "name",
     R"({"$ref": "#/components/schemas/Name", "description": "Unique among environments"})"},
    {"EnvironmentCreate", "cidr",
     R"({"description": "An IPv4 network, host bits zero, /16../28, inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"})"},
    {"SecurityRuleCreate", "port_range_min",
     R"({"minimum": 1, "maximum": 65535, "description": "tcp and udp only"})"},
    {"SecurityRuleCreate", "port_range_max",
     R"({"minimum": 1, "maximum": 65535, "description": "tcp and udp only; at least port_range_min"})"},
    {"SecurityGroupCreate", "name",
     R"({"$ref": "#/components/schemas/Name", "description": "Unique within the environment"})"},
    {"Vm", "progress",
     R"({"minimum": 0, "maximum": 100, "description": "Elapsed share of the simulated duration; 100 when running"})"},
    {"Vm", "ip_address", R"({"description": "null until the VM is running"})"},
    {"Vm", "volume_ids", R"({"description": "In attachment order"})"},
    {"Vm", "error", R"({"description": "Why the creation failed"})"},
    {"VmCreate", "name",
     R"({"$ref": "#/components/schemas/Name", "description": "Unique within the environment"})"},
    {"VmCreate", "cpu", R"({"minimum": 1, "maximum": 64})"},
    {"VmCreate", "memory_mb", R"({"minimum": 128, "maximum": 1048576})"},
    {"VmCreate", "image", R"({"minLength": 1, "maxLength": 128})"},
    {"Volume", "progress", R"({"minimum": 0, "maximum": 100})"},
    {"Volume", "vm_id", R"({"description": "The VM it is attached to"})"},
    {"Volume", "error", R"({"description": "Why the creation failed"})"},
    {"VolumeCreate", "name",
     R"({"$ref": "#/components/schemas/Name", "description": "Unique within the environment"})"},
    {"VolumeCreate", "size_gb", R"({"minimum": 1, "maximum": 16384, "examples": [10]})"},
    {"VolumeCreate", "vm_id",
     R"({"description": "A VM of the same environment, running or being created, to attach the volume to once it is created; the creation fails if the VM is not running then"})"},
    {"Task", "finished_at", R"({"description": "null while in flight"})"},
    {"FaultCreate", "",
     R"({"description": "Exactly one shape: operation + fail_next; route + status (+ rate); latency_ms",
         "examples": [{"operation": "vm.create", "fail_next": 2}, {"route": "POST /api/v1/vms", "status": 503, "rate": 0.2}, {"latency_ms": 200}]})"},
    {"FaultCreate", "fail_next", R"({"minimum": 1, "maximum": 1000000})"},
    {"FaultCreate", "route", R"({"examples": ["POST /api/v1/vms"]})"},
    {"FaultCreate", "status", R"({"minimum": 400, "maximum": 599})"},
    {"FaultCreate", "rate", R"({"minimum": 0, "maximum": 1, "default": 1})"},
    {"FaultCreate", "latency_ms", R"({"minimum": 0, "maximum": 60000})"},
    {"Fault", "fail_next", R"({"description": "How many are left"})"},
};

void apply_docs(std::string_view schema, std::string_view field, json::object& target) {
  for (const auto& d : field_docs) {
    if (d.schema != schema || d.field != field) continue;
    auto extra = json::parse(d.json).as_object();
    if (extra.contains("$ref")) target.clear();
    for (auto& [k, v] : extra)
      target[k] = v;
  }
}

bool is_id_field(std::string_view field) {
  return field == "id" || field.ends_with("_id") || field.ends_with("_ids");
}

/// The schema of one field's type. `response`: ids are Id, times Timestamp; `inline_refs`: the
/// same as plain types with a format (to be made nullable).
template <class M>
json::object type_schema(bool response, std::string_view field, bool inline_refs = false) {
  if constexpr (is_optional<M>) {
    auto s = type_schema<typename M::value_type>(response, field, true);
    if (s.contains("type")) s["type"] = json::array{s["type"], "null"};
    if (s.contains("enum")) s["enum"].as_array().emplace_back(nullptr);
    return s;
  } else if constexpr (std::is_same_v<M, std::string>) {
    if (response && is_id_field(field))
      return inline_refs ? json::object{{"type", "string"}, {"format", "uuid"}}
                         : ref("Id").as_object();
    return {{"type", "string"}};
  } else if constexpr (std::is_same_v<M, TimePoint>) {
    return inline_refs ? json::object{{"type", "string"}, {"format", "date-time"}}
                       : ref("Timestamp").as_object();
  } else if constexpr (std::is_same_v<M, Ipv4Address>) {
    return {{"type", "string"}, {"format", "ipv4"}};
  } else if constexpr (std::is_same_v<M, Cidr>) {
    return {{"type", "string"}};
  } else if constexpr (std::is_enum_v<M>) {
    return json::parse(enum_schema<M>.view()).as_object();
  } else if constexpr (std::is_same_v<M, double>) {
    return {{"type", "number"}};
  } else if constexpr (std::is_integral_v<M>) {
    return {{"type", "integer"}};
  } else if constexpr (is_vector<M>) {
    return {{"type", "array"}, {"items", type_schema<typename M::value_type>(response, field)}};
  } else {
    static_assert(is_described<M>, "a field type the OpenAPI document cannot describe");
    return ref(title<M>).as_object();
  }
}

/// A resource (response) or a spec (request body) as a component schema.
template <class T>
json::object object_schema(bool response) {
  json::object properties;
  json::array required;
  const T defaults{};
  for_each_wire_field<T, ApiDialect>([&](auto d) {
    using D = decltype(d);
    using M = member_type<T, D>;
    const std::string_view name = ApiDialect::field(D::name);
    auto p = type_schema<M>(response, name);
    if (response || is_required<T>(D::name)) {
      required.emplace_back(name);
    } else if constexpr (!is_optional<M>) {
      std::string written;
      JsonWriter<>::value(written, defaults.*D::pointer);
      p["default"] = json::parse(written);
    }
    apply_docs(title<T>, D::name, p);
    properties[name] = std::move(p);
  });
  json::object s{{"type", "object"}, {"title", title<T>}};
  if (response) s["additionalProperties"] = false;
  if (!required.empty()) s["required"] = std::move(required);
  s["properties"] = std::move(properties);
  apply_docs(title<T>, "", s);
  return s;
}

template <class... Resources, class... Specs>
void add_described(json::object& schemas, boost::mp11::mp_list<Resources...>,
                   boost::mp11::mp_list<Specs...>) {
  ((schemas[title<Resources>] = object_schema<Resources>(true)), ...);
  ((schemas[title<Specs>] = object_schema<Specs>(false)), ...);
}

json::value schema_of(std::string_view name) {
  if (name.size() > 2 && name.front() == '[' && name.back() == ']')
    return json::object{{"type", "array"}, {"items", ref(name.substr(1, name.size() - 2))}};
  return ref(name);
}

// The Settings schemas, from the library's own table of settings and ranges.
json::object settings_schema(bool patch) {
  json::object properties;
  json::array required;
  const Settings defaults;
  for (const auto& f : setting_fields()) {
    json::object p{{"type", "number"}};
    if (f.min_exclusive)
      p["exclusiveMinimum"] = f.min;
    else
      p["minimum"] = f.min;
    if (std::isfinite(f.max)) p["maximum"] = f.max;
    if (!patch) p["default"] = defaults.*f.member;
    if (!f.paired_max.empty())
      p["description"] = "At most " + std::string(f.paired_max) + " (after merging)";
    properties[f.name] = std::move(p);
    required.emplace_back(f.name);
  }
  json::object s{{"type", "object"},
                 {"title", patch ? "SettingsPatch" : "Settings"},
                 {"properties", std::move(properties)}};
  if (!patch) {
    s["required"] = std::move(required);
    s["additionalProperties"] = false;
    s["description"] = "The runtime settings; times in seconds";
  } else {
    s["description"] = "Any subset of the settings; unknown fields are ignored";
  }
  return s;
}

json::object header_ref(std::string_view name) {
  return json::object{{"$ref", "#/components/headers/" + std::string(name)}};
}

json::object response_headers(unsigned bits) {
  json::object h{{"X-Request-Id", header_ref("X-Request-Id")}};
  if (bits & location) h["Location"] = header_ref("Location");
  if (bits & total_count) h["X-Total-Count"] = header_ref("X-Total-Count");
  return h;
}

json::object content_of(const Reply& r) {
  json::object content;
  std::string_view media = r.media;
  while (!media.empty()) {
    const auto space = media.find(' ');
    const auto type = media.substr(0, space);
    media = space == std::string_view::npos ? std::string_view{} : media.substr(space + 1);
    if (type == "text/event-stream") {
      // OpenAPI 3.1 has no schema for the items of a stream: each event's data is described
      // by the extension.
      json::object stream{
          {"schema",
           {{"type", "string"},
            {"description", "Server-Sent Events; the data of each event is x-event-data"}}}};
      if (!r.schema.empty()) stream["x-event-data"] = schema_of(r.schema);
      content[type] = std::move(stream);
      continue;
    }
    json::value schema;
    if (!r.schema.empty())
      schema = schema_of(r.schema);
    else if (type == "application/json")
      schema = json::object{{"type", "object"}};
    else
      schema = json::object{{"type", "string"}};
    content[type] = json::object{{"schema", std::move(schema)}};
  }
  return content;
}

bool is_api_route(std::string_view path) {
  return path.starts_with("/api/v1/") || path == "/api/v1";
}

json::object operation_of(const Route& route) {
  json::object op{{"tags", json::array{json::string(route.tag)}},
                  {"summary", route.summary},
                  {"operationId", route.operation}};

  json::array parameters;
  // Path parameters, in template order.
  for (std::string_view rest = route.path; !rest.empty();) {
    const auto open = rest.find('{');
    if (open == std::string_view::npos) break;
    const auto close = rest.find('}', open);
    const auto name = rest.substr(open + 1, close - open - 1);
    json::object parameter{{"name", name}, {"in", "path"}, {"required", true}};
    if (route.doc.integer_ids) {
      parameter["schema"] = json::object{{"type", "integer"}, {"title", title_of(name)}};
    } else {
      parameter["description"] =
          name == "file" ? asset_names(route.path.starts_with("/ui/")
                                           ? std::span<const std::string_view>(ui_asset_files)
                                           : docs_asset_files)
                         : "An id; one that matches nothing, well-formed or not, is a 404";
      parameter["schema"] = json::object{{"type", "string"}};
    }
    parameters.push_back(std::move(parameter));
    rest = rest.substr(close + 1);
  }
  for (const auto& q : route.doc.query)
    parameters.push_back(json::object{{"name", q.name},
                                      {"in", "query"},
                                      {"required", false},
                                      {"description", q.description},
                                      {"schema", json::parse(q.schema)}});
  if (route.creates)
    parameters.push_back(json::object{
        {"name", "Idempotency-Key"},
        {"in", "header"},
        {"required", false},
        {"description",
         "The same key with the same body (within 24 h) returns the first response again and "
         "creates nothing; with another body it is a 409"},
        {"schema", json::object{{"type", "string"}}}});
  parameters.push_back(json::object{{"$ref", "#/components/parameters/X-Request-Id"}});
  op["parameters"] = std::move(parameters);

  if (!route.doc.body.empty())
    op["requestBody"] = json::object{
        {"required", route.doc.body_required},
        {"content",
         json::object{{"application/json", json::object{{"schema", ref(route.doc.body)}}}}}};

  // Injected route faults answer any status 400..599 of an /api/v1 route with a detail string,
  // so there a listed 422 is either shape.
  const bool faults = is_api_route(route.path);
  json::object responses;
  std::set<int> listed;
  for (const auto& r : route.doc.replies) {
    json::object response{{"description", r.description}, {"headers", response_headers(r.headers)}};
    if (r.status != 204) {
      auto content = content_of(r);
      if (faults && r.status >= 400 && r.schema == "HTTPValidationError")
        content["application/json"].as_object()["schema"] =
            json::object{{"anyOf", json::array{ref("HTTPValidationError"), ref("ErrorDetail")}}};
      response["content"] = std::move(content);
    }
    responses[std::to_string(r.status)] = std::move(response);
    listed.insert(r.status);
  }
  auto detail = [](std::string_view description) {
    return json::object{{"description", description},
                        {"headers", response_headers(0)},
                        {"content", json::object{{"application/json",
                                                  json::object{{"schema", ref("ErrorDetail")}}}}}};
  };
  if (!route.doc.body.empty() && !listed.contains(413))
    responses["413"] = detail("Request body over the limit (1 MiB by default)");
  if (!listed.contains(500)) responses["500"] = detail("Internal Server Error");
  responses["default"] =
      detail(faults ? "An injected route fault (see /_mock/faults): the configured status with "
                      "{\"detail\": \"injected fault\"}; or a request the connection layer "
                      "rejects (400 malformed, 431 headers too large, 503 too many connections)"
                    : "A request the connection layer rejects (400 malformed, 431 headers too "
                      "large, 503 too many connections)");
  op["responses"] = std::move(responses);
  return op;
}

}  // namespace

json::object own_schemas() {
  json::object schemas = json::parse(schemas_json).as_object();
  add_described(
      schemas,
      boost::mp11::mp_list<Environment, SecurityRule, SecurityGroup, Vm, Volume, Task, Fault>{},
      boost::mp11::mp_list<EnvironmentSpec, SecurityRuleSpec, SecurityGroupSpec, VmSpec, VolumeSpec,
                           FaultSpec>{});
  schemas["Settings"] = settings_schema(false);
  schemas["SettingsPatch"] = settings_schema(true);
  return schemas;
}

json::object shared_schemas() {
  json::object own = own_schemas();
  json::object shared;
  for (std::string_view name :
       {"ErrorDetail", "ValidationError", "HTTPValidationError", "Timestamp", "Id", "Reset",
        "Clock", "Invariants", "Event", "Journal", "ClockAdvance", "ClockAdvanced", "Task", "Fault",
        "FaultCreate", "Settings", "SettingsPatch"})
    shared[name] = own[name];
  return shared;
}

std::string build_openapi_document(const Router& router) {
  return render_document(router, own_schemas(), {"mockcloud", MOCKCLOUD_VERSION, description});
}

std::string render_document(const Router& router, json::object schemas, const DocumentInfo& info) {
  json::object paths;
  std::vector<std::string_view> tags;
  for (const auto& route : router.routes()) {
    std::string method(route.method);
    for (auto& c : method)
      c = static_cast<char>(c - 'A' + 'a');
    // A collection with the trailing slash that clients send (`/api/v1/vms/`), so that a
    // validator matching requests exactly against the document's paths does not take
    // `GET /api/v1/vms/` for `GET /api/v1/vms/{id}` with an empty id. The router answers both
    // spellings of every path.
    auto& entry = paths[Router::documented_path(route)];
    if (!entry.is_object()) entry.emplace_object();
    entry.as_object()[method] = operation_of(route);
    if (std::find(tags.begin(), tags.end(), route.tag) == tags.end()) tags.push_back(route.tag);
  }
  json::array tag_list;
  for (auto tag : tags) {
    json::object t{{"name", tag}};
    if (tag == "test control")
      t["description"] =
          "Test control, not in the original service: reset, settings, the virtual clock, faults";
    tag_list.push_back(std::move(t));
  }

  json::object components{
      {"schemas", std::move(schemas)},
      {"headers",
       json::object{
           {"X-Request-Id", json::object{{"description", "The request's X-Request-Id, or a new id"},
                                         {"schema", json::object{{"type", "string"}}}}},
           {"Location",
            json::object{{"description", "Where to poll the resource: /api/v1/<kind>/<id>"},
                         {"schema", json::object{{"type", "string"}}}}},
           {"X-Total-Count",
            json::object{{"description", "How many items match the filters, over all pages"},
                         {"schema", json::object{{"type", "integer"}, {"minimum", 0}}}}},
           {"Allow", json::object{{"description", "The methods of the path (405)"},
                                  {"schema", json::object{{"type", "string"}}}}}}},
      {"parameters",
       json::object{
           {"X-Request-Id", json::object{{"name", "X-Request-Id"},
                                         {"in", "header"},
                                         {"required", false},
                                         {"description", "Echoed in the response's X-Request-Id"},
                                         {"schema", json::object{{"type", "string"}}}}}}},
      {"responses",
       json::object{
           {"MethodNotAllowed",
            json::object{
                {"description", "A known path with a method it does not have (any path)"},
                {"headers", json::object{{"X-Request-Id", header_ref("X-Request-Id")},
                                         {"Allow", header_ref("Allow")}}},
                {"content", json::object{{"application/json",
                                          json::object{{"schema", ref("ErrorDetail")}}}}}}},
           {"NotFound",
            json::object{
                {"description", "An unknown path: {\"detail\": \"Not Found\"}"},
                {"headers", response_headers(0)},
                {"content", json::object{{"application/json",
                                          json::object{{"schema", ref("ErrorDetail")}}}}}}}}}};

  json::object doc{{"openapi", "3.1.0"},
                   {"info", json::object{{"title", info.title},
                                         {"version", info.version},
                                         {"description", info.description}}},
                   {"tags", std::move(tag_list)},
                   {"paths", std::move(paths)},
                   {"components", std::move(components)}};
  return json::serialize(doc);
}

void get_openapi(Api& api, const Call&, Response& res) {
  res.status = 200;
  res.body = api.openapi_document();
}

}  // namespace mockcloud::http

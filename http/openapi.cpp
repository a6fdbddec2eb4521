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
#include <string>

#include "mockcloud/settings.hpp"
#include "route_docs.hpp"
#include "service.hpp"

#ifndef MOCKCLOUD_VERSION
#define MOCKCLOUD_VERSION "0.0.0"
#endif

namespace mockcloud::http {
namespace {

namespace json = boost::json;

constexpr std::string_view description =
    R"(A mock cloud for tests: environments (isolated IPv4 networks), security groups, VMs and block volumes, whose creation and deletion take simulated time and sometimes fail.

* Every route answers with and without a trailing slash.
* Every response carries `X-Request-Id` (echoed from the request if given).
* Errors have FastAPI's shapes: `{"detail": "..."}`, and for 422 `{"detail": [{"loc", "msg", "type"}]}`.
* A known path with a method it does not have answers 405 `{"detail": "Method Not Allowed"}` with an `Allow` header; an unknown path 404 `{"detail": "Not Found"}`.
* A request body over the limit (1 MiB by default, `--max-body-bytes`) answers 413; a connection over `--max-connections` gets 503. Route faults injected with `POST /_mock/faults` make an `/api/v1` route answer the configured status (400..599) with `{"detail": "injected fault"}`.
* The `/_mock` routes (tag *test control*) are not in the original service: they reset the state, change the settings, move a virtual clock and inject faults.)";

// Component schemas. Responses list every field as required and allow no other; request bodies
// ignore unknown fields (no additionalProperties) and give the defaults of omitted ones.
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
"Environment": {
  "type": "object", "title": "Environment", "additionalProperties": false,
  "required": ["id", "name", "cidr", "description", "status", "created_at", "updated_at"],
  "properties": {
    "id": {"$ref": "#/components/schemas/Id"},
    "name": {"type": "string"},
    "cidr": {"type": "string", "examples": ["10.0.0.0/16"]},
    "description": {"type": "string"},
    "status": {"type": "string", "enum": ["active"]},
    "created_at": {"$ref": "#/components/schemas/Timestamp"},
    "updated_at": {"$ref": "#/components/schemas/Timestamp"}
  }
},
"EnvironmentCreate": {
  "type": "object", "title": "EnvironmentCreate", "required": ["name"],
  "properties": {
    "name": {"$ref": "#/components/schemas/Name", "description": "Unique among environments"},
    "cidr": {"type": "string", "default": "10.0.0.0/16",
             "description": "An IPv4 network, host bits zero, /16../28, inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"},
    "description": {"type": "string", "default": ""}
  }
},
"SecurityRule": {
  "type": "object", "title": "SecurityRule", "additionalProperties": false,
  "required": ["id", "direction", "protocol", "port_range_min", "port_range_max", "remote_cidr"],
  "properties": {
    "id": {"$ref": "#/components/schemas/Id"},
    "direction": {"type": "string", "enum": ["ingress", "egress"]},
    "protocol": {"type": "string", "enum": ["tcp", "udp", "icmp", "all"]},
    "port_range_min": {"type": ["integer", "null"]},
    "port_range_max": {"type": ["integer", "null"]},
    "remote_cidr": {"type": "string"}
  }
},
"SecurityRuleCreate": {
  "type": "object", "title": "SecurityRuleCreate",
  "properties": {
    "direction": {"type": "string", "enum": ["ingress", "egress"], "default": "ingress"},
    "protocol": {"type": "string", "enum": ["tcp", "udp", "icmp", "all"], "default": "tcp"},
    "port_range_min": {"type": ["integer", "null"], "minimum": 1, "maximum": 65535, "description": "tcp and udp only"},
    "port_range_max": {"type": ["integer", "null"], "minimum": 1, "maximum": 65535, "description": "tcp and udp only; at least port_range_min"},
    "remote_cidr": {"type": "string", "default": "0.0.0.0/0"}
  }
},
"SecurityGroup": {
  "type": "object", "title": "SecurityGroup", "additionalProperties": false,
  "required": ["id", "name", "environment_id", "description", "rules", "created_at", "updated_at"],
  "properties": {
    "id": {"$ref": "#/components/schemas/Id"},
    "name": {"type": "string"},
    "environment_id": {"$ref": "#/components/schemas/Id"},
    "description": {"type": "string"},
    "rules": {"type": "array", "items": {"$ref": "#/components/schemas/SecurityRule"}},
    "created_at": {"$ref": "#/components/schemas/Timestamp"},
    "updated_at": {"$ref": "#/components/schemas/Timestamp"}
  }
},
"SecurityGroupCreate": {
  "type": "object", "title": "SecurityGroupCreate", "required": ["name", "environment_id"],
  "properties": {
    "name": {"$ref": "#/components/schemas/Name", "description": "Unique within the environment"},
    "environment_id": {"type": "string"},
    "description": {"type": "string", "default": ""},
    "rules": {"type": "array", "items": {"$ref": "#/components/schemas/SecurityRuleCreate"}, "default": []}
  }
},
"Vm": {
  "type": "object", "title": "Vm", "additionalProperties": false,
  "required": ["id", "name", "environment_id", "status", "progress", "cpu", "memory_mb", "image",
               "security_group_ids", "ip_address", "volume_ids", "error", "task_id", "created_at", "updated_at"],
  "properties": {
    "id": {"$ref": "#/components/schemas/Id"},
    "name": {"type": "string"},
    "environment_id": {"$ref": "#/components/schemas/Id"},
    "status": {"type": "string", "enum": ["creating", "running", "error", "deleting"]},
    "progress": {"type": "integer", "minimum": 0, "maximum": 100, "description": "Elapsed share of the simulated duration; 100 when running"},
    "cpu": {"type": "integer"},
    "memory_mb": {"type": "integer"},
    "image": {"type": "string"},
    "security_group_ids": {"type": "array", "items": {"$ref": "#/components/schemas/Id"}},
    "ip_address": {"type": ["string", "null"], "format": "ipv4", "description": "null until the VM is running"},
    "volume_ids": {"type": "array", "items": {"$ref": "#/components/schemas/Id"}, "description": "In attachment order"},
    "error": {"type": ["string", "null"], "description": "Why the creation failed"},
    "task_id": {"$ref": "#/components/schemas/Id"},
    "created_at": {"$ref": "#/components/schemas/Timestamp"},
    "updated_at": {"$ref": "#/components/schemas/Timestamp"}
  }
},
"VmCreate": {
  "type": "object", "title": "VmCreate", "required": ["name", "environment_id"],
  "properties": {
    "name": {"$ref": "#/components/schemas/Name", "description": "Unique within the environment"},
    "environment_id": {"type": "string"},
    "cpu": {"type": "integer", "minimum": 1, "maximum": 64, "default": 1},
    "memory_mb": {"type": "integer", "minimum": 128, "maximum": 1048576, "default": 1024},
    "image": {"type": "string", "minLength": 1, "maxLength": 128, "default": "ubuntu-22.04"},
    "security_group_ids": {"type": "array", "items": {"type": "string"}, "default": []}
  }
},
"Volume": {
  "type": "object", "title": "Volume", "additionalProperties": false,
  "required": ["id", "name", "environment_id", "size_gb", "volume_type", "status", "progress", "vm_id",
               "error", "task_id", "created_at", "updated_at"],
  "properties": {
    "id": {"$ref": "#/components/schemas/Id"},
    "name": {"type": "string"},
    "environment_id": {"$ref": "#/components/schemas/Id"},
    "size_gb": {"type": "integer"},
    "volume_type": {"type": "string", "enum": ["standard", "ssd"]},
    "status": {"type": "string", "enum": ["creating", "available", "in-use", "error", "deleting"]},
    "progress": {"type": "integer", "minimum": 0, "maximum": 100},
    "vm_id": {"type": ["string", "null"], "format": "uuid", "description": "The VM it is attached to"},
    "error": {"type": ["string", "null"], "description": "Why the creation failed"},
    "task_id": {"$ref": "#/components/schemas/Id"},
    "created_at": {"$ref": "#/components/schemas/Timestamp"},
    "updated_at": {"$ref": "#/components/schemas/Timestamp"}
  }
},
"VolumeCreate": {
  "type": "object", "title": "VolumeCreate", "required": ["name", "environment_id", "size_gb"],
  "properties": {
    "name": {"$ref": "#/components/schemas/Name", "description": "Unique within the environment"},
    "environment_id": {"type": "string"},
    "size_gb": {"type": "integer", "minimum": 1, "maximum": 16384, "examples": [10]},
    "volume_type": {"type": "string", "enum": ["standard", "ssd"], "default": "standard"}
  }
},
"Task": {
  "type": "object", "title": "Task", "additionalProperties": false,
  "required": ["id", "kind", "resource_id", "state", "error", "created_at", "eta", "finished_at"],
  "properties": {
    "id": {"$ref": "#/components/schemas/Id"},
    "kind": {"type": "string", "enum": ["vm.create", "vm.delete", "volume.create", "volume.delete"]},
    "resource_id": {"$ref": "#/components/schemas/Id"},
    "state": {"type": "string", "enum": ["PENDING", "STARTED", "SUCCESS", "FAILURE", "REVOKED"]},
    "error": {"type": ["string", "null"]},
    "created_at": {"$ref": "#/components/schemas/Timestamp"},
    "eta": {"$ref": "#/components/schemas/Timestamp"},
    "finished_at": {"type": ["string", "null"], "format": "date-time", "description": "null while in flight"}
  }
},
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
  "required": ["status", "version", "clock", "now", "uptime_s", "counts"],
  "properties": {
    "status": {"type": "string", "enum": ["healthy"]},
    "version": {"type": "string"},
    "clock": {"type": "string", "enum": ["system", "virtual"]},
    "now": {"$ref": "#/components/schemas/Timestamp"},
    "uptime_s": {"type": "number", "minimum": 0, "description": "Real seconds since the process started"},
    "counts": {"$ref": "#/components/schemas/Counts"}
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
},
"FaultCreate": {
  "type": "object", "title": "FaultCreate",
  "description": "Exactly one shape: operation + fail_next; route + status (+ rate); latency_ms",
  "properties": {
    "operation": {"type": ["string", "null"], "enum": ["vm.create", "vm.delete", "volume.create", "volume.delete", null]},
    "fail_next": {"type": ["integer", "null"], "minimum": 1, "maximum": 1000000},
    "route": {"type": ["string", "null"], "examples": ["POST /api/v1/vms"]},
    "status": {"type": ["integer", "null"], "minimum": 400, "maximum": 599},
    "rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1, "default": 1},
    "latency_ms": {"type": ["integer", "null"], "minimum": 0, "maximum": 60000}
  },
  "examples": [{"operation": "vm.create", "fail_next": 2}, {"route": "POST /api/v1/vms", "status": 503, "rate": 0.2}, {"latency_ms": 200}]
},
"Fault": {
  "type": "object", "title": "Fault", "additionalProperties": false,
  "required": ["id", "operation", "fail_next", "route", "status", "rate", "latency_ms", "created_at"],
  "properties": {
    "id": {"$ref": "#/components/schemas/Id"},
    "operation": {"type": ["string", "null"], "enum": ["vm.create", "vm.delete", "volume.create", "volume.delete", null]},
    "fail_next": {"type": ["integer", "null"], "description": "How many are left"},
    "route": {"type": ["string", "null"]},
    "status": {"type": ["integer", "null"]},
    "rate": {"type": ["number", "null"]},
    "latency_ms": {"type": ["integer", "null"]},
    "created_at": {"$ref": "#/components/schemas/Timestamp"}
  }
}
})json";

json::value ref(std::string_view schema) {
  return json::object{{"$ref", "#/components/schemas/" + std::string(schema)}};
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
    parameters.push_back(json::object{
        {"name", name},
        {"in", "path"},
        {"required", true},
        {"description", name == "file"
                            ? "One of swagger-ui.css, swagger-ui-bundle.js, redoc.standalone.js"
                            : "An id; one that matches nothing, well-formed or not, is a 404"},
        {"schema", json::object{{"type", "string"}}}});
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

std::string build_openapi_document(const Router& router) {
  json::object schemas = json::parse(schemas_json).as_object();
  schemas["Settings"] = settings_schema(false);
  schemas["SettingsPatch"] = settings_schema(true);

  json::object paths;
  std::vector<std::string_view> tags;
  for (const auto& route : router.routes()) {
    std::string method(route.method);
    for (auto& c : method)
      c = static_cast<char>(c - 'A' + 'a');
    auto& entry = paths[route.path];
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
                   {"info", json::object{{"title", "mockcloud"},
                                         {"version", MOCKCLOUD_VERSION},
                                         {"description", description}}},
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

// The original dialect's OpenAPI document: the Python Mock Cloud API's component schemas,
// generated from the dialect's declarations (views.hpp) and field rules (respond.hpp) the way
// FastAPI and pydantic 2 write them, beside this service's schemas for the routes the original
// lacks (/_mock, the tasks).
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "../openapi.hpp"
#include "respond.hpp"
#include "routes.hpp"

namespace mockcloud::http::original {
namespace {

namespace json = boost::json;

constexpr std::string_view description =
    R"(The Python Mock Cloud API's wire format, served by mockcloud (`--dialect original`): integer ids, trailing-slash collections, `status` and `resource_status`, `{"<kind>": [...], "total": N}` lists, 200 task envelopes for asynchronous creates and deletes, pydantic 2's validation errors.

* A collection of the original's spelled without its trailing slash answers 307 with `Location` of the slash form (an item spelled with one, 307 to the form without); mockcloud's own routes (`/_mock`, `/api/v1/tasks`, `/metrics`, the documentation) answer both spellings.
* Errors: not found and broken state rules answer `{"error": {"code", "message", "status_code", "resource_type", "resource_id"}}`; a taken name a bare JSON string (409), or `{"detail": "..."}` for a security group (400).
* The routes tagged *test control* (`/_mock`), the tasks (`/api/v1/tasks`) and `/metrics` are mockcloud's own: a task_id from a task envelope can be read at `/api/v1/tasks/{task_id}`.)";

template <class T>
constexpr std::string_view title = "";
template <>
constexpr std::string_view title<EnvironmentCreate> = "EnvironmentCreate";
template <>
constexpr std::string_view title<EnvironmentResponse> = "EnvironmentResponse";
template <>
constexpr std::string_view title<EnvironmentListResponse> = "EnvironmentListResponse";
template <>
constexpr std::string_view title<SecurityGroupCreate> = "SecurityGroupCreate";
template <>
constexpr std::string_view title<SecurityGroupResponse> = "SecurityGroupResponse";
template <>
constexpr std::string_view title<SecurityGroupListResponse> = "SecurityGroupListResponse";
template <>
constexpr std::string_view title<VMCreate> = "VMCreate";
template <>
constexpr std::string_view title<VMResponse> = "VMResponse";
template <>
constexpr std::string_view title<VMListResponse> = "VMListResponse";
template <>
constexpr std::string_view title<VolumeCreate> = "VolumeCreate";
template <>
constexpr std::string_view title<VolumeResponse> = "VolumeResponse";
template <>
constexpr std::string_view title<VolumeListResponse> = "VolumeListResponse";
template <>
constexpr std::string_view title<TaskResponse> = "TaskResponse";
template <>
constexpr std::string_view title<Message> = "Message";
template <>
constexpr std::string_view title<ErrorBody> = "ErrorBody";
template <>
constexpr std::string_view title<ErrorResponse> = "ErrorResponse";
template <>
constexpr std::string_view title<VMStatus> = "VMStatus";
template <>
constexpr std::string_view title<VolumeStatus> = "VolumeStatus";
template <>
constexpr std::string_view title<ResourceStatus> = "ResourceStatus";

json::object ref(std::string_view name) {
  return {{"$ref", "#/components/schemas/" + std::string(name)}};
}

/// A member's type as pydantic writes it (without the title).
template <class M>
json::object type_schema() {
  if constexpr (wire::is_optional<M>) {
    return {{"anyOf",
             json::array{type_schema<typename M::value_type>(), json::object{{"type", "null"}}}}};
  } else if constexpr (std::is_same_v<M, std::string>) {
    return {{"type", "string"}};
  } else if constexpr (std::is_same_v<M, std::int64_t>) {
    return {{"type", "integer"}};
  } else if constexpr (std::is_same_v<M, Timestamp>) {
    return {{"type", "string"}, {"format", "date-time"}};
  } else if constexpr (std::is_enum_v<M>) {
    return ref(title<M>);
  } else if constexpr (wire::is_vector<M>) {
    return {{"items", type_schema<typename M::value_type>()}, {"type", "array"}};
  } else {
    static_assert(wire::is_described<M>, "a field type the document cannot describe");
    return ref(title<M>);
  }
}

/// A model as pydantic 2 writes its schema: each property with its title and the field rules,
/// the fields without a default required. `response`: no other property allowed.
template <class T>
json::object model_schema(bool response) {
  json::object properties;
  json::array required;
  for_each_field<T>([&](auto d) {
    using M = member_type<T, decltype(d)>;
    const std::string_view name = decltype(d)::name;
    json::object p = type_schema<M>();
    const FieldRule* rule = field_rule(name);
    if (rule != nullptr) {
      if (rule->max_length >= 0) p["maxLength"] = rule->max_length;
      if (rule->min_length >= 0) p["minLength"] = rule->min_length;
      if (rule->le) p["maximum"] = *rule->le;
      if (rule->gt) p["exclusiveMinimum"] = *rule->gt;
    }
    if (!std::is_enum_v<M>) p["title"] = title_of(name);
    const bool has_default = rule != nullptr && !rule->default_json.empty();
    if (has_default) p["default"] = json::parse(rule->default_json);
    if (!wire::is_optional<M> && !has_default) required.emplace_back(name);
    properties[name] = std::move(p);
  });
  json::object s{{"properties", std::move(properties)}, {"type", "object"}};
  if (!required.empty()) s["required"] = std::move(required);
  s["title"] = title<T>;
  if (response) s["additionalProperties"] = false;
  return s;
}

template <class E>
json::object enum_schema() {
  json::array values;
  for (const auto& n : wire::enum_names<E, wire::Spelling::identity>)
    values.emplace_back(n.view());
  return {{"type", "string"}, {"enum", std::move(values)}, {"title", title<E>}};
}

template <class... Requests, class... Responses>
void add_models(json::object& schemas, boost::mp11::mp_list<Requests...>,
                boost::mp11::mp_list<Responses...>) {
  ((schemas[title<Requests>] = model_schema<Requests>(false)), ...);
  ((schemas[title<Responses>] = model_schema<Responses>(true)), ...);
}

// What the original has no model for: its validation error items (pydantic 2 adds input, ctx
// and url to FastAPI's loc, msg and type), and the bodies of its service routes.
constexpr std::string_view extra_schemas = R"json({
"ValidationError": {
  "properties": {
    "loc": {"items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "type": "array", "title": "Location"},
    "msg": {"type": "string", "title": "Message"},
    "type": {"type": "string", "title": "Error Type"},
    "input": {"title": "Input", "description": "What the request held there (for a missing field, the object that lacks it)"},
    "ctx": {"type": "object", "title": "Context"},
    "url": {"type": "string", "title": "Url"}
  },
  "type": "object", "required": ["loc", "msg", "type"], "title": "ValidationError"
},
"HTTPValidationError": {
  "properties": {"detail": {"items": {"$ref": "#/components/schemas/ValidationError"}, "type": "array", "title": "Detail"}},
  "type": "object", "title": "HTTPValidationError"
},
"DuplicateName": {"type": "string", "title": "DuplicateName", "examples": ["vm with name 'web-1' already exists"]},
"Root": {
  "type": "object", "title": "Root", "additionalProperties": false,
  "required": ["message", "version", "docs", "health"],
  "properties": {"message": {"type": "string"}, "version": {"type": "string"}, "docs": {"type": "string"}, "health": {"type": "string"}}
},
"HealthStatus": {
  "type": "object", "title": "HealthStatus", "additionalProperties": false, "required": ["status"],
  "properties": {"status": {"type": "string", "enum": ["healthy"]}}
},
"DatabaseHealth": {
  "type": "object", "title": "DatabaseHealth", "additionalProperties": false, "required": ["status", "database"],
  "properties": {"status": {"type": "string", "enum": ["healthy", "unhealthy"]}, "database": {"type": "string",
                 "description": "\"connected\", or why the database cannot be reached"}}
}
})json";

}  // namespace

std::string build_openapi_document(const Router& router) {
  json::object schemas = shared_schemas();
  const json::value extra = json::parse(extra_schemas);
  for (const auto& [name, schema] : extra.as_object())
    schemas[name] = schema;
  // Events name resources by this dialect's integer ids.
  auto& event_fields = schemas["Event"].as_object()["properties"].as_object();
  for (std::string_view field : {"id", "environment_id", "vm_id"})
    event_fields[field].as_object()["type"] = json::array{"integer", "null"};
  add_models(
      schemas,
      boost::mp11::mp_list<EnvironmentCreate, SecurityGroupCreate, VMCreate, VolumeCreate>{},
      boost::mp11::mp_list<EnvironmentResponse, EnvironmentListResponse, SecurityGroupResponse,
                           SecurityGroupListResponse, VMResponse, VMListResponse, VolumeResponse,
                           VolumeListResponse, TaskResponse, Message, ErrorBody, ErrorResponse>{});
  schemas["VMStatus"] = enum_schema<VMStatus>();
  schemas["VolumeStatus"] = enum_schema<VolumeStatus>();
  schemas["ResourceStatus"] = enum_schema<ResourceStatus>();
  // A task's resource_id is the resource's number here, not a UUID.
  schemas["Task"].as_object()["properties"].as_object()["resource_id"] =
      json::object{{"type", "string"}, {"examples", json::array{"7"}}};
  return render_document(router, std::move(schemas), {"Mock Cloud API", "1.0.0", description});
}

}  // namespace mockcloud::http::original

// The original dialect's routes (docs/original-dialect.md): the Python Mock Cloud API's paths,
// bodies and answers, mapped onto the same ResourceManager calls as this service's own routes.
#include "routes.hpp"

#include "../route_docs.hpp"
#include "respond.hpp"

namespace mockcloud::http::original {
namespace {

template <class T>
void respond_view(Response& res, const T& view) {
  res.status = 200;
  res.body.clear();
  JsonWriter<Dialect>::value(res.body, view);
}

void respond_message(Response& res, std::string message) {
  respond_view(res, Message{std::move(message)});
}

// ---- what the four kinds share: a table of the calls and names of each ----

template <class Snapshot, class Filter, class ListView, class Item>
struct Kind {
  using ListViewType = ListView;
  std::string_view type;      // "vm": the envelope's resource_type
  std::string_view noun;      // "VM": messages
  std::string_view id_param;  // "vm_id"
  Listing<Snapshot> (ResourceManager::*list)(const Filter&, Page) const;
  Result<Snapshot> (ResourceManager::*get)(std::string_view) const;
  std::vector<Item> ListView::*items;
};

constexpr Kind<Environment, EnvironmentFilter, EnvironmentListResponse, EnvironmentResponse>
    environments{"environment",
                 "Environment",
                 "environment_id",
                 &ResourceManager::list_environments,
                 &ResourceManager::get_environment,
                 &EnvironmentListResponse::environments};
constexpr Kind<SecurityGroup, SecurityGroupFilter, SecurityGroupListResponse, SecurityGroupResponse>
    security_groups{"security_group",
                    "Security group",
                    "security_group_id",
                    &ResourceManager::list_security_groups,
                    &ResourceManager::get_security_group,
                    &SecurityGroupListResponse::security_groups};
constexpr Kind<Vm, VmFilter, VMListResponse, VMResponse> vms{"vm",
                                                             "VM",
                                                             "vm_id",
                                                             &ResourceManager::list_vms,
                                                             &ResourceManager::get_vm,
                                                             &VMListResponse::vms};
constexpr Kind<Volume, VolumeFilter, VolumeListResponse, VolumeResponse> volumes{
    "volume",
    "Volume",
    "volume_id",
    &ResourceManager::list_volumes,
    &ResourceManager::get_volume,
    &VolumeListResponse::volumes};

template <const auto& K>
void list(Api& api, const Call& call, Response& res) {
  const auto p = page(call, res);
  if (!p) return;
  const auto listing = (api.manager().*K.list)({}, *p);
  typename std::remove_cvref_t<decltype(K)>::ListViewType out;
  auto& items = out.*K.items;
  items.reserve(listing.items.size());
  for (const auto& item : listing.items)
    items.push_back(view(item));
  out.total = static_cast<std::int64_t>(listing.total);
  respond_view(res, out);
}

template <const auto& K>
void get(Api& api, const Call& call, Response& res) {
  const auto id = path_id(call, 0, K.id_param, res);
  if (!id) return;
  auto found = (api.manager().*K.get)(*id);
  if (!found) return respond_error(res, found.error(), {K.type, *id}, call);
  respond_view(res, view(*found));
}

// ---- creates ----

template <class Model, class Create>
bool create_spec(Api& api, const Call& call, Response& res, Create& spec_out) {
  Model body;
  if (!read_body(api, call, res, body)) return false;
  spec_out = spec(body);  // the library's own rules are checked by the create call
  return true;
}

/// A create's error; for the library's rules (a 422), with the inputs of the body, parsed again
/// on this path only.
void respond_create_error(Api& api, const Call& call, Response& res, const Error& error,
                          std::string_view type) {
  if (error.kind != ErrorKind::invalid || error.fields.empty())
    return respond_error(res, error, {type, {}}, call);
  FieldErrors ignored;
  BodyDocument doc{api.max_json_depth()};
  respond_validation(res, prefixed(error.fields, "body"), doc.parse(call.request.body, ignored),
                     call);
}

void create_environment(Api& api, const Call& call, Response& res) {
  EnvironmentSpec s;
  if (!create_spec<EnvironmentCreate>(api, call, res, s)) return;
  auto created = api.manager().create_environment(s);
  if (!created) return respond_create_error(api, call, res, created.error(), "environment");
  respond_view(res, view(*created));
}

void create_security_group(Api& api, const Call& call, Response& res) {
  SecurityGroupSpec s;
  if (!create_spec<SecurityGroupCreate>(api, call, res, s)) return;
  auto created = api.manager().create_security_group(s);
  if (!created) return respond_create_error(api, call, res, created.error(), "security_group");
  respond_view(res, view(*created));
}

/// The 200 task envelope of an asynchronous create or delete.
template <class Snapshot>
void respond_task(Response& res, const Snapshot& r, std::string message, std::string_view type,
                  bool created) {
  TaskResponse t{r.task_id, "started", std::move(message), std::nullopt, std::nullopt};
  if (created) {
    t.id = id_number(r.id);
    t.resource_type = std::string(type);
  }
  respond_view(res, t);
}

void create_vm(Api& api, const Call& call, Response& res) {
  VmSpec s;
  if (!create_spec<VMCreate>(api, call, res, s)) return;
  auto op = api.manager().create_vm(s);
  if (!op) return respond_create_error(api, call, res, op.error(), "vm");
  respond_task(res, op->resource(), "VM creation started", "vm", true);
}

void create_volume(Api& api, const Call& call, Response& res) {
  VolumeSpec s;
  if (!create_spec<VolumeCreate>(api, call, res, s)) return;
  auto op = api.manager().create_volume(s);
  if (!op) return respond_create_error(api, call, res, op.error(), "volume");
  respond_task(res, op->resource(), "Volume creation started", "volume", true);
}

// ---- deletes ----

void delete_environment(Api& api, const Call& call, Response& res) {
  const auto id = path_id(call, 0, "environment_id", res);
  if (!id) return;
  auto done = api.manager().delete_environment(*id);
  if (!done) return respond_error(res, done.error(), {"environment", *id}, call);
  respond_message(res, "Environment deleted successfully");
}

void delete_security_group(Api& api, const Call& call, Response& res) {
  const auto id = path_id(call, 0, "security_group_id", res);
  if (!id) return;
  auto done = api.manager().delete_security_group(*id);
  if (!done) return respond_error(res, done.error(), {"security_group", *id}, call);
  respond_message(res, "Security group deleted successfully");
}

void delete_vm(Api& api, const Call& call, Response& res) {
  const auto id = path_id(call, 0, "vm_id", res);
  if (!id) return;
  auto op = api.manager().delete_vm(*id);
  if (!op) return respond_error(res, op.error(), {"vm", *id}, call);
  respond_task(res, op->resource(), "VM deletion started", "vm", false);
}

void delete_volume(Api& api, const Call& call, Response& res) {
  const auto id = path_id(call, 0, "volume_id", res);
  if (!id) return;
  auto op = api.manager().delete_volume(*id);
  if (!op) return respond_error(res, op.error(), {"volume", *id}, call);
  respond_task(res, op->resource(), "Volume deletion started", "volume", false);
}

// ---- attachments ----

void attach_volume(Api& api, const Call& call, Response& res) {
  const auto volume = path_id(call, 0, "volume_id", res);
  if (!volume) return;
  const auto vm = path_id(call, 1, "vm_id", res);
  if (!vm) return;
  auto done = api.manager().attach_volume(*volume, *vm);
  if (!done) return respond_error(res, done.error(), {"volume", *volume}, call);
  respond_message(res, "Volume attached to VM successfully");
}

void detach_volume(Api& api, const Call& call, Response& res) {
  const auto volume = path_id(call, 0, "volume_id", res);
  if (!volume) return;
  auto done = api.manager().detach_volume(*volume);
  if (!done) return respond_error(res, done.error(), {"volume", *volume}, call);
  respond_message(res, "Volume detached from VM successfully");
}

// ---- tasks (this service's, reachable from a task envelope's task_id) ----

void get_task(Api& api, const Call& call, Response& res) {
  auto task = api.manager().get_task(call.params[0]);
  if (!task) return respond_error(res, task.error(), {"task", call.params[0]}, call);
  respond_json(res, 200, *task);
}

// ---- service routes ----

void root(Api&, const Call&, Response& res) {
  res.status = 200;
  res.body = R"({"message":"Mock Cloud API","version":"1.0.0","docs":"/docs","health":"/health"})";
}

void health(Api&, const Call&, Response& res) {
  res.status = 200;
  res.body = R"({"status":"healthy"})";
}

void health_db(Api& api, const Call&, Response& res) {
  res.status = 200;
  std::string problem = api.support().unavailable();
  if (problem.empty() && api.support().shared()) {
    try {
      api.support().refresh();
    } catch (const StoreError& e) {
      problem = e.what();
    }
  }
  if (problem.empty()) {
    res.body = R"({"status":"healthy","database":"connected"})";
    return;
  }
  // As the original: 200, with the error in place of "connected".
  res.body = R"({"status":"unhealthy","database":)";
  write_string(res.body, problem);
  res.body += '}';
}

// ---- documentation of the routes ----

constexpr Reply validation{422, "HTTPValidationError",
                           "Validation Error: pydantic's items, with the input that failed"};
constexpr Reply not_found{404, "ErrorResponse",
                          "RESOURCE_NOT_FOUND: the resource in the path does not exist"};
constexpr Reply referenced_not_found{
    404, "ErrorResponse", "RESOURCE_NOT_FOUND: a resource the body names does not exist"};
constexpr Reply duplicate{409, "DuplicateName",
                          "The name is taken (deleted VMs and volumes keep theirs): the message "
                          "as a bare JSON string"};

constexpr Reply create_environment_replies[] = {
    {200, "EnvironmentResponse", "The environment"}, duplicate, validation};
constexpr Reply list_environment_replies[] = {
    {200, "EnvironmentListResponse", "A page of the environments, by id"}, validation};
constexpr Reply get_environment_replies[] = {
    {200, "EnvironmentResponse", "The environment"}, not_found, validation};
constexpr Reply delete_environment_replies[] = {
    {200, "Message", "Deleted (and with it the deleted VMs and volumes it kept)"},
    not_found,
    {409, "ErrorResponse", "RESOURCE_CONFLICT: a VM or volume in it is not deleted"},
    validation};

constexpr Reply create_security_group_replies[] = {
    {200, "SecurityGroupResponse", "The security group"},
    {400, "ErrorDetail", "The name is taken"},
    validation};
constexpr Reply list_security_group_replies[] = {
    {200, "SecurityGroupListResponse", "A page of the security groups, by id"}, validation};
constexpr Reply get_security_group_replies[] = {
    {200, "SecurityGroupResponse", "The security group"}, not_found, validation};
constexpr Reply delete_security_group_replies[] = {
    {200, "Message", "Deleted; the VMs that used it have security_group_id null"},
    not_found,
    validation};

constexpr Reply create_vm_replies[] = {{200, "TaskResponse", "Creation started: the VM is pending"},
                                       referenced_not_found,
                                       duplicate,
                                       validation};
constexpr Reply list_vm_replies[] = {{200, "VMListResponse", "A page of the VMs, by id"},
                                     validation};
constexpr Reply get_vm_replies[] = {{200, "VMResponse", "The VM"}, not_found, validation};
constexpr Reply delete_vm_replies[] = {
    {200, "TaskResponse", "Deletion started (again while deleting or once deleted: its task)"},
    not_found,
    validation};

constexpr Reply create_volume_replies[] = {
    {200, "TaskResponse", "Creation started: the volume is pending"},
    referenced_not_found,
    {409, "DuplicateName", "The name is taken: the message as a bare JSON string"},
    validation};
constexpr Reply list_volume_replies[] = {
    {200, "VolumeListResponse", "A page of the volumes, by id"}, validation};
constexpr Reply get_volume_replies[] = {
    {200, "VolumeResponse", "The volume"}, not_found, validation};
constexpr Reply delete_volume_replies[] = {
    {200, "TaskResponse", "Deletion started"},
    not_found,
    {409, "ErrorResponse", "RESOURCE_CONFLICT: the volume is attached"},
    validation};
constexpr Reply attach_volume_replies[] = {
    {200, "Message", "Attached: the volume is in_use"},
    {404, "ErrorResponse", "RESOURCE_NOT_FOUND: the volume or the VM"},
    {409, "ErrorResponse",
     "RESOURCE_CONFLICT: the volume is not available, the VM not running, they are in "
     "different environments, or the VM has 16 volumes"},
    validation};
constexpr Reply detach_volume_replies[] = {
    {200, "Message", "Detached: the volume is available"},
    not_found,
    {409, "ErrorResponse", "RESOURCE_CONFLICT: the volume is not attached"},
    validation};
constexpr Reply get_task_replies[] = {{200, "Task", "The task"},
                                      {404, "ErrorResponse", "RESOURCE_NOT_FOUND"}};

constexpr Reply root_replies[] = {{200, "Root", "The service"}};
constexpr Reply health_replies[] = {{200, "HealthStatus", "Serving"}};
constexpr Reply health_db_replies[] = {
    {200, "DatabaseHealth",
     "Whether the store is reachable: `connected`, or `unhealthy` with the error (as the "
     "original)"}};

constexpr QueryParam skip{"skip", R"({"type":"integer","default":0,"title":"Skip"})",
                          "How many to skip (at least 0)"};
constexpr QueryParam limit{"limit", R"({"type":"integer","default":100,"title":"Limit"})",
                           "The most to return (at least 0)"};
constexpr QueryParam page_query[] = {skip, limit};

/// One of the original's own routes: FastAPI redirects the other spelling of its path.
void add_route(Router& router, Route route, const RouteDoc& doc) {
  route.redirects_slash = true;
  router.add(route, doc);
}

}  // namespace

void add_routes(Router& router) {
  auto crud = [&](std::string_view tag, std::string_view collection, std::string_view item,
                  std::string_view body, std::array<std::string_view, 4> operations,
                  std::array<std::string_view, 4> summaries, std::array<Handler, 4> handlers,
                  std::array<std::span<const Reply>, 4> replies) {
    add_route(router, {"POST", collection, operations[0], tag, summaries[0], handlers[0], true},
              {.body = body, .replies = replies[0], .integer_ids = true});
    add_route(router, {"GET", collection, operations[1], tag, summaries[1], handlers[1]},
              {.query = page_query, .replies = replies[1], .integer_ids = true});
    add_route(router, {"GET", item, operations[2], tag, summaries[2], handlers[2]},
              {.replies = replies[2], .integer_ids = true});
    add_route(router, {"DELETE", item, operations[3], tag, summaries[3], handlers[3]},
              {.replies = replies[3], .integer_ids = true});
  };
  crud("environments", "/api/v1/environments", "/api/v1/environments/{environment_id}",
       "EnvironmentCreate",
       {"create_environment", "get_all_environments", "get_environment", "delete_environment"},
       {"Create Environment", "Get All Environments", "Get Environment", "Delete Environment"},
       {create_environment, list<environments>, get<environments>, delete_environment},
       {create_environment_replies, list_environment_replies, get_environment_replies,
        delete_environment_replies});
  crud("security-groups", "/api/v1/security-groups", "/api/v1/security-groups/{security_group_id}",
       "SecurityGroupCreate",
       {"create_security_group", "get_all_security_groups", "get_security_group",
        "delete_security_group"},
       {"Create Security Group", "Get All Security Groups", "Get Security Group",
        "Delete Security Group"},
       {create_security_group, list<security_groups>, get<security_groups>, delete_security_group},
       {create_security_group_replies, list_security_group_replies, get_security_group_replies,
        delete_security_group_replies});
  crud("vms", "/api/v1/vms", "/api/v1/vms/{vm_id}", "VMCreate",
       {"create_vm", "get_all_vms", "get_vm", "delete_vm"},
       {"Create Vm", "Get All Vms", "Get Vm", "Delete Vm"},
       {create_vm, list<vms>, get<vms>, delete_vm},
       {create_vm_replies, list_vm_replies, get_vm_replies, delete_vm_replies});
  crud("volumes", "/api/v1/volumes", "/api/v1/volumes/{volume_id}", "VolumeCreate",
       {"create_volume", "get_all_volumes", "get_volume", "delete_volume"},
       {"Create Volume", "Get All Volumes", "Get Volume", "Delete Volume"},
       {create_volume, list<volumes>, get<volumes>, delete_volume},
       {create_volume_replies, list_volume_replies, get_volume_replies, delete_volume_replies});
  add_route(router,
            {"POST", "/api/v1/volumes/{volume_id}/attach/{vm_id}", "attach_volume_to_vm", "volumes",
             "Attach Volume To Vm", attach_volume},
            {.replies = attach_volume_replies, .integer_ids = true});
  add_route(router,
            {"POST", "/api/v1/volumes/{volume_id}/detach", "detach_volume_from_vm", "volumes",
             "Detach Volume From Vm", detach_volume},
            {.replies = detach_volume_replies, .integer_ids = true});
}

void add_task_routes(Router& router) {
  add_task_list_route(router);
  router.add({"GET", "/api/v1/tasks/{task_id}", "get_task", "tasks", "Get a task", get_task},
             {.replies = get_task_replies});
}

void add_service_routes(Router& router) {
  add_route(router, {"GET", "/", "root", "service", "Root", root}, {.replies = root_replies});
  add_route(router, {"GET", "/health", "health_check", "service", "Health Check", health},
            {.replies = health_replies});
  add_route(
      router,
      {"GET", "/health/db", "database_health_check", "service", "Database Health Check", health_db},
      {.replies = health_db_replies});
}

}  // namespace mockcloud::http::original

// VMs, volumes and tasks: asynchronous resources and the worker's view of them.
#include "handlers.hpp"
#include "route_docs.hpp"
#include "wire.hpp"

namespace mockcloud::http {
namespace {

// VMs and volumes share their handlers and their routes: one table of the calls, paths and
// documentation of each kind.
template <class Spec, class Filter, class Snapshot>
struct AsyncKind {
  using SpecType = Spec;
  using FilterType = Filter;
  Spec (*read)(const json::object&, FieldErrors&);
  Result<Operation<Snapshot>> (ResourceManager::*create)(const Spec&);
  Listing<Snapshot> (ResourceManager::*list)(const Filter&, Page) const;
  Result<Snapshot> (ResourceManager::*get)(std::string_view) const;
  Result<Operation<Snapshot>> (ResourceManager::*remove)(std::string_view);
  std::string_view tag, collection, item, body;
  std::string_view operations[4];  // create, list, get, delete
  std::string_view summaries[4];
  std::span<const QueryParam> query;
  std::span<const Reply> replies[4];
};

template <const auto& Kind>
void create_async(Api& api, const Call& call, Response& res) {
  FieldErrors errors;
  BodyDocument doc{api.max_json_depth()};
  const auto* body = doc.parse(call.request.body, errors);
  using Spec = typename std::remove_cvref_t<decltype(Kind)>::SpecType;
  const auto spec = body ? Kind.read(*body, errors) : Spec{};
  if (!errors.empty()) {
    if (body) errors.add_rule_errors(validate(spec));
    return respond_fields(res, std::move(errors.list()));
  }
  auto op = (api.manager().*Kind.create)(spec);
  if (!op) return respond_error(res, op.error());
  respond_accepted(res, Kind.collection, op->resource());
}

template <const auto& Kind>
void list_async(Api& api, const Call& call, Response& res) {
  const Query query{call.query};
  FieldErrors errors;
  const Page page = query.page(errors);
  typename std::remove_cvref_t<decltype(Kind)>::FilterType filter;
  filter.environment_id = query.get("environment_id");
  filter.name = query.get("name");
  filter.status = query.enumeration<typename decltype(filter.status)::value_type>("status", errors);
  if (!errors.empty()) return respond_fields(res, std::move(errors.list()), {});
  respond_list(res, (api.manager().*Kind.list)(filter, page));
}

template <const auto& Kind>
void get_async(Api& api, const Call& call, Response& res) {
  auto resource = (api.manager().*Kind.get)(call.params[0]);
  if (!resource) return respond_error(res, resource.error());
  respond_json(res, 200, *resource);
}

template <const auto& Kind>
void delete_async(Api& api, const Call& call, Response& res) {
  auto op = (api.manager().*Kind.remove)(call.params[0]);
  if (!op) return respond_error(res, op.error());
  respond_accepted(res, Kind.collection, op->resource());
}

void attach_volume(Api& api, const Call& call, Response& res) {
  auto volume = api.manager().attach_volume(call.params[0], call.params[1]);
  if (!volume) return respond_error(res, volume.error());
  respond_json(res, 200, *volume);
}

void detach_volume(Api& api, const Call& call, Response& res) {
  auto volume = api.manager().detach_volume(call.params[0]);
  if (!volume) return respond_error(res, volume.error());
  respond_json(res, 200, *volume);
}

void list_tasks(Api& api, const Call& call, Response& res) {
  const Query query{call.query};
  FieldErrors errors;
  const Page page = query.page(errors);
  const TaskFilter filter{.resource_id = query.get("resource_id"),
                          .state = query.enumeration<TaskState>("state", errors)};
  if (!errors.empty()) return respond_fields(res, std::move(errors.list()), {});
  respond_list(res, api.manager().list_tasks(filter, page));
}

void get_task(Api& api, const Call& call, Response& res) {
  auto task = api.manager().get_task(call.params[0]);
  if (!task) return respond_error(res, task.error());
  respond_json(res, 200, *task);
}

constexpr QueryParam vm_status{"status", enum_schema<VmStatus>.view(),
                               "Only the VMs in this status"};
constexpr QueryParam volume_status{"status", enum_schema<VolumeStatus>.view(),
                                   "Only the volumes in this status"};
constexpr QueryParam vm_query[] = {docs::skip, docs::limit, docs::environment_id, vm_status,
                                   docs::name};
constexpr QueryParam volume_query[] = {docs::skip, docs::limit, docs::environment_id, volume_status,
                                       docs::name};
constexpr QueryParam task_query[] = {
    docs::skip,
    docs::limit,
    {"resource_id", R"({"type":"string"})", "Only the tasks of this resource"},
    {"state", enum_schema<TaskState>.view(), "Only the tasks in this state"}};

constexpr Reply create_vm_replies[] = {
    {202, "Vm", "Accepted: the VM, creating; Location says where to poll it", location},
    {404, "ErrorDetail", "The environment or a security group of the body does not exist"},
    {409, "ErrorDetail",
     "Conflict: a duplicate name, a security group of another environment, or an "
     "Idempotency-Key already used with another body"},
    docs::validation};
constexpr Reply list_vm_replies[] = {{200, "[Vm]", "The VMs, oldest first", total_count},
                                     docs::query_validation};
constexpr Reply get_vm_replies[] = {{200, "Vm", "The VM"}, docs::not_found};
constexpr Reply delete_vm_replies[] = {
    {202, "Vm", "Accepted: the VM, deleting (again while deleting: no second task)", location},
    docs::not_found};

constexpr Reply create_volume_replies[] = {
    {202, "Volume", "Accepted: the volume, creating; Location says where to poll it", location},
    docs::referenced_not_found,
    docs::create_conflict,
    docs::validation};
constexpr Reply list_volume_replies[] = {
    {200, "[Volume]", "The volumes, oldest first", total_count}, docs::query_validation};
constexpr Reply get_volume_replies[] = {{200, "Volume", "The volume"}, docs::not_found};
constexpr Reply delete_volume_replies[] = {
    {202, "Volume", "Accepted: the volume, deleting", location},
    docs::not_found,
    {409, "ErrorDetail", "Conflict: the volume is in use"}};
constexpr Reply attach_volume_replies[] = {
    {200, "Volume", "The volume, in-use, with its vm_id"},
    {404, "ErrorDetail", "The volume or the VM does not exist"},
    {409, "ErrorDetail",
     "Conflict: the volume is not available, the VM not running, they are in different "
     "environments, or the VM has 16 volumes"}};
constexpr Reply detach_volume_replies[] = {
    {200, "Volume", "The volume, available"},
    docs::not_found,
    {409, "ErrorDetail", "Conflict: the volume is not in use"}};

constexpr Reply list_task_replies[] = {{200, "[Task]", "The tasks, oldest first", total_count},
                                       docs::query_validation};
constexpr Reply get_task_replies[] = {{200, "Task", "The task"}, docs::not_found};

constexpr AsyncKind<VmSpec, VmFilter, Vm> vms{
    read_vm_spec,
    &ResourceManager::create_vm,
    &ResourceManager::list_vms,
    &ResourceManager::get_vm,
    &ResourceManager::delete_vm,
    "vms",
    "/api/v1/vms",
    "/api/v1/vms/{id}",
    "VmCreate",
    {"create_vm", "list_vms", "get_vm", "delete_vm"},
    {"Create a VM (asynchronous)", "List VMs", "Get a VM", "Delete a VM (asynchronous)"},
    vm_query,
    {create_vm_replies, list_vm_replies, get_vm_replies, delete_vm_replies}};
constexpr AsyncKind<VolumeSpec, VolumeFilter, Volume> volumes{
    read_volume_spec,
    &ResourceManager::create_volume,
    &ResourceManager::list_volumes,
    &ResourceManager::get_volume,
    &ResourceManager::delete_volume,
    "volumes",
    "/api/v1/volumes",
    "/api/v1/volumes/{id}",
    "VolumeCreate",
    {"create_volume", "list_volumes", "get_volume", "delete_volume"},
    {"Create a volume (asynchronous)", "List volumes", "Get a volume",
     "Delete a volume (asynchronous)"},
    volume_query,
    {create_volume_replies, list_volume_replies, get_volume_replies, delete_volume_replies}};

template <const auto& Kind>
void add_async_routes(Router& router) {
  router.add({"POST", Kind.collection, Kind.operations[0], Kind.tag, Kind.summaries[0],
              create_async<Kind>, true},
             {.body = Kind.body, .replies = Kind.replies[0]});
  router.add(
      {"GET", Kind.collection, Kind.operations[1], Kind.tag, Kind.summaries[1], list_async<Kind>},
      {.query = Kind.query, .replies = Kind.replies[1]});
  router.add({"GET", Kind.item, Kind.operations[2], Kind.tag, Kind.summaries[2], get_async<Kind>},
             {.replies = Kind.replies[2]});
  router.add(
      {"DELETE", Kind.item, Kind.operations[3], Kind.tag, Kind.summaries[3], delete_async<Kind>},
      {.replies = Kind.replies[3]});
}

}  // namespace

void add_vm_routes(Router& router) {
  add_async_routes<vms>(router);
}

void add_volume_routes(Router& router) {
  constexpr std::string_view tag = "volumes";
  add_async_routes<volumes>(router);
  router.add({"POST", "/api/v1/volumes/{id}/attach/{vm_id}", "attach_volume", tag,
              "Attach a volume to a running VM", attach_volume},
             {.replies = attach_volume_replies});
  router.add({"POST", "/api/v1/volumes/{id}/detach", "detach_volume", tag,
              "Detach a volume from its VM", detach_volume},
             {.replies = detach_volume_replies});
}

void add_task_list_route(Router& router) {
  router.add({"GET", "/api/v1/tasks", "list_tasks", "tasks", "List tasks", list_tasks},
             {.query = task_query, .replies = list_task_replies});
}

void add_task_routes(Router& router) {
  constexpr std::string_view tag = "tasks";
  add_task_list_route(router);
  router.add({"GET", "/api/v1/tasks/{id}", "get_task", tag, "Get a task", get_task},
             {.replies = get_task_replies});
}

}  // namespace mockcloud::http

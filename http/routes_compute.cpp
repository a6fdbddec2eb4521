// VMs, volumes and tasks: asynchronous resources and the worker's view of them.
#include "handlers.hpp"
#include "route_docs.hpp"
#include "wire.hpp"

namespace mockcloud::http {
namespace {

void create_vm(Api& api, const Call& call, Response& res) {
  FieldErrors errors;
  BodyDocument doc{api.max_json_depth()};
  const auto* body = doc.parse(call.request.body, errors);
  const auto spec = body ? read_vm_spec(*body, errors) : VmSpec{};
  if (!errors.empty()) {
    if (body) errors.add_rule_errors(validate(spec));
    return respond_fields(res, std::move(errors.list()));
  }
  auto op = api.manager().create_vm(spec);
  if (!op) return respond_error(res, op.error());
  respond_accepted(res, "/api/v1/vms", op->resource());
}

void list_vms(Api& api, const Call& call, Response& res) {
  const Query query{call.query};
  FieldErrors errors;
  const Page page = query.page(errors);
  const VmFilter filter{.environment_id = query.get("environment_id"),
                        .name = query.get("name"),
                        .status = query.enumeration<VmStatus>("status", errors)};
  if (!errors.empty()) return respond_fields(res, std::move(errors.list()), {});
  respond_list(res, api.manager().list_vms(filter, page));
}

void get_vm(Api& api, const Call& call, Response& res) {
  auto vm = api.manager().get_vm(call.params[0]);
  if (!vm) return respond_error(res, vm.error());
  respond_json(res, 200, *vm);
}

void delete_vm(Api& api, const Call& call, Response& res) {
  auto op = api.manager().delete_vm(call.params[0]);
  if (!op) return respond_error(res, op.error());
  respond_accepted(res, "/api/v1/vms", op->resource());
}

void create_volume(Api& api, const Call& call, Response& res) {
  FieldErrors errors;
  BodyDocument doc{api.max_json_depth()};
  const auto* body = doc.parse(call.request.body, errors);
  const auto spec = body ? read_volume_spec(*body, errors) : VolumeSpec{};
  if (!errors.empty()) {
    if (body) errors.add_rule_errors(validate(spec));
    return respond_fields(res, std::move(errors.list()));
  }
  auto op = api.manager().create_volume(spec);
  if (!op) return respond_error(res, op.error());
  respond_accepted(res, "/api/v1/volumes", op->resource());
}

void list_volumes(Api& api, const Call& call, Response& res) {
  const Query query{call.query};
  FieldErrors errors;
  const Page page = query.page(errors);
  const VolumeFilter filter{.environment_id = query.get("environment_id"),
                            .name = query.get("name"),
                            .status = query.enumeration<VolumeStatus>("status", errors)};
  if (!errors.empty()) return respond_fields(res, std::move(errors.list()), {});
  respond_list(res, api.manager().list_volumes(filter, page));
}

void get_volume(Api& api, const Call& call, Response& res) {
  auto volume = api.manager().get_volume(call.params[0]);
  if (!volume) return respond_error(res, volume.error());
  respond_json(res, 200, *volume);
}

void delete_volume(Api& api, const Call& call, Response& res) {
  auto op = api.manager().delete_volume(call.params[0]);
  if (!op) return respond_error(res, op.error());
  respond_accepted(res, "/api/v1/volumes", op->resource());
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

}  // namespace

void add_vm_routes(Router& router) {
  constexpr std::string_view tag = "vms";
  router.add(
      {"POST", "/api/v1/vms", "create_vm", tag, "Create a VM (asynchronous)", create_vm, true},
      {.body = "VmCreate", .replies = create_vm_replies});
  router.add({"GET", "/api/v1/vms", "list_vms", tag, "List VMs", list_vms},
             {.query = vm_query, .replies = list_vm_replies});
  router.add({"GET", "/api/v1/vms/{id}", "get_vm", tag, "Get a VM", get_vm},
             {.replies = get_vm_replies});
  router.add(
      {"DELETE", "/api/v1/vms/{id}", "delete_vm", tag, "Delete a VM (asynchronous)", delete_vm},
      {.replies = delete_vm_replies});
}

void add_volume_routes(Router& router) {
  constexpr std::string_view tag = "volumes";
  router.add({"POST", "/api/v1/volumes", "create_volume", tag, "Create a volume (asynchronous)",
              create_volume, true},
             {.body = "VolumeCreate", .replies = create_volume_replies});
  router.add({"GET", "/api/v1/volumes", "list_volumes", tag, "List volumes", list_volumes},
             {.query = volume_query, .replies = list_volume_replies});
  router.add({"GET", "/api/v1/volumes/{id}", "get_volume", tag, "Get a volume", get_volume},
             {.replies = get_volume_replies});
  router.add({"DELETE", "/api/v1/volumes/{id}", "delete_volume", tag,
              "Delete a volume (asynchronous)", delete_volume},
             {.replies = delete_volume_replies});
  router.add({"POST", "/api/v1/volumes/{id}/attach/{vm_id}", "attach_volume", tag,
              "Attach a volume to a running VM", attach_volume},
             {.replies = attach_volume_replies});
  router.add({"POST", "/api/v1/volumes/{id}/detach", "detach_volume", tag,
              "Detach a volume from its VM", detach_volume},
             {.replies = detach_volume_replies});
}

void add_task_routes(Router& router) {
  constexpr std::string_view tag = "tasks";
  router.add({"GET", "/api/v1/tasks", "list_tasks", tag, "List tasks", list_tasks},
             {.query = task_query, .replies = list_task_replies});
  router.add({"GET", "/api/v1/tasks/{id}", "get_task", tag, "Get a task", get_task},
             {.replies = get_task_replies});
}

}  // namespace mockcloud::http

// VMs, volumes and tasks: asynchronous resources and the worker's view of them.
#include "handlers.hpp"

namespace mockcloud::http {
namespace {

constexpr VmStatus all_vm_statuses[] = {VmStatus::creating, VmStatus::running, VmStatus::error,
                                        VmStatus::deleting};
constexpr VolumeStatus all_volume_statuses[] = {VolumeStatus::creating, VolumeStatus::available,
                                                VolumeStatus::in_use, VolumeStatus::error,
                                                VolumeStatus::deleting};
constexpr TaskState all_task_states[] = {TaskState::pending, TaskState::started, TaskState::success,
                                         TaskState::failure, TaskState::revoked};

void create_vm(Api& api, const Call& call, Response& res) {
  FieldErrors errors;
  BodyDocument doc;
  const auto* body = doc.parse(call.request.body, errors);
  const auto spec = body ? read_vm_spec(*body, errors) : VmSpec{};
  if (!errors.empty()) return respond_fields(res, std::move(errors.list()));
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
                        .status = query.enumeration("status", all_vm_statuses, errors)};
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
  BodyDocument doc;
  const auto* body = doc.parse(call.request.body, errors);
  const auto spec = body ? read_volume_spec(*body, errors) : VolumeSpec{};
  if (!errors.empty()) return respond_fields(res, std::move(errors.list()));
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
                            .status = query.enumeration("status", all_volume_statuses, errors)};
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
                          .state = query.enumeration("state", all_task_states, errors)};
  if (!errors.empty()) return respond_fields(res, std::move(errors.list()), {});
  respond_list(res, api.manager().list_tasks(filter, page));
}

void get_task(Api& api, const Call& call, Response& res) {
  auto task = api.manager().get_task(call.params[0]);
  if (!task) return respond_error(res, task.error());
  respond_json(res, 200, *task);
}

}  // namespace

void add_vm_routes(Router& router) {
  constexpr std::string_view tag = "vms";
  router.add(
      {"POST", "/api/v1/vms", "create_vm", tag, "Create a VM (asynchronous)", create_vm, true});
  router.add({"GET", "/api/v1/vms", "list_vms", tag, "List VMs", list_vms});
  router.add({"GET", "/api/v1/vms/{id}", "get_vm", tag, "Get a VM", get_vm});
  router.add(
      {"DELETE", "/api/v1/vms/{id}", "delete_vm", tag, "Delete a VM (asynchronous)", delete_vm});
}

void add_volume_routes(Router& router) {
  constexpr std::string_view tag = "volumes";
  router.add({"POST", "/api/v1/volumes", "create_volume", tag, "Create a volume (asynchronous)",
              create_volume, true});
  router.add({"GET", "/api/v1/volumes", "list_volumes", tag, "List volumes", list_volumes});
  router.add({"GET", "/api/v1/volumes/{id}", "get_volume", tag, "Get a volume", get_volume});
  router.add({"DELETE", "/api/v1/volumes/{id}", "delete_volume", tag,
              "Delete a volume (asynchronous)", delete_volume});
  router.add({"POST", "/api/v1/volumes/{id}/attach/{vm_id}", "attach_volume", tag,
              "Attach a volume to a running VM", attach_volume});
  router.add({"POST", "/api/v1/volumes/{id}/detach", "detach_volume", tag,
              "Detach a volume from its VM", detach_volume});
}

void add_task_routes(Router& router) {
  constexpr std::string_view tag = "tasks";
  router.add({"GET", "/api/v1/tasks", "list_tasks", tag, "List tasks", list_tasks});
  router.add({"GET", "/api/v1/tasks/{id}", "get_task", tag, "Get a task", get_task});
}

}  // namespace mockcloud::http

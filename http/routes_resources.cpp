// Environments and security groups: synchronous resources.
#include "handlers.hpp"

namespace mockcloud::http {
namespace {

void create_environment(Api& api, const Call& call, Response& res) {
  FieldErrors errors;
  BodyDocument doc;
  const auto* body = doc.parse(call.request.body, errors);
  const auto spec = body ? read_environment_spec(*body, errors) : EnvironmentSpec{};
  if (!errors.empty()) return respond_fields(res, std::move(errors.list()));
  auto env = api.manager().create_environment(spec);
  if (!env) return respond_error(res, env.error());
  respond_json(res, 201, *env);
}

void list_environments(Api& api, const Call& call, Response& res) {
  const Query query{call.query};
  FieldErrors errors;
  const Page page = query.page(errors);
  if (!errors.empty()) return respond_fields(res, std::move(errors.list()), {});
  respond_list(res, api.manager().list_environments({.name = query.get("name")}, page));
}

void get_environment(Api& api, const Call& call, Response& res) {
  auto env = api.manager().get_environment(call.params[0]);
  if (!env) return respond_error(res, env.error());
  respond_json(res, 200, *env);
}

void delete_environment(Api& api, const Call& call, Response& res) {
  auto done = api.manager().delete_environment(call.params[0]);
  if (!done) return respond_error(res, done.error());
  res.status = 204;
}

void create_security_group(Api& api, const Call& call, Response& res) {
  FieldErrors errors;
  BodyDocument doc;
  const auto* body = doc.parse(call.request.body, errors);
  const auto spec = body ? read_security_group_spec(*body, errors) : SecurityGroupSpec{};
  if (!errors.empty()) return respond_fields(res, std::move(errors.list()));
  auto group = api.manager().create_security_group(spec);
  if (!group) return respond_error(res, group.error());
  respond_json(res, 201, *group);
}

void list_security_groups(Api& api, const Call& call, Response& res) {
  const Query query{call.query};
  FieldErrors errors;
  const Page page = query.page(errors);
  if (!errors.empty()) return respond_fields(res, std::move(errors.list()), {});
  respond_list(
      res, api.manager().list_security_groups(
               {.environment_id = query.get("environment_id"), .name = query.get("name")}, page));
}

void get_security_group(Api& api, const Call& call, Response& res) {
  auto group = api.manager().get_security_group(call.params[0]);
  if (!group) return respond_error(res, group.error());
  respond_json(res, 200, *group);
}

void delete_security_group(Api& api, const Call& call, Response& res) {
  auto done = api.manager().delete_security_group(call.params[0]);
  if (!done) return respond_error(res, done.error());
  res.status = 204;
}

}  // namespace

void add_environment_routes(Router& router) {
  constexpr std::string_view tag = "environments";
  router.add({"POST", "/api/v1/environments", "create_environment", tag,
              "Create an environment (an isolated IPv4 network)", create_environment, true});
  router.add({"GET", "/api/v1/environments", "list_environments", tag, "List environments",
              list_environments});
  router.add({"GET", "/api/v1/environments/{id}", "get_environment", tag, "Get an environment",
              get_environment});
  router.add({"DELETE", "/api/v1/environments/{id}", "delete_environment", tag,
              "Delete an empty environment", delete_environment});
}

void add_security_group_routes(Router& router) {
  constexpr std::string_view tag = "security groups";
  router.add({"POST", "/api/v1/security-groups", "create_security_group", tag,
              "Create a security group", create_security_group, true});
  router.add({"GET", "/api/v1/security-groups", "list_security_groups", tag, "List security groups",
              list_security_groups});
  router.add({"GET", "/api/v1/security-groups/{id}", "get_security_group", tag,
              "Get a security group", get_security_group});
  router.add({"DELETE", "/api/v1/security-groups/{id}", "delete_security_group", tag,
              "Delete a security group no VM uses", delete_security_group});
}

}  // namespace mockcloud::http

// Environments and security groups: synchronous resources.
#include "handlers.hpp"
#include "route_docs.hpp"

namespace mockcloud::http {
namespace {

void create_environment(Api& api, const Call& call, Response& res) {
  FieldErrors errors;
  BodyDocument doc{api.max_json_depth()};
  const auto* body = doc.parse(call.request.body, errors);
  const auto spec = body ? read_environment_spec(*body, errors) : EnvironmentSpec{};
  if (!errors.empty()) {
    if (body) errors.add_rule_errors(validate(spec));
    return respond_fields(res, std::move(errors.list()));
  }
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
  BodyDocument doc{api.max_json_depth()};
  const auto* body = doc.parse(call.request.body, errors);
  const auto spec = body ? read_security_group_spec(*body, errors) : SecurityGroupSpec{};
  if (!errors.empty()) {
    if (body) errors.add_rule_errors(validate(spec));
    return respond_fields(res, std::move(errors.list()));
  }
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

constexpr QueryParam environment_query[] = {docs::skip, docs::limit, docs::name};
constexpr QueryParam security_group_query[] = {docs::skip, docs::limit, docs::environment_id,
                                               docs::name};

constexpr Reply create_environment_replies[] = {
    {201, "Environment", "Created"}, docs::create_conflict, docs::validation};
constexpr Reply list_environment_replies[] = {
    {200, "[Environment]", "The environments, oldest first", total_count}, docs::query_validation};
constexpr Reply get_environment_replies[] = {{200, "Environment", "The environment"},
                                             docs::not_found};
constexpr Reply delete_environment_replies[] = {
    {204, "", "Deleted"},
    docs::not_found,
    {409, "ErrorDetail", "Conflict: a VM, volume or security group is still in it"}};

constexpr Reply create_security_group_replies[] = {{201, "SecurityGroup", "Created"},
                                                   docs::referenced_not_found,
                                                   docs::create_conflict,
                                                   docs::validation};
constexpr Reply list_security_group_replies[] = {
    {200, "[SecurityGroup]", "The security groups, oldest first", total_count},
    docs::query_validation};
constexpr Reply get_security_group_replies[] = {{200, "SecurityGroup", "The security group"},
                                                docs::not_found};
constexpr Reply delete_security_group_replies[] = {
    {204, "", "Deleted"}, docs::not_found, {409, "ErrorDetail", "Conflict: a VM uses it"}};

}  // namespace

void add_environment_routes(Router& router) {
  constexpr std::string_view tag = "environments";
  router.add({"POST", "/api/v1/environments", "create_environment", tag,
              "Create an environment (an isolated IPv4 network)", create_environment, true},
             {.body = "EnvironmentCreate", .replies = create_environment_replies});
  router.add({"GET", "/api/v1/environments", "list_environments", tag, "List environments",
              list_environments},
             {.query = environment_query, .replies = list_environment_replies});
  router.add({"GET", "/api/v1/environments/{id}", "get_environment", tag, "Get an environment",
              get_environment},
             {.replies = get_environment_replies});
  router.add({"DELETE", "/api/v1/environments/{id}", "delete_environment", tag,
              "Delete an empty environment", delete_environment},
             {.replies = delete_environment_replies});
}

void add_security_group_routes(Router& router) {
  constexpr std::string_view tag = "security groups";
  router.add({"POST", "/api/v1/security-groups", "create_security_group", tag,
              "Create a security group", create_security_group, true},
             {.body = "SecurityGroupCreate", .replies = create_security_group_replies});
  router.add({"GET", "/api/v1/security-groups", "list_security_groups", tag, "List security groups",
              list_security_groups},
             {.query = security_group_query, .replies = list_security_group_replies});
  router.add({"GET", "/api/v1/security-groups/{id}", "get_security_group", tag,
              "Get a security group", get_security_group},
             {.replies = get_security_group_replies});
  router.add({"DELETE", "/api/v1/security-groups/{id}", "delete_security_group", tag,
              "Delete a security group no VM uses", delete_security_group},
             {.replies = delete_security_group_replies});
}

}  // namespace mockcloud::http

// /health and the test-control routes under /_mock.
#include "handlers.hpp"
#include "mockcloud/clock.hpp"
#include "route_docs.hpp"
#include "service.hpp"

#ifndef MOCKCLOUD_VERSION
#define MOCKCLOUD_VERSION "0.0.0"
#endif

namespace mockcloud::http {
namespace {

constexpr double max_advance_seconds = 1e9;  // ~31 years; keeps the Duration from overflowing

void write_counts(std::string& out, const Counts& c) {
  out += "{\"environments\":";
  write_int(out, static_cast<std::int64_t>(c.environments));
  out += ",\"security_groups\":";
  write_int(out, static_cast<std::int64_t>(c.security_groups));
  out += ",\"vms\":";
  write_int(out, static_cast<std::int64_t>(c.vms));
  out += ",\"volumes\":";
  write_int(out, static_cast<std::int64_t>(c.volumes));
  out += ",\"tasks\":";
  write_int(out, static_cast<std::int64_t>(c.tasks));
  out += '}';
}

void health(Api& api, const Call&, Response& res) {
  auto& manager = api.manager();
  // A shared database that cannot be reached: 503, for a load balancer to route around.
  std::string problem = api.support().unavailable();
  std::optional<Counts> counts;
  if (problem.empty()) {
    try {
      counts = manager.counts();  // applies what the other servers wrote first
    } catch (const StoreError& e) {
      problem = e.what();
    }
  }
  auto& out = res.body;
  out += problem.empty() ? "{\"status\":\"healthy\"" : "{\"status\":\"unhealthy\"";
  out += ",\"version\":";
  write_string(out, MOCKCLOUD_VERSION);
  out += ",\"clock\":";
  write_string(out, to_string(manager.clock().mode()));
  out += ",\"now\":";
  write_time(out, manager.clock().now());
  out += ",\"uptime_s\":";
  write_double(out, Api::uptime_seconds());
  if (api.support().shared())
    out += problem.empty() ? R"(,"database":"connected")" : R"(,"database":"unreachable")";
  if (counts) {
    out += ",\"counts\":";
    write_counts(out, *counts);
  } else {
    out += ",\"detail\":";
    write_string(out, problem);
    res.status = 503;
    res.retry_after = 1;
  }
  out += '}';
}

void reset(Api& api, const Call& call, Response& res) {
  FieldErrors errors;
  BodyDocument doc{api.max_json_depth()};
  const auto* body = doc.parse(call.request.body, errors, /*required=*/false);
  std::optional<std::uint64_t> seed;
  if (body != nullptr) {
    if (const auto* v = body->if_contains("seed"); v != nullptr && !v->is_null()) {
      std::string_view type;
      if (v->is_uint64()) {
        seed = v->get_uint64();
      } else if (auto i = to_int64(*v, type); !i) {
        errors.add({std::string("seed")}, std::string(type_error_message(type)), std::string(type));
      } else if (*i < 0) {
        errors.add({std::string("seed")}, "Input should be greater than or equal to 0",
                   "greater_than_equal");
      } else {
        seed = static_cast<std::uint64_t>(*i);
      }
    }
  }
  if (!errors.empty()) return respond_fields(res, std::move(errors.list()));
  api.manager().reset(seed);
  api.clear_caches();
  res.status = 204;
}

void get_config(Api& api, const Call&, Response& res) {
  respond_json(res, 200, api.manager().settings());
}

void patch_config(Api& api, const Call& call, Response& res) {
  FieldErrors errors;
  BodyDocument doc{api.max_json_depth()};
  const auto* body = doc.parse(call.request.body, errors);
  SettingsPatch patch;
  if (body != nullptr) {
    for (const auto& member : *body) {
      const std::string_view key = member.key();
      if (find_setting(key) == nullptr) continue;  // unknown fields are ignored
      if (auto d = to_double(member.value()))
        patch.values.emplace_back(std::string(key), *d);
      else
        errors.add({std::string(key)}, std::string(type_error_message("float_type")), "float_type");
    }
  }
  if (!errors.empty()) return respond_fields(res, std::move(errors.list()));
  auto settings = api.manager().update_settings(patch);
  if (!settings) return respond_error(res, settings.error());
  respond_json(res, 200, *settings);
}

void invariants(Api& api, const Call&, Response& res) {
  const auto violations = api.manager().check_invariants();
  res.status = 200;
  auto& out = res.body;
  out = violations.empty() ? R"({"ok":true,"violations":[)" : R"({"ok":false,"violations":[)";
  for (std::size_t i = 0; i < violations.size(); ++i) {
    if (i != 0) out += ',';
    out += R"({"kind":)";
    write_string(out, violations[i].kind);
    out += R"(,"message":)";
    write_string(out, violations[i].message);
    out += '}';
  }
  out += "]}";
}

void get_clock(Api& api, const Call&, Response& res) {
  api.support().refresh();  // another server may have moved it
  const auto& clock = api.manager().clock();
  res.body += "{\"mode\":";
  write_string(res.body, to_string(clock.mode()));
  res.body += ",\"now\":";
  write_time(res.body, clock.now());
  res.body += '}';
}

void advance_clock(Api& api, const Call& call, Response& res) {
  FieldErrors errors;
  BodyDocument doc{api.max_json_depth()};
  const auto* body = doc.parse(call.request.body, errors);
  std::optional<double> seconds;
  if (body != nullptr) {
    ObjectReader reader{*body, errors, {}};
    if (reader.find("seconds") == nullptr || reader.find("seconds")->is_null())
      errors.add(reader.loc("seconds"), "Field required", "missing");
    else
      reader.nullable_number("seconds", seconds);
  }
  if (seconds && *seconds < 0)
    errors.add({std::string("seconds")}, "Input should be greater than or equal to 0",
               "greater_than_equal");
  if (seconds && *seconds > max_advance_seconds)
    errors.add({std::string("seconds")}, "Input should be less than or equal to 1000000000",
               "less_than_equal");
  if (!errors.empty()) return respond_fields(res, std::move(errors.list()));

  auto* clock = dynamic_cast<VirtualClock*>(&api.manager().clock());
  if (clock == nullptr)
    return respond_detail(res, 409,
                          "The clock is the system clock; start the server with --clock virtual "
                          "to advance it");
  const std::size_t fired = api.support().advance_clock(*clock, seconds_to_duration(*seconds));
  res.body += "{\"now\":";
  write_time(res.body, clock->now());
  res.body += ",\"fired\":";
  write_int(res.body, static_cast<std::int64_t>(fired));
  res.body += '}';
}

void add_fault(Api& api, const Call& call, Response& res) {
  FieldErrors errors;
  BodyDocument doc{api.max_json_depth()};
  const auto* body = doc.parse(call.request.body, errors);
  const auto spec = body ? read_fault_spec(*body, errors) : FaultSpec{};
  if (!errors.empty()) {
    if (body) errors.add_rule_errors(validate(spec));
    return respond_fields(res, std::move(errors.list()));
  }
  auto fault = api.manager().add_fault(spec);
  if (!fault) return respond_error(res, fault.error());
  respond_json(res, 201, *fault);
}

void list_faults(Api& api, const Call&, Response& res) {
  const auto faults = api.manager().faults();
  res.total = faults.size();
  write_json_array(res.body, faults);
}

void delete_fault(Api& api, const Call& call, Response& res) {
  auto done = api.manager().remove_fault(call.params[0]);
  if (!done) return respond_error(res, done.error());
  res.status = 204;
}

void clear_faults(Api& api, const Call&, Response& res) {
  api.manager().clear_faults();
  res.status = 204;
}

constexpr Reply health_replies[] = {{200, "Health", "Healthy, with the version, clock and counts"}};
constexpr Reply openapi_replies[] = {{200, "", "This document (OpenAPI 3.1)"}};
constexpr Reply page_replies[] = {
    {200, "", "The page; its scripts and styles come from /docs/assets", 0, "text/html"},
    {503, "", "A page saying which asset files are missing and how to install them", 0,
     "text/html"}};
constexpr Reply ui_page_replies[] = {
    {200, "", "The dashboard; its scripts and styles come from /ui/assets", 0, "text/html"},
    page_replies[1]};
constexpr Reply asset_replies[] = {
    {200, "", "The file", 0, "application/javascript text/css"},
    {404, "ErrorDetail", "No such asset, or the assets are not installed"}};
constexpr Reply metrics_replies[] = {
    {200, "", "The metrics in the Prometheus text format 0.0.4", 0, "text/plain"}};

constexpr Reply reset_replies[] = {{204, "", "Reset"}, docs::validation};
constexpr Reply get_config_replies[] = {{200, "Settings", "The runtime settings"}};
constexpr Reply patch_config_replies[] = {
    {200, "Settings", "The whole new configuration"},
    {422, "HTTPValidationError",
     "Validation Error: a bad value, or a min above its max after the merge; nothing changed"}};
constexpr Reply get_clock_replies[] = {{200, "Clock", "The clock"}};
constexpr Reply invariants_replies[] = {
    {200, "Invariants", "ok, or every broken invariant (a bug of the mock: please report it)"}};
constexpr Reply advance_clock_replies[] = {
    {200, "ClockAdvanced", "The new time and how many operations completed"},
    {409, "ErrorDetail", "Conflict: the clock is the system clock"},
    docs::validation};
constexpr Reply add_fault_replies[] = {{201, "Fault", "The fault as stored"}, docs::validation};
constexpr Reply list_faults_replies[] = {{200, "[Fault]", "The faults, oldest first", total_count}};
constexpr Reply clear_faults_replies[] = {{204, "", "Every fault removed"}};
constexpr Reply delete_fault_replies[] = {{204, "", "Removed"},
                                          {404, "ErrorDetail", "No such fault"}};

}  // namespace

void add_service_routes(Router& router) {
  constexpr std::string_view tag = "service";
  router.add({"GET", "/health", "health", tag, "Health, version, clock and counts", health},
             {.replies = health_replies});
  add_docs_routes(router);
  router.add(
      {"GET", "/ui", "ui", tag,
       "A dashboard of the cloud: resources, tasks, a timeline and the test controls", ui_page},
      {.replies = ui_page_replies});
  router.add({"GET", "/ui/assets/{file}", "ui_asset", tag,
              "A script or style sheet of the /ui page", ui_asset},
             {.replies = asset_replies});
}

void add_docs_routes(Router& router) {
  constexpr std::string_view tag = "service";
  router.add({"GET", "/openapi.json", "openapi", tag, "This OpenAPI document", get_openapi},
             {.replies = openapi_replies});
  router.add({"GET", "/docs", "swagger_ui", tag, "Swagger UI for this document", swagger_ui_page},
             {.replies = page_replies});
  router.add({"GET", "/redoc", "redoc", tag, "ReDoc for this document", redoc_page},
             {.replies = page_replies});
  router.add({"GET", "/docs/assets/{file}", "docs_asset", tag,
              "A script or style sheet of the /docs and /redoc pages", docs_asset},
             {.replies = asset_replies});
  router.add(
      {"GET", "/metrics", "metrics", tag, "Metrics in the Prometheus text format", metrics_text},
      {.replies = metrics_replies});
}

void add_control_routes(Router& router) {
  constexpr std::string_view tag = "test control";
  router.add({"POST", "/_mock/reset", "reset", tag,
              "Remove everything, restore the start-up settings, optionally set the seed", reset},
             {.body = "Reset", .body_required = false, .replies = reset_replies});
  router.add({"GET", "/_mock/config", "get_config", tag, "The runtime settings", get_config},
             {.replies = get_config_replies});
  router.add(
      {"PATCH", "/_mock/config", "patch_config", tag, "Change some runtime settings", patch_config},
      {.body = "SettingsPatch", .replies = patch_config_replies});
  router.add({"GET", "/_mock/clock", "get_clock", tag, "The clock's mode and time", get_clock},
             {.replies = get_clock_replies});
  router.add({"GET", "/_mock/invariants", "check_invariants", tag,
              "Check the state against the invariants every change keeps", invariants},
             {.replies = invariants_replies});
  router.add({"POST", "/_mock/clock/advance", "advance_clock", tag,
              "Move a virtual clock forward, completing every operation due", advance_clock},
             {.body = "ClockAdvance", .replies = advance_clock_replies});
  router.add({"POST", "/_mock/faults", "add_fault", tag, "Inject a fault", add_fault},
             {.body = "FaultCreate", .replies = add_fault_replies});
  router.add({"GET", "/_mock/faults", "list_faults", tag, "The injected faults", list_faults},
             {.replies = list_faults_replies});
  router.add({"DELETE", "/_mock/faults", "clear_faults", tag, "Remove every fault", clear_faults},
             {.replies = clear_faults_replies});
  router.add(
      {"DELETE", "/_mock/faults/{id}", "delete_fault", tag, "Remove one fault", delete_fault},
      {.replies = delete_fault_replies});
}

}  // namespace mockcloud::http

#include "api.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <random>
#include <thread>

#include "access_log.hpp"
#include "json_io.hpp"
#include "mockcloud/random.hpp"
#include "original/respond.hpp"
#include "original/routes.hpp"

namespace mockcloud::http {
namespace {

using namespace std::chrono_literals;

const auto process_start = std::chrono::steady_clock::now();
constexpr auto replay_window = 24h;
constexpr std::size_t replay_prune_threshold = 4096;

void generate_request_id(std::string& out) {
  thread_local Rng rng{(static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                       std::hash<std::thread::id>{}(std::this_thread::get_id())};
  char buf[36];
  Uuid::from_rng(rng).write(buf);
  out.assign(buf, sizeof buf);
}

bool is_api_path(std::string_view path) {
  constexpr std::string_view prefix = "/api/v1";
  return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

/// Whether a body with this Content-Type is read as JSON, as FastAPI does: when it is absent
/// (or empty), application/json or application/<anything>+json, case-insensitive, parameters
/// ("; charset=utf-8") ignored.
bool json_media_type(std::string_view content_type) {
  auto trim = [](std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return std::string_view{};
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
  };
  const std::string_view media = trim(content_type.substr(0, content_type.find(';')));
  if (media.empty()) return true;
  std::string lower(media);
  for (auto& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  constexpr std::string_view application = "application/";
  if (!lower.starts_with(application)) return false;
  const std::string_view subtype = std::string_view(lower).substr(application.size());
  return subtype == "json" || subtype.ends_with("+json");
}

/// The document of a server with a control token: the /_mock routes need it (a bearer
/// security scheme) and may answer 401.
std::string with_control_token(const std::string& document) {
  namespace json = boost::json;
  json::value doc = json::parse(document);
  auto& root = doc.as_object();
  root["components"].as_object()["securitySchemes"] = json::object{
      {"control_token",
       {{"type", "http"},
        {"scheme", "bearer"},
        {"description", "The server's --control-token, which the /_mock routes require"}}}};
  for (auto& [path, operations] : root["paths"].as_object()) {
    if (!path.starts_with("/_mock")) continue;
    for (auto& [method, operation] : operations.as_object()) {
      auto& op = operation.as_object();
      op["security"] = json::array{json::object{{"control_token", json::array{}}}};
      op["responses"].as_object()["401"] = json::object{
          {"description", "No Authorization: Bearer header, or not the control token"},
          {"headers",
           {{"WWW-Authenticate", {{"schema", {{"type", "string"}}}}},
            {"X-Request-Id", {{"$ref", "#/components/headers/X-Request-Id"}}}}},
          {"content",
           {{"application/json", {{"schema", {{"$ref", "#/components/schemas/ErrorDetail"}}}}}}}};
    }
  }
  return json::serialize(doc);
}

/// The document of a server on a shared database (--database-url): while PostgreSQL cannot be
/// reached, the API, the test control and /health answer 503 with Retry-After.
std::string with_shared_database(const std::string& document) {
  namespace json = boost::json;
  json::value doc = json::parse(document);
  auto& root = doc.as_object();
  const bool has_health_schema =
      root["components"].as_object()["schemas"].as_object().contains("Health");
  for (auto& [path, operations] : root["paths"].as_object()) {
    const bool health = path == "/health" && has_health_schema;
    if (!path.starts_with("/api/v1") && !path.starts_with("/_mock") && !health) continue;
    for (auto& [method, operation] : operations.as_object()) {
      auto& responses = operation.as_object()["responses"].as_object();
      if (responses.contains("503") && !health) continue;  // a documented one (faults)
      const char* schema =
          health ? "#/components/schemas/Health" : "#/components/schemas/ErrorDetail";
      responses["503"] = json::object{
          {"description", health ? "The database is unreachable: `database` says so, `detail` why"
                                 : "The database is unreachable; retry after Retry-After seconds"},
          {"headers",
           {{"Retry-After", {{"schema", {{"type", "integer"}}}}},
            {"X-Request-Id", {{"$ref", "#/components/headers/X-Request-Id"}}}}},
          {"content", {{"application/json", {{"schema", {{"$ref", schema}}}}}}}};
    }
  }
  return json::serialize(doc);
}

}  // namespace

Api::Api(ResourceManager& manager, WireDialect dialect)
    : manager_(manager), dialect_(dialect), support_(manager) {
  if (dialect == WireDialect::original) {
    original::add_service_routes(router_);
    add_docs_routes(router_);
    original::add_routes(router_);
    original::add_task_routes(router_);
  } else {
    add_service_routes(router_);
    add_environment_routes(router_);
    add_security_group_routes(router_);
    add_vm_routes(router_);
    add_volume_routes(router_);
    add_task_routes(router_);
  }
  add_event_routes(router_);
  add_control_routes(router_);
  metrics_.allocate(router_.routes().size());
}

const std::string& Api::openapi_document() {
  std::call_once(openapi_once_, [this] {
    openapi_ = dialect_ == WireDialect::original ? original::build_openapi_document(router_)
                                                 : build_openapi_document(router_);
    if (!control_token_.empty()) openapi_ = with_control_token(openapi_);
    if (support_.shared()) openapi_ = with_shared_database(openapi_);
  });
  return openapi_;
}

bool Api::redirected(const Request& request, const Route& route, Response& response) const {
  if (!route.redirects_slash) return false;
  const std::string_view target = request.target;
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const bool slash = path.size() > 1 && path.back() == '/';
  if (slash == route.collection) return false;
  response.status = 307;
  response.location.assign(slash ? path.substr(0, path.size() - 1) : path);
  if (!slash) response.location += '/';
  if (q != std::string_view::npos) response.location.append(target.substr(q));
  return true;
}

void Api::record_rejected(const Response& response, std::chrono::nanoseconds duration) {
  metrics_.observe(Metrics::unmatched, response.status, duration);
  log::request("", "", "", response.status, duration, response.request_id);
}

double Api::uptime_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - process_start).count();
}

void Api::unavailable(Response& response, std::string_view why) {
  response.status = 503;
  response.retry_after = 1;
  write_detail(response.body, why);
}

void Api::store_failed(Response& response) {
  const std::string why = support_.unavailable();
  response.clear();
  if (why.empty()) {
    response.status = 500;
    write_detail(response.body, "Internal Server Error");
  } else {
    unavailable(response, why);
  }
}

void Api::error_response(Response& response, int status, std::string_view detail) {
  response.clear();
  response.status = status;
  write_detail(response.body, detail);
  generate_request_id(response.request_id);
}

void Api::clear_caches() {
  std::lock_guard lock(idempotency_mutex_);
  replays_.clear();
}

void Api::set_cors_origins(std::vector<std::string> origins) {
  cors_enabled_ = !origins.empty();
  cors_any_ = std::find(origins.begin(), origins.end(), "*") != origins.end();
  cors_origins_ = cors_any_ ? std::vector<std::string>{} : std::move(origins);
}

bool Api::cors_allows(std::string_view origin) const {
  return cors_any_ ||
         std::find(cors_origins_.begin(), cors_origins_.end(), origin) != cors_origins_.end();
}

bool Api::preflight(const Request& request, Response& response) {
  std::string_view query;
  const std::string_view path = Router::normalize(request.target, query);
  // No route has OPTIONS: a known path is a 405 match, whose Allow is the path's methods.
  auto match = router_.match(request.method, path);
  if (match.outcome != Router::Outcome::method_not_allowed) return false;
  if (!cors_allows(request.origin)) {
    response.status = 400;
    response.content_type = "text/plain; charset=utf-8";
    response.body = "Disallowed CORS origin";
    return true;
  }
  response.status = 200;
  response.cors_origin.assign(request.origin);
  response.cors_methods = std::move(match.allow);
  if (request.cors_request_headers.empty())
    response.cors_headers = "Content-Type, Idempotency-Key, X-Request-Id, Authorization";
  else
    response.cors_headers.assign(request.cors_request_headers);
  return true;
}

void Api::handle(const Request& request, Response& response) {
  const auto start = std::chrono::steady_clock::now();
  response.clear();
  const Route* route = nullptr;
  // CORS here, around every route, before faults and latency: a browser's preflight
  // (OPTIONS with Origin and Access-Control-Request-Method) is answered without dispatch.
  const bool cors = cors_enabled_ && !request.origin.empty();
  bool preflighted = false;
  try {
    if (cors && request.method == "OPTIONS" && !request.cors_request_method.empty())
      preflighted = preflight(request, response);
    if (!preflighted) dispatch(request, response, route);
  } catch (const StoreError& e) {
    // A shared database that cannot be reached: the caller retries (nothing was changed).
    response.clear();
    unavailable(response, e.what());
  } catch (const std::exception& e) {
    response.clear();
    response.status = 500;
    write_detail(response.body, "Internal Server Error");
    log::message(log::Level::error, "unhandled exception", e.what());
  } catch (...) {
    response.clear();
    response.status = 500;
    write_detail(response.body, "Internal Server Error");
    log::message(log::Level::error, "unhandled exception", "not a std::exception");
  }
  if (!request.request_id.empty())
    response.request_id.assign(request.request_id);
  else
    generate_request_id(response.request_id);
  if (cors && !preflighted && cors_allows(request.origin))
    response.cors_origin.assign(request.origin);
  const auto duration = std::chrono::steady_clock::now() - start;
  const auto& routes = router_.routes();
  metrics_.observe(route ? static_cast<std::size_t>(route - routes.data()) : Metrics::unmatched,
                   response.status, duration);
  if (log::enabled(log::Level::info)) {
    const std::string_view target = request.target;
    log::request(request.method, route ? route->path : std::string_view{},
                 target.substr(0, target.find('?')), response.status, duration,
                 response.request_id);
  }
}

void Api::dispatch(const Request& request, Response& response, const Route*& matched) {
  std::string_view query;
  const std::string_view path = Router::normalize(request.target, query);
  const bool api = is_api_path(path);
  if (api) response.delay = support_.injected_latency();

  auto match = router_.match(request.method, path);
  if (match.outcome == Router::Outcome::not_found) {
    response.status = 404;
    write_detail(response.body, "Not Found");
    return;
  }
  if (match.outcome == Router::Outcome::method_not_allowed) {
    // As FastAPI: the other spelling of a path is redirected before its methods are looked at.
    if (dialect_ == WireDialect::original && redirected(request, *match.of_path, response)) return;
    response.status = 405;
    response.allow = std::move(match.allow);
    write_detail(response.body, "Method Not Allowed");
    return;
  }
  const Route& route = *match.route;
  matched = &route;
  if (!controls_allowed(request) && route.path.starts_with("/_mock")) {
    response.status = 401;
    response.challenge = R"(Bearer realm="mockcloud test control")";
    write_detail(response.body,
                 request.authorization.empty()
                     ? "The test-control routes need Authorization: Bearer <the server's "
                       "control token> (--control-token)"
                     : "Wrong control token: the test-control routes need Authorization: Bearer "
                       "<the server's control token> (--control-token)");
    return;
  }
  if (dialect_ == WireDialect::original && redirected(request, route, response)) return;
  if (api) {
    // A route fault may name the concrete path or the template ("GET /api/v1/vms/{id}").
    thread_local std::string key;
    key.assign(request.method).append(" ").append(path);
    auto status = support_.draw_route_fault(key);
    if (!status && match.params.size != 0) {
      key.assign(request.method).append(" ").append(route.path);
      status = support_.draw_route_fault(key);
    }
    if (status) {
      response.status = *status;
      write_detail(response.body, "injected fault");
      return;
    }
  }
  // A body sent as another media type is not read as JSON: FastAPI validates its bytes against
  // the model, which is pydantic's model_attributes_type, and nothing is created.
  if (!route.doc.body.empty() && !request.body.empty() && !json_media_type(request.content_type)) {
    const std::vector<FieldError> error{{{std::string("body")},
                                         std::string(type_error_message("model_attributes_type")),
                                         "model_attributes_type"}};
    if (dialect_ == WireDialect::original) {
      original::respond_validation(response, error, nullptr, {request, path, query, match.params},
                                   request.body);
      return;
    }
    response.status = 422;
    write_field_errors(response.body, error);
    return;
  }
  const Call call{request, path, query, match.params};
  if (route.creates && !request.idempotency_key.empty())
    run_idempotent(route, call, response);
  else
    route.handler(*this, call, response);
}

bool Api::controls_allowed(const Request& request) const {
  if (control_token_.empty()) return true;
  constexpr std::string_view scheme = "Bearer ";
  std::string_view given = request.authorization;
  if (given.size() < scheme.size()) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i)  // the scheme is case-insensitive
    if ((given[i] | 0x20) != (scheme[i] | 0x20)) return false;
  given.remove_prefix(scheme.size());
  while (!given.empty() && given.front() == ' ')
    given.remove_prefix(1);
  while (!given.empty() && given.back() == ' ')
    given.remove_suffix(1);
  // In time independent of where the first difference is.
  unsigned char diff = given.size() == control_token_.size() ? 0 : 1;
  for (std::size_t i = 0; i < control_token_.size(); ++i)
    diff |= static_cast<unsigned char>(control_token_[i] ^ (i < given.size() ? given[i] : 0));
  return diff == 0;
}

void Api::run_idempotent(const Route& route, const Call& call, Response& response) {
  const auto fingerprint = fnv1a64(call.request.body, fnv1a64(route.operation));
  std::lock_guard lock(idempotency_mutex_);
  const TimePoint now = manager_.clock().now();
  std::string key(call.request.idempotency_key);
  if (auto it = replays_.find(key); it != replays_.end() && now - it->second.at < replay_window) {
    const Replay& replay = it->second;
    if (replay.fingerprint != fingerprint) {
      response.status = 409;
      write_detail(response.body, "Idempotency-Key was already used with a different request body");
      return;
    }
    response.status = replay.status;
    response.body = replay.body;
    response.location = replay.location;
    return;
  }
  route.handler(*this, call, response);
  if (response.status < 200 || response.status >= 300) return;  // only successes are replayed
  if (replays_.size() >= replay_prune_threshold)
    std::erase_if(replays_, [&](const auto& kv) { return now - kv.second.at >= replay_window; });
  replays_.insert_or_assign(
      std::move(key), Replay{fingerprint, now, response.status, response.body, response.location});
}

}  // namespace mockcloud::http

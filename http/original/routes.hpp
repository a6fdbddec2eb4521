// The original dialect's route groups (routes.cpp); the server's other routes (/_mock, /metrics,
// /docs, /openapi.json, the task list) are shared with this service's own dialect.
#pragma once

#include "../router.hpp"

namespace mockcloud::http::original {

/// Environments, security groups, VMs, volumes, attachments.
void add_routes(Router& router);
/// The task list (this service's) and one task by its id (a 404 in the original's envelope).
void add_task_routes(Router& router);
/// `/`, `/health`, `/health/db`.
void add_service_routes(Router& router);
/// The OpenAPI 3.1 document of the dialect (openapi.cpp): the original's schemas, field for
/// field, and this service's for what the original lacks.
std::string build_openapi_document(const Router& router);

}  // namespace mockcloud::http::original

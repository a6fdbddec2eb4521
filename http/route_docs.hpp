// Building blocks of the route entries' documentation (RouteDoc): the query parameters and
// error replies that many routes share. Schemas are named after openapi.cpp's components.
#pragma once

#include "router.hpp"

namespace mockcloud::http::docs {

// ---- query parameters (docs/http-api.md "Lists") ----

inline constexpr QueryParam skip{"skip", R"({"type":"integer","minimum":0,"default":0})",
                                 "How many items of the filtered list to skip"};
inline constexpr QueryParam limit{"limit",
                                  R"({"type":"integer","minimum":1,"maximum":1000,"default":100})",
                                  "The most items to return"};
inline constexpr QueryParam environment_id{"environment_id", R"({"type":"string"})",
                                           "Only the resources of this environment"};
inline constexpr QueryParam name{"name", R"({"type":"string"})",
                                 "Only the resources of this exact name"};

// ---- replies ----

inline constexpr Reply not_found{404, "ErrorDetail", "The resource in the path does not exist"};
inline constexpr Reply referenced_not_found{
    404, "ErrorDetail", "A resource the body refers to (environment_id, ...) does not exist"};
inline constexpr Reply validation{
    422, "HTTPValidationError",
    "Validation Error: the body is not JSON, a field has the wrong type, is missing or out of "
    "range, or a query parameter is bad; one entry per problem"};
inline constexpr Reply query_validation{422, "HTTPValidationError",
                                        "Validation Error: a bad query parameter (skip, limit or "
                                        "a filter); one entry per problem"};
inline constexpr Reply create_conflict{
    409, "ErrorDetail",
    "Conflict: a duplicate name, a state that blocks it, or an Idempotency-Key already used "
    "with another body"};

}  // namespace mockcloud::http::docs

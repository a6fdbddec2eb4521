// What the OpenAPI documents of both dialects share (openapi.cpp): the rendering of the route
// table into paths and components, and the schemas of the routes both dialects serve.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "router.hpp"

namespace mockcloud::http {

struct DocumentInfo {
  std::string_view title, version, description;
};

/// The OpenAPI 3.1 document of `router`'s routes over these component schemas.
std::string render_document(const Router& router, boost::json::object schemas,
                            const DocumentInfo& info);

/// The schemas of the routes both dialects serve (/_mock, the tasks, errors, timestamps).
boost::json::object shared_schemas();

/// pydantic's title of a field: "vm_id" is "Vm Id".
std::string title_of(std::string_view field);

}  // namespace mockcloud::http

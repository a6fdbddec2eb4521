// The self-describing routes: /openapi.json (openapi.cpp), /docs, /redoc and their assets
// (docs.cpp), /metrics (metrics.cpp).
#pragma once

#include <string>
#include <string_view>

#include "api.hpp"

namespace mockcloud::http {

void get_openapi(Api& api, const Call& call, Response& response);
void swagger_ui_page(Api& api, const Call& call, Response& response);
void redoc_page(Api& api, const Call& call, Response& response);
void docs_asset(Api& api, const Call& call, Response& response);
void metrics_text(Api& api, const Call& call, Response& response);

/// The files of the /docs and /redoc pages, served from the assets directory.
inline constexpr std::string_view asset_files[] = {"swagger-ui.css", "swagger-ui-bundle.js",
                                                   "redoc.standalone.js"};

/// Where the assets are read from (process-wide, like the log): `dir`, or the default when empty.
void set_assets_dir(std::string dir);
/// The directory in use: the one set, else the default.
std::string assets_dir();
/// The installed copy beside the executable (<bindir>/../share/mockcloud/assets) when it has the
/// files, else the build tree's copy, else the configured install location.
std::string default_assets_dir();

}  // namespace mockcloud::http

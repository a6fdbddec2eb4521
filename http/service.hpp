// The self-describing routes: /openapi.json (openapi.cpp), /docs, /redoc, the /ui dashboard and
// their assets (docs.cpp), /metrics (metrics.cpp).
#pragma once

#include <string>
#include <string_view>

#include "api.hpp"

namespace mockcloud::http {

void get_openapi(Api& api, const Call& call, Response& response);
void swagger_ui_page(Api& api, const Call& call, Response& response);
void redoc_page(Api& api, const Call& call, Response& response);
void docs_asset(Api& api, const Call& call, Response& response);
void ui_page(Api& api, const Call& call, Response& response);
void ui_asset(Api& api, const Call& call, Response& response);
void metrics_text(Api& api, const Call& call, Response& response);

/// The files of the /docs and /redoc pages, served from the assets directory by
/// /docs/assets/{file}.
inline constexpr std::string_view docs_asset_files[] = {"swagger-ui.css", "swagger-ui-bundle.js",
                                                        "redoc.standalone.js"};
/// The files of the /ui page (web/ui and the npm packages htm and uplot), served from the assets
/// directory by /ui/assets/{file}; the page itself is ui_page_file there.
inline constexpr std::string_view ui_asset_files[] = {"ui.js",
                                                      "api.js",
                                                      "timeline.js",
                                                      "ui.css",
                                                      "htm-preact-standalone.module.js",
                                                      "uPlot.iife.min.js",
                                                      "uPlot.min.css"};
inline constexpr std::string_view ui_page_file = "ui.html";

/// Where the assets are read from (process-wide, like the log): `dir`, or the default when empty.
void set_assets_dir(std::string dir);
/// The directory in use: the one set, else the default.
std::string assets_dir();
/// The installed copy beside the executable (<bindir>/../share/mockcloud/assets) when it has the
/// files, else the build tree's copy, else the configured install location.
std::string default_assets_dir();

}  // namespace mockcloud::http

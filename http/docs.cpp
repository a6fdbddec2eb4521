// GET /docs (Swagger UI), GET /redoc (ReDoc), GET /ui (the dashboard) and their scripts and style
// sheets, served from an assets directory so that the pages work without internet. The files
// come from the npm packages swagger-ui-dist, redoc, htm and uplot (web/package.json) and, for
// /ui, from web/ui; the build copies them into the build tree and `cmake --install` into
// <prefix>/share/mockcloud/assets.
#include <filesystem>
#include <fstream>
#include <mutex>
#include <span>
#include <system_error>
#include <vector>

#include "handlers.hpp"
#include "service.hpp"

#ifndef MOCKCLOUD_BUILD_ASSETS_DIR
#define MOCKCLOUD_BUILD_ASSETS_DIR ""
#endif
#ifndef MOCKCLOUD_INSTALL_ASSETS_DIR
#define MOCKCLOUD_INSTALL_ASSETS_DIR "/usr/local/share/mockcloud/assets"
#endif
#ifndef MOCKCLOUD_INSTALL_ASSETS_RELATIVE
#define MOCKCLOUD_INSTALL_ASSETS_RELATIVE "../share/mockcloud/assets"
#endif
#ifndef MOCKCLOUD_SWAGGER_UI_VERSION
#define MOCKCLOUD_SWAGGER_UI_VERSION "5"
#endif
#ifndef MOCKCLOUD_REDOC_VERSION
#define MOCKCLOUD_REDOC_VERSION "2"
#endif
#ifndef MOCKCLOUD_HTM_VERSION
#define MOCKCLOUD_HTM_VERSION "3"
#endif
#ifndef MOCKCLOUD_UPLOT_VERSION
#define MOCKCLOUD_UPLOT_VERSION "1"
#endif

namespace mockcloud::http {
namespace {

namespace fs = std::filesystem;

std::mutex assets_mutex;
std::string assets_override;

constexpr std::string_view swagger_ui_html = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mockcloud - Swagger UI</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  showExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  layout: "BaseLayout"
});
</script>
</body>
</html>
)";

constexpr std::string_view redoc_html = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mockcloud - ReDoc</title>
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<redoc spec-url="/openapi.json"></redoc>
<script src="/docs/assets/redoc.standalone.js"></script>
</body>
</html>
)";

using Files = std::span<const std::string_view>;
constexpr std::string_view ui_page_files[] = {ui_page_file};

/// The files of `lists` that `dir` lacks.
std::vector<std::string_view> missing_files(const fs::path& dir,
                                            std::initializer_list<Files> lists) {
  std::vector<std::string_view> missing;
  std::error_code ec;
  for (auto files : lists)
    for (auto file : files)
      if (!fs::is_regular_file(dir / file, ec)) missing.push_back(file);
  return missing;
}

bool has_all_assets(const fs::path& dir) {
  return missing_files(dir, {docs_asset_files, ui_page_files, ui_asset_files}).empty();
}

fs::path executable_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path{} : exe.parent_path();
}

void html_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
}

// The page /docs and /redoc show instead when files are missing: what, where, and how to fix it.
void missing_assets_page(Response& res, std::string_view page, const fs::path& dir,
                         const std::vector<std::string_view>& missing) {
  res.status = 503;
  res.content_type = "text/html; charset=utf-8";
  auto& out = res.body;
  out += "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>mockcloud - ";
  out += page;
  out +=
      " unavailable</title></head>\n<body style=\"font-family: sans-serif; max-width: 50em; "
      "margin: 2em auto\">\n<h1>";
  out += page;
  out +=
      " is not available: its asset files are missing</h1>\n<p>The server looked in "
      "<code>";
  html_escaped(out, dir.string());
  out += "</code> and did not find:</p>\n<ul>\n";
  for (auto file : missing) {
    out += "<li><code>";
    out += file;
    out += "</code></li>\n";
  }
  out +=
      "</ul>\n<h2>How to get them</h2>\n<ul>\n"
      "<li>Build with <code>npm</code> installed (Debian: <code>apt-get install npm</code>): "
      "the build runs <code>npm ci</code> in <code>web/</code> and copies the files into the "
      "build tree; <code>cmake --install</code> puts them in "
      "<code>&lt;prefix&gt;/share/mockcloud/assets</code>.</li>\n"
      "<li>Or, on a machine with npm, <code>npm pack swagger-ui-dist@" MOCKCLOUD_SWAGGER_UI_VERSION
      " redoc@" MOCKCLOUD_REDOC_VERSION " htm@" MOCKCLOUD_HTM_VERSION
      " uplot@" MOCKCLOUD_UPLOT_VERSION
      "</code>, then copy into one directory <code>package/swagger-ui.css</code> and "
      "<code>package/swagger-ui-bundle.js</code> (from the swagger-ui-dist tarball), "
      "<code>package/bundles/redoc.standalone.js</code> (redoc), "
      "<code>package/preact/standalone.module.js</code> renamed "
      "<code>htm-preact-standalone.module.js</code> (htm), "
      "<code>package/dist/uPlot.iife.min.js</code> and <code>package/dist/uPlot.min.css</code> "
      "(uplot), and for /ui the files of <code>web/ui</code> in the mockcloud sources.</li>\n"
      "<li>Then start the server with <code>--assets-dir DIR</code> (or "
      "<code>ASSETS_DIR=DIR</code>), or put the files in the directory above.</li>\n"
      "</ul>\n<p>The API description itself needs no assets: "
      "<a href=\"/openapi.json\">/openapi.json</a>.</p>\n</body>\n</html>\n";
}

/// False, with the "assets missing" page in `res`, when a file of `needs` is missing.
bool has_page_assets(Response& res, std::string_view page, std::initializer_list<Files> needs) {
  const fs::path dir = assets_dir();
  const auto missing = missing_files(dir, needs);
  if (missing.empty()) return true;
  missing_assets_page(res, page, dir, missing);
  return false;
}

void page(Response& res, std::string_view name, std::string_view html, Files needs) {
  if (!has_page_assets(res, name, {needs})) return;
  res.status = 200;
  res.content_type = "text/html; charset=utf-8";
  res.body.assign(html);
}

/// The file `name` of the assets directory, or a 404 naming `page` when it cannot be read.
void asset_file(Response& res, std::string_view name, std::string_view page) {
  const fs::path path = fs::path(assets_dir()) / name;
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (!in || ec)
    return respond_detail(res, 404,
                          "Asset " + std::string(name) + " is not installed in " +
                              fs::path(assets_dir()).string() + " (see " + std::string(page) + ")");
  res.body.resize(static_cast<std::size_t>(size));
  in.read(res.body.data(), static_cast<std::streamsize>(size));
  res.body.resize(static_cast<std::size_t>(in.gcount()));
  res.status = 200;
  res.content_type = name.ends_with(".css") ? std::string_view{"text/css; charset=utf-8"}
                     : name.ends_with(".html")
                         ? std::string_view{"text/html; charset=utf-8"}
                         : std::string_view{"application/javascript; charset=utf-8"};
}

/// GET <page>/assets/{file}: a file of `known`, else a 404.
void known_asset(Response& res, std::string_view name, Files known, std::string_view page) {
  for (auto file : known)
    if (file == name) return asset_file(res, name, page);
  respond_detail(res, 404, "Not Found");
}

}  // namespace

void set_assets_dir(std::string dir) {
  std::lock_guard lock(assets_mutex);
  assets_override = std::move(dir);
}

std::string assets_dir() {
  {
    std::lock_guard lock(assets_mutex);
    if (!assets_override.empty()) return assets_override;
  }
  return default_assets_dir();
}

std::string default_assets_dir() {
  static const std::string dir = [] {
    if (auto exe = executable_dir(); !exe.empty()) {  // an installed (or relocated) server
      const auto relative = (exe / MOCKCLOUD_INSTALL_ASSETS_RELATIVE).lexically_normal();
      if (has_all_assets(relative)) return relative.string();
    }
    const fs::path build = MOCKCLOUD_BUILD_ASSETS_DIR;
    if (!build.empty() && has_all_assets(build)) return build.string();
    const fs::path install = MOCKCLOUD_INSTALL_ASSETS_DIR;
    if (has_all_assets(install) || build.empty()) return install.string();
    return build.string();  // a build tree without the files: say so there
  }();
  return dir;
}

void swagger_ui_page(Api&, const Call&, Response& res) {
  page(res, "Swagger UI (/docs)", swagger_ui_html, Files(docs_asset_files).first(2));
}

void redoc_page(Api&, const Call&, Response& res) {
  page(res, "ReDoc (/redoc)", redoc_html, Files(docs_asset_files).last(1));
}

void docs_asset(Api&, const Call& call, Response& res) {
  known_asset(res, call.params[0], docs_asset_files, "/docs");
}

void ui_page(Api&, const Call&, Response& res) {
  if (has_page_assets(res, "Dashboard (/ui)", {ui_page_files, ui_asset_files}))
    asset_file(res, ui_page_file, "/ui");
}

void ui_asset(Api&, const Call& call, Response& res) {
  known_asset(res, call.params[0], ui_asset_files, "/ui");
}

}  // namespace mockcloud::http

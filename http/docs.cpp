// GET /docs (Swagger UI), GET /redoc (ReDoc) and their scripts and style sheets, served from an
// assets directory so that the pages work without internet. The files come from the npm
// packages swagger-ui-dist and redoc (web/package.json); the build copies them into the build
// tree and `cmake --install` into <prefix>/share/mockcloud/assets.
#include <filesystem>
#include <fstream>
#include <mutex>
#include <system_error>

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

bool has_all_assets(const fs::path& dir) {
  std::error_code ec;
  for (auto file : asset_files)
    if (!fs::is_regular_file(dir / file, ec)) return false;
  return true;
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
      " redoc@" MOCKCLOUD_REDOC_VERSION
      "</code>, then copy <code>package/swagger-ui.css</code> and "
      "<code>package/swagger-ui-bundle.js</code> (from the swagger-ui-dist tarball) and "
      "<code>package/bundles/redoc.standalone.js</code> (from the redoc tarball) into one "
      "directory.</li>\n"
      "<li>Then start the server with <code>--assets-dir DIR</code> (or "
      "<code>ASSETS_DIR=DIR</code>), or put the files in the directory above.</li>\n"
      "</ul>\n<p>The API description itself needs no assets: "
      "<a href=\"/openapi.json\">/openapi.json</a>.</p>\n</body>\n</html>\n";
}

void page(Response& res, std::string_view name, std::string_view html,
          std::initializer_list<std::string_view> needs) {
  const fs::path dir = assets_dir();
  std::vector<std::string_view> missing;
  std::error_code ec;
  for (auto file : needs)
    if (!fs::is_regular_file(dir / file, ec)) missing.push_back(file);
  if (!missing.empty()) return missing_assets_page(res, name, dir, missing);
  res.status = 200;
  res.content_type = "text/html; charset=utf-8";
  res.body.assign(html);
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
  page(res, "Swagger UI (/docs)", swagger_ui_html, {"swagger-ui.css", "swagger-ui-bundle.js"});
}

void redoc_page(Api&, const Call&, Response& res) {
  page(res, "ReDoc (/redoc)", redoc_html, {"redoc.standalone.js"});
}

void docs_asset(Api&, const Call& call, Response& res) {
  const std::string_view name = call.params[0];
  bool known = false;
  for (auto file : asset_files)
    known = known || file == name;
  if (!known) return respond_detail(res, 404, "Not Found");
  const fs::path path = fs::path(assets_dir()) / name;
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (!in || ec)
    return respond_detail(res, 404,
                          "Asset " + std::string(name) + " is not installed in " +
                              fs::path(assets_dir()).string() + " (see /docs)");
  res.body.resize(static_cast<std::size_t>(size));
  in.read(res.body.data(), static_cast<std::streamsize>(size));
  res.body.resize(static_cast<std::size_t>(in.gcount()));
  res.status = 200;
  res.content_type = name.ends_with(".css")
                         ? std::string_view{"text/css; charset=utf-8"}
                         : std::string_view{"application/javascript; charset=utf-8"};
}

}  // namespace mockcloud::http

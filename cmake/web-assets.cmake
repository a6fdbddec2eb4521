# The /docs (Swagger UI), /redoc (ReDoc) and /ui (dashboard) pages' files, from the npm packages
# swagger-ui-dist, redoc, htm and uplot pinned in web/package.json + web/package-lock.json, and
# the dashboard's own files in web/ui. When npm is found, the build runs `npm ci` in <build>/web
# and copies the files into <build>/assets, where a server run from the build tree finds them;
# `cmake --install` puts them in <prefix>/share/mockcloud/assets. The same `npm ci` installs the
# node tools of the OpenAPI and browser tests (devDependencies) when tests are built. Without
# npm, or when `npm ci` fails (a warning, not a failed build), the server still builds and runs;
# /docs, /redoc and /ui then say what is missing.

set(MOCKCLOUD_WEB_DIR ${PROJECT_BINARY_DIR}/web)
set(MOCKCLOUD_ASSETS_DIR ${PROJECT_BINARY_DIR}/assets)
set(MOCKCLOUD_ASSETS_INSTALL_DIR ${CMAKE_INSTALL_DATADIR}/mockcloud/assets)
# The npm step runs in this directory: it must exist before the build starts.
file(MAKE_DIRECTORY ${MOCKCLOUD_WEB_DIR} ${MOCKCLOUD_ASSETS_DIR})

file(READ ${PROJECT_SOURCE_DIR}/web/package.json _mockcloud_package)
string(JSON MOCKCLOUD_SWAGGER_UI_VERSION GET "${_mockcloud_package}" dependencies swagger-ui-dist)
string(JSON MOCKCLOUD_REDOC_VERSION GET "${_mockcloud_package}" dependencies redoc)
string(JSON MOCKCLOUD_HTM_VERSION GET "${_mockcloud_package}" dependencies htm)
string(JSON MOCKCLOUD_UPLOT_VERSION GET "${_mockcloud_package}" dependencies uplot)
# The dashboard's own files (web/ui), copied as they are.
set(MOCKCLOUD_UI_FILES ui.html ui.js api.js timeline.js ui.css)

option(MOCKCLOUD_WEB_ASSETS "Install the /docs, /redoc and /ui assets with npm at build time" ON)
find_program(NPM_EXECUTABLE npm)
set(MOCKCLOUD_HAVE_WEB_ASSETS OFF)
if(MOCKCLOUD_WEB_ASSETS AND NPM_EXECUTABLE)
  set(MOCKCLOUD_HAVE_WEB_ASSETS ON)
  set(_npm_flags --no-audit --no-fund --ignore-scripts)
  if(NOT MOCKCLOUD_BUILD_TESTS)
    list(APPEND _npm_flags --omit=dev)
  endif()
  string(JOIN " " _npm_flags ${_npm_flags})
  set(_outputs
    ${MOCKCLOUD_ASSETS_DIR}/swagger-ui.css
    ${MOCKCLOUD_ASSETS_DIR}/swagger-ui-bundle.js
    ${MOCKCLOUD_ASSETS_DIR}/redoc.standalone.js
    ${MOCKCLOUD_ASSETS_DIR}/htm-preact-standalone.module.js
    ${MOCKCLOUD_ASSETS_DIR}/uPlot.iife.min.js
    ${MOCKCLOUD_ASSETS_DIR}/uPlot.min.css)
  # cmake/npm-ci.cmake: a failed `npm ci` is a warning, not a failed build; its outputs are then
  # missing, so the next build tries again.
  add_custom_command(
    OUTPUT ${_outputs} ${MOCKCLOUD_WEB_DIR}/npm-ci.stamp
    COMMAND ${CMAKE_COMMAND} -E make_directory ${MOCKCLOUD_WEB_DIR} ${MOCKCLOUD_ASSETS_DIR}
    COMMAND ${CMAKE_COMMAND} -E copy
      ${PROJECT_SOURCE_DIR}/web/package.json ${PROJECT_SOURCE_DIR}/web/package-lock.json
      ${PROJECT_SOURCE_DIR}/web/.npmrc ${MOCKCLOUD_WEB_DIR}
    COMMAND ${CMAKE_COMMAND} -DNPM=${NPM_EXECUTABLE} -DNPM_FLAGS=${_npm_flags}
      -DWEB_DIR=${MOCKCLOUD_WEB_DIR} -DASSETS_DIR=${MOCKCLOUD_ASSETS_DIR}
      -P ${PROJECT_SOURCE_DIR}/cmake/npm-ci.cmake
    DEPENDS ${PROJECT_SOURCE_DIR}/web/package.json ${PROJECT_SOURCE_DIR}/web/package-lock.json
      ${PROJECT_SOURCE_DIR}/cmake/npm-ci.cmake
    WORKING_DIRECTORY ${MOCKCLOUD_WEB_DIR}
    COMMENT "npm ci in ${MOCKCLOUD_WEB_DIR}: swagger-ui-dist ${MOCKCLOUD_SWAGGER_UI_VERSION}, redoc ${MOCKCLOUD_REDOC_VERSION}, htm ${MOCKCLOUD_HTM_VERSION}, uplot ${MOCKCLOUD_UPLOT_VERSION}"
    VERBATIM)
  list(TRANSFORM MOCKCLOUD_UI_FILES PREPEND ${PROJECT_SOURCE_DIR}/web/ui/ OUTPUT_VARIABLE _ui_sources)
  list(TRANSFORM MOCKCLOUD_UI_FILES PREPEND ${MOCKCLOUD_ASSETS_DIR}/ OUTPUT_VARIABLE _ui_outputs)
  add_custom_command(
    OUTPUT ${_ui_outputs}
    COMMAND ${CMAKE_COMMAND} -E copy ${_ui_sources} ${MOCKCLOUD_ASSETS_DIR}
    DEPENDS ${_ui_sources}
    COMMENT "The /ui page's files into ${MOCKCLOUD_ASSETS_DIR}"
    VERBATIM)
  add_custom_target(mockcloud-web-assets ALL DEPENDS ${_outputs} ${_ui_outputs})
  if(MOCKCLOUD_INSTALL)
    install(DIRECTORY ${MOCKCLOUD_ASSETS_DIR}/ DESTINATION ${MOCKCLOUD_ASSETS_INSTALL_DIR})
  endif()
elseif(MOCKCLOUD_WEB_ASSETS)
  message(WARNING "npm not found: /docs, /redoc and /ui will have no assets (they explain how to get "
                  "them), and the OpenAPI tests will fail. Debian: apt-get install npm")
endif()

# A package's server must not look into the tree it was built in (nor carry its path).
option(MOCKCLOUD_ASSETS_FROM_BUILD_TREE
  "The server looks for the assets in this build tree (after beside its executable)" ON)
set(_build_assets_dir "")
if(MOCKCLOUD_ASSETS_FROM_BUILD_TREE)
  set(_build_assets_dir ${MOCKCLOUD_ASSETS_DIR})
endif()
file(RELATIVE_PATH _assets_from_bin ${CMAKE_INSTALL_FULL_BINDIR}
  ${CMAKE_INSTALL_FULL_DATADIR}/mockcloud/assets)
set(MOCKCLOUD_ASSETS_DEFINITIONS
  MOCKCLOUD_BUILD_ASSETS_DIR="${_build_assets_dir}"
  MOCKCLOUD_INSTALL_ASSETS_DIR="${CMAKE_INSTALL_FULL_DATADIR}/mockcloud/assets"
  MOCKCLOUD_INSTALL_ASSETS_RELATIVE="${_assets_from_bin}"
  MOCKCLOUD_SWAGGER_UI_VERSION="${MOCKCLOUD_SWAGGER_UI_VERSION}"
  MOCKCLOUD_REDOC_VERSION="${MOCKCLOUD_REDOC_VERSION}"
  MOCKCLOUD_HTM_VERSION="${MOCKCLOUD_HTM_VERSION}"
  MOCKCLOUD_UPLOT_VERSION="${MOCKCLOUD_UPLOT_VERSION}")

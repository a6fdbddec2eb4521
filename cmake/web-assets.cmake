# The /docs (Swagger UI) and /redoc (ReDoc) pages' files, from the npm packages swagger-ui-dist
# and redoc pinned in web/package.json + web/package-lock.json. When npm is found, the build runs
# `npm ci` in <build>/web and copies the files into <build>/assets, where a server run from the
# build tree finds them; `cmake --install` puts them in <prefix>/share/mockcloud/assets. The same
# `npm ci` installs the node tools of the OpenAPI tests (devDependencies) when tests are built.
# Without npm, or when `npm ci` fails (a warning, not a failed build), the server still builds and
# runs; /docs and /redoc then say what is missing.

set(MOCKCLOUD_WEB_DIR ${PROJECT_BINARY_DIR}/web)
set(MOCKCLOUD_ASSETS_DIR ${PROJECT_BINARY_DIR}/assets)
set(MOCKCLOUD_ASSETS_INSTALL_DIR ${CMAKE_INSTALL_DATADIR}/mockcloud/assets)
# The npm step runs in this directory: it must exist before the build starts.
file(MAKE_DIRECTORY ${MOCKCLOUD_WEB_DIR} ${MOCKCLOUD_ASSETS_DIR})

file(READ ${PROJECT_SOURCE_DIR}/web/package.json _mockcloud_package)
string(JSON MOCKCLOUD_SWAGGER_UI_VERSION GET "${_mockcloud_package}" dependencies swagger-ui-dist)
string(JSON MOCKCLOUD_REDOC_VERSION GET "${_mockcloud_package}" dependencies redoc)

option(MOCKCLOUD_WEB_ASSETS "Install the /docs and /redoc assets with npm at build time" ON)
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
    ${MOCKCLOUD_ASSETS_DIR}/redoc.standalone.js)
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
    COMMENT "npm ci in ${MOCKCLOUD_WEB_DIR}: swagger-ui-dist ${MOCKCLOUD_SWAGGER_UI_VERSION}, redoc ${MOCKCLOUD_REDOC_VERSION}"
    VERBATIM)
  add_custom_target(mockcloud-web-assets ALL DEPENDS ${_outputs})
  if(MOCKCLOUD_INSTALL)
    install(DIRECTORY ${MOCKCLOUD_ASSETS_DIR}/ DESTINATION ${MOCKCLOUD_ASSETS_INSTALL_DIR})
  endif()
elseif(MOCKCLOUD_WEB_ASSETS)
  message(WARNING "npm not found: /docs and /redoc will have no assets (they explain how to get "
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
  MOCKCLOUD_REDOC_VERSION="${MOCKCLOUD_REDOC_VERSION}")

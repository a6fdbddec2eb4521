# Build step of web-assets.cmake, run as `cmake -P`: `npm ci` in WEB_DIR, then the /docs, /redoc
# and /ui files of the npm packages into ASSETS_DIR. When npm fails (no network, no registry, a broken npm), the build
# goes on with a warning: the server then shows its "assets missing" page at /docs and /redoc,
# and the next build tries again.
#   -DNPM=<npm> -DNPM_FLAGS="<flags separated by spaces>" -DWEB_DIR=<dir> -DASSETS_DIR=<dir>
separate_arguments(_flags UNIX_COMMAND "${NPM_FLAGS}")
execute_process(COMMAND ${NPM} ci ${_flags} WORKING_DIRECTORY ${WEB_DIR} RESULT_VARIABLE _rc)
if(NOT _rc STREQUAL "0")
  message(WARNING "`npm ci` failed in ${WEB_DIR} (${_rc}): the build goes on without the /docs, "
                  "/redoc and /ui assets (those pages say what is missing) and the OpenAPI tests will "
                  "fail. Fix npm or its network access and build again to retry.")
  return()
endif()
set(_modules ${WEB_DIR}/node_modules)
file(COPY ${_modules}/swagger-ui-dist/swagger-ui.css ${_modules}/swagger-ui-dist/swagger-ui-bundle.js
     ${_modules}/swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt
     ${_modules}/redoc/bundles/redoc.standalone.js
     ${_modules}/redoc/bundles/redoc.standalone.js.LICENSE.txt
     DESTINATION ${ASSETS_DIR})
# Apache-2.0 asks for the NOTICE beside the files; each bundle names its LICENSE.txt.
file(COPY_FILE ${_modules}/swagger-ui-dist/LICENSE ${ASSETS_DIR}/swagger-ui-dist.LICENSE)
file(COPY_FILE ${_modules}/swagger-ui-dist/NOTICE ${ASSETS_DIR}/swagger-ui-dist.NOTICE)
file(COPY_FILE ${_modules}/redoc/LICENSE ${ASSETS_DIR}/redoc.LICENSE)
# htm's standalone module bundles preact (MIT) with htm (Apache-2.0, no NOTICE).
file(COPY_FILE ${_modules}/htm/preact/standalone.module.js
     ${ASSETS_DIR}/htm-preact-standalone.module.js)
file(COPY_FILE ${_modules}/htm/LICENSE ${ASSETS_DIR}/htm.LICENSE)
file(COPY ${_modules}/uplot/dist/uPlot.iife.min.js ${_modules}/uplot/dist/uPlot.min.css
     DESTINATION ${ASSETS_DIR})
file(COPY_FILE ${_modules}/uplot/LICENSE ${ASSETS_DIR}/uplot.LICENSE)
file(TOUCH ${WEB_DIR}/npm-ci.stamp)

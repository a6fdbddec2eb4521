# The Debian package (issue 14): `cpack -G DEB` (or `cmake --build <dir> --target package`) in a
# build configured with -DCMAKE_INSTALL_PREFIX=/usr makes mockcloud_<version>_<arch>.deb. .ci/deb.sh
# builds, lints, installs, runs and removes it; docs/operations.md describes it.
#
# Included from the top CMakeLists.txt when MOCKCLOUD_INSTALL is on. What `cmake --install`
# installs is in the package (server, man page, assets, headers, static library, CMake package),
# plus, in the component "deb" that only CPack installs: the systemd unit, /etc/default/mockcloud,
# the copyright, the changelog and the lintian overrides (packaging/).

set(MOCKCLOUD_PACKAGE_MAINTAINER
  "mockcloud maintainers <maintainers@users.noreply.r-seed-d8c36e40.example>"
  CACHE STRING "The Maintainer field of the Debian package")
set(MOCKCLOUD_PACKAGE_HOMEPAGE "https://mockcloud.example/"
  CACHE STRING "The Homepage field of the Debian package")

set(_pkg ${PROJECT_SOURCE_DIR}/packaging)
set(_pkg_out ${PROJECT_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${_pkg_out})
find_program(GZIP_EXECUTABLE gzip)

# ---- the man page, from --help and --version ----
if(MOCKCLOUD_BUILD_SERVER)
  find_program(HELP2MAN_EXECUTABLE help2man)
  if(HELP2MAN_EXECUTABLE AND GZIP_EXECUTABLE)
    set(_man ${_pkg_out}/mockcloud-server.1)
    # help2man dates the page from SOURCE_DATE_EPOCH when set (.ci/deb.sh sets it).
    add_custom_command(
      OUTPUT ${_man}.gz
      COMMAND ${HELP2MAN_EXECUTABLE} --no-info --section 1
        --name "a mock cloud (VMs, volumes, tasks) over HTTP"
        --include ${_pkg}/mockcloud-server.h2m --output ${_man} $<TARGET_FILE:mockcloud-server>
      COMMAND ${GZIP_EXECUTABLE} -9nf ${_man}
      DEPENDS mockcloud-server ${_pkg}/mockcloud-server.h2m
      COMMENT "help2man: mockcloud-server.1"
      VERBATIM)
    add_custom_target(mockcloud-man ALL DEPENDS ${_man}.gz)
    install(FILES ${_man}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  else()
    message(WARNING "help2man (or gzip) not found: mockcloud-server gets no man page. "
                    "Debian: apt-get install help2man")
  endif()
endif()

# ---- files of the Debian package only ----
if(GZIP_EXECUTABLE)
  add_custom_command(
    OUTPUT ${_pkg_out}/changelog.gz
    COMMAND ${GZIP_EXECUTABLE} -9n < ${_pkg}/changelog > ${_pkg_out}/changelog.gz
    DEPENDS ${_pkg}/changelog
    COMMENT "gzip: packaging/changelog"
    VERBATIM)
  add_custom_target(mockcloud-package-changelog ALL DEPENDS ${_pkg_out}/changelog.gz)
  # A native package (version without a Debian revision): lintian wants changelog.gz.
  install(FILES ${_pkg_out}/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR}
    COMPONENT deb EXCLUDE_FROM_ALL)
endif()
install(FILES ${_pkg}/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${_pkg}/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
  RENAME mockcloud COMPONENT deb EXCLUDE_FROM_ALL)
if(MOCKCLOUD_BUILD_SERVER)
  # Debian 12 keeps units in /lib/systemd/system, and /etc is /etc whatever the prefix.
  install(FILES ${_pkg}/mockcloud.service DESTINATION /lib/systemd/system
    COMPONENT deb EXCLUDE_FROM_ALL)
  install(FILES ${_pkg}/default DESTINATION /etc/default RENAME mockcloud
    COMPONENT deb EXCLUDE_FROM_ALL)
endif()
file(WRITE ${_pkg_out}/conffiles "/etc/default/mockcloud\n")

# The changelog's latest entry names the version being packaged.
file(STRINGS ${_pkg}/changelog _changelog_top LIMIT_COUNT 1)
if(NOT _changelog_top MATCHES "^mockcloud \\(${PROJECT_VERSION}\\) ")
  message(WARNING "packaging/changelog: the latest entry is not ${PROJECT_VERSION}: add one "
                  "(`${_changelog_top}`)")
endif()
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "mockcloud: the Debian package wants -DCMAKE_INSTALL_PREFIX=/usr "
                 "(now ${CMAKE_INSTALL_PREFIX})")
endif()

# ---- CPack ----
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mockcloud)
set(CPACK_PACKAGE_VENDOR "mockcloud maintainers")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${MOCKCLOUD_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "mock cloud (VMs, volumes, tasks) over HTTP, and its C++ library")
set(CPACK_PACKAGE_DESCRIPTION
"mockcloud stands in for a cloud API in tests: VMs, volumes, their attachments
and asynchronous tasks take simulated time and fail now and then, as a real
cloud would, with seeded randomness and an optional virtual clock that tests
advance at will. Test-control routes (/_mock) reset the state, change the
settings live and inject faults.

This package provides mockcloud-server, the HTTP server (OpenAPI description,
Swagger UI and ReDoc pages, Prometheus metrics), with a systemd service that
keeps its state in /var/lib/mockcloud, and libmockcloud, the C++20 library it
is built on (headers, static library and CMake package), for in-process tests.")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${MOCKCLOUD_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${MOCKCLOUD_PACKAGE_HOMEPAGE}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # mockcloud_<version>_<arch>.deb
# Depends: the shared libraries of mockcloud-server (dpkg-shlibdeps, from dpkg-dev), and adduser
# for the postinst. find_package(mockcloud) also needs fmt's, SQLite's and libpq's development files.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libfmt-dev, libsqlite3-dev, libpq-dev, cmake, g++")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${_pkg}/postinst ${_pkg}/prerm ${_pkg}/postrm ${_pkg_out}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_MOCKCLOUD_STRIP "${CMAKE_STRIP}")
set(CPACK_PRE_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/cmake/package-strip.cmake)
# One package of every component, the EXCLUDE_FROM_ALL one "deb" included.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(_default_component Unspecified)
if(CMAKE_INSTALL_DEFAULT_COMPONENT_NAME)
  set(_default_component ${CMAKE_INSTALL_DEFAULT_COMPONENT_NAME})
endif()
set(CPACK_COMPONENTS_ALL ${_default_component} deb)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "/node_modules/")
include(CPack)

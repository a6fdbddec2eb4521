# Packaging test: install libmockcloud into a scratch prefix, then build and run two consumer
# projects against it, as fmt's test/find-package-test and test/add-subdirectory-test do:
#   find-package-test       find_package(mockcloud REQUIRED) from the installed prefix only
#   add-subdirectory-test   add_subdirectory(<repo> mockcloud) with only the library built
#
#   cmake -DSOURCE_DIR=/path/to/mockcloud -DWORK_DIR=/tmp/mockcloud-packaging -P run.cmake
#
# Optional: -DGENERATOR=Ninja -DBUILD_TYPE=Release -DCXX_COMPILER=g++ -DJOBS=2
#           -DLAUNCHER=ccache (found on PATH by default; -DLAUNCHER= to disable)
#           -DKEEP=ON keeps WORK_DIR afterwards (it is removed on success otherwise).
cmake_minimum_required(VERSION 3.21)

foreach(var SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run.cmake: pass -D${var}=...")
  endif()
endforeach()
get_filename_component(SOURCE_DIR "${SOURCE_DIR}" ABSOLUTE)
get_filename_component(WORK_DIR "${WORK_DIR}" ABSOLUTE)
if(NOT EXISTS "${SOURCE_DIR}/tests/packaging/run.cmake")
  message(FATAL_ERROR "run.cmake: ${SOURCE_DIR} is not the mockcloud source tree")
endif()
if(NOT DEFINED BUILD_TYPE)
  set(BUILD_TYPE Release)
endif()
if(NOT DEFINED JOBS)
  set(JOBS 2)
endif()
if(NOT DEFINED LAUNCHER)
  find_program(LAUNCHER ccache)
  if(NOT LAUNCHER)
    set(LAUNCHER "")
  endif()
endif()

set(common_args -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
if(GENERATOR)
  list(APPEND common_args -G "${GENERATOR}")
endif()
if(CXX_COMPILER)
  list(APPEND common_args -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()
if(LAUNCHER)
  list(APPEND common_args -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
endif()
# Only what the test names may be found: no package registry, no stale install elsewhere.
list(APPEND common_args -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)

set(prefix "${WORK_DIR}/prefix")

# Runs one step; on failure prints its output and stops the test.
function(step name)
  message(STATUS "packaging: ${name}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message("${out}")
    message(FATAL_ERROR "packaging: '${name}' failed (${rc})")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# 1. The library alone, installed into the scratch prefix.
step("configure the library"
  ${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/library" ${common_args}
  -DCMAKE_INSTALL_PREFIX=${prefix} -DMOCKCLOUD_BUILD_SERVER=OFF -DMOCKCLOUD_BUILD_TESTS=OFF
  -DMOCKCLOUD_BUILD_BENCH=OFF -DMOCKCLOUD_BUILD_EXAMPLES=OFF)
step("build the library" ${CMAKE_COMMAND} --build "${WORK_DIR}/library" -j ${JOBS})
step("install the library" ${CMAKE_COMMAND} --install "${WORK_DIR}/library")
foreach(f include/mockcloud/mockcloud.hpp include/mockcloud/manager.hpp)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "packaging: ${f} is not installed")
  endif()
endforeach()
file(GLOB_RECURSE config_files "${prefix}/*/mockcloud-config.cmake")
if(NOT config_files)
  message(FATAL_ERROR "packaging: no mockcloud-config.cmake under ${prefix}")
endif()

# 2. find_package from the prefix.
set(fp "${WORK_DIR}/find-package-test")
step("configure find-package-test"
  ${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/packaging/find-package-test" -B "${fp}" ${common_args}
  -DCMAKE_PREFIX_PATH=${prefix})
file(STRINGS "${fp}/CMakeCache.txt" found_dir REGEX "^mockcloud_DIR:")
string(REGEX REPLACE "^[^=]*=" "" found_dir "${found_dir}")
string(FIND "${found_dir}" "${prefix}/" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "packaging: find_package found mockcloud in '${found_dir}', not in ${prefix}")
endif()
step("build find-package-test" ${CMAKE_COMMAND} --build "${fp}" -j ${JOBS})
step("run find-package-test" "${fp}/find-package-test")
message(STATUS "packaging: find-package-test: ${step_output}")

# 3. add_subdirectory of the source tree.
set(as "${WORK_DIR}/add-subdirectory-test")
step("configure add-subdirectory-test"
  ${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/packaging/add-subdirectory-test" -B "${as}"
  ${common_args} -DMOCKCLOUD_SOURCE_DIR=${SOURCE_DIR})
if(EXISTS "${as}/mockcloud/http" OR EXISTS "${as}/mockcloud/tests" OR EXISTS "${as}/mockcloud/bench"
   OR EXISTS "${as}/mockcloud/examples")
  message(FATAL_ERROR "packaging: add_subdirectory configured more than the library")
endif()
step("build add-subdirectory-test" ${CMAKE_COMMAND} --build "${as}" -j ${JOBS})
step("run add-subdirectory-test" "${as}/add-subdirectory-test")
message(STATUS "packaging: add-subdirectory-test: ${step_output}")

if(NOT KEEP)
  file(REMOVE_RECURSE "${WORK_DIR}")
endif()
message(STATUS "packaging: passed")

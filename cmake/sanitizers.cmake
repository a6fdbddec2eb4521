# Sanitizer builds (issue #6): -DMOCKCLOUD_SANITIZE=address (AddressSanitizer and
# UndefinedBehaviorSanitizer, every finding fatal) or thread (ThreadSanitizer). Applies to every
# target defined after the include, so include it before the first target. See .ci/sanitizers.sh.
include_guard(GLOBAL)

set(MOCKCLOUD_SANITIZE "" CACHE STRING "Sanitizers: address (ASan+UBSan), thread (TSan) or empty")
set_property(CACHE MOCKCLOUD_SANITIZE PROPERTY STRINGS "" address thread)

if(MOCKCLOUD_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
elseif(MOCKCLOUD_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT MOCKCLOUD_SANITIZE STREQUAL "")
  message(FATAL_ERROR "MOCKCLOUD_SANITIZE must be address, thread or empty, not '${MOCKCLOUD_SANITIZE}'")
endif()
if(MOCKCLOUD_SANITIZE)
  message(STATUS "mockcloud: building with -fsanitize for ${MOCKCLOUD_SANITIZE}")
endif()

# libFuzzer targets (fuzz/, clang only): every target gets the fuzzer's coverage instrumentation
# and ASan+UBSan. The fuzz targets link mockcloud::http, which CMake resolves at generation, so
# fuzz/ may come before the library's targets.
option(MOCKCLOUD_FUZZ "Build the libFuzzer targets of fuzz/ (clang)" OFF)
if(MOCKCLOUD_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
  add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/../fuzz ${PROJECT_BINARY_DIR}/fuzz)
endif()

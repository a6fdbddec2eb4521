# The warnings of the project's own targets (library, server, tests, examples, bench, fuzz):
# -Wall -Wextra with GCC and Clang, and -Werror with -DMOCKCLOUD_WERROR=ON (.ci/run turns it on).
# Not -Wmissing-field-initializers: the API's specs and options are aggregates meant for
# designated initializers that leave the other members at their defaults (`{.name = "dev"}`),
# as tests/packaging's consumers build them. Not -Wrestrict on GCC 12: it reports an overlapping
# memcpy in libstdc++'s `"literal" + std::string` at -O3, a false positive fixed in GCC 13
# (https://gcc.gnu.org/bugzilla/show_bug.cgi?id=105329).
include_guard(GLOBAL)

option(MOCKCLOUD_WERROR "Treat the compiler warnings of the project's own targets as errors" OFF)

function(mockcloud_warnings)
  foreach(target IN LISTS ARGN)
    target_compile_options(${target} PRIVATE
      "$<$<CXX_COMPILER_ID:GNU,Clang>:-Wall;-Wextra;-Wno-missing-field-initializers>"
      "$<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>"
      "$<$<AND:$<CXX_COMPILER_ID:GNU,Clang>,$<BOOL:${MOCKCLOUD_WERROR}>>:-Werror>")
  endforeach()
endfunction()

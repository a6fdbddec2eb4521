# CPack pre-build script of the Debian package (CPACK_PRE_BUILD_SCRIPTS, cmake/package.cmake): strips
# the staged binaries as Debian's dh_strip does. CPACK_STRIP_FILES leaves the .comment and .note
# sections (lintian: binary-has-unneeded-section) and does not touch static libraries.
if(NOT CPACK_MOCKCLOUD_STRIP)
  message(WARNING "package-strip: no strip program: binaries are packaged as built")
  return()
endif()
file(GLOB_RECURSE _files LIST_DIRECTORIES false "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*")
set(_executables ${_files})
list(FILTER _executables INCLUDE REGEX "/s?bin/[^/]+$")
set(_archives ${_files})
list(FILTER _archives INCLUDE REGEX "\\.a$")
foreach(f IN LISTS _executables)
  execute_process(COMMAND ${CPACK_MOCKCLOUD_STRIP} --remove-section=.comment --remove-section=.note
    "${f}" COMMAND_ERROR_IS_FATAL ANY)
endforeach()
foreach(f IN LISTS _archives)
  execute_process(COMMAND ${CPACK_MOCKCLOUD_STRIP} --strip-debug --remove-section=.comment
    --remove-section=.note --enable-deterministic-archives "${f}" COMMAND_ERROR_IS_FATAL ANY)
endforeach()
list(LENGTH _executables _n_exe)
list(LENGTH _archives _n_a)
message(STATUS "package-strip: ${_n_exe} executable(s), ${_n_a} static librar(y/ies) stripped")

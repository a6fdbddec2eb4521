# Runs the deliberately failing test of an example and checks what its failure prints: the
# resource field by field, not `false`. Keeps the output in OUTPUT (the README quotes it).
#   cmake -DMODE=gtest|doctest -DBINARY=<example> -DOUTPUT=<file> -P check_failure_output.cmake
if(MODE STREQUAL "gtest")
  set(args --gtest_also_run_disabled_tests --gtest_filter=*DISABLED_ShowsTheVm*)
  set(expected
    "Value of: cloud.vm\\(vm.id\\)"
    "Expected: is running"
    "Actual: Vm{id=\"[0-9a-f-]+\", name=\"web-1\", environment_id=\"[0-9a-f-]+\", status=error, "
    "ip_address=null"
    "error=\"injected fault: vm.create failed\""
    "whose status is error \\(error: \"injected fault: vm.create failed\"\\)")
elseif(MODE STREQUAL "doctest")
  set(args --no-skip=true "--test-case=*shows the VM*")
  set(expected
    "CHECK\\( web1.status == VmStatus::running \\)"
    "values: CHECK\\( error == running \\)"
    "logged: Vm{id=\"[0-9a-f-]+\", name=\"web-1\", environment_id=\"[0-9a-f-]+\", status=error, "
    "error=\"injected fault: vm.create failed\"")
else()
  message(FATAL_ERROR "MODE must be gtest or doctest")
endif()

execute_process(COMMAND ${BINARY} ${args} OUTPUT_VARIABLE out ERROR_VARIABLE err
  RESULT_VARIABLE rc)
set(out "${out}${err}")
if(OUTPUT)
  file(WRITE ${OUTPUT} "${out}")
endif()
if(rc EQUAL 0)
  message(FATAL_ERROR "the deliberately failing test passed:\n${out}")
endif()
foreach(pattern IN LISTS expected)
  if(NOT out MATCHES "${pattern}")
    message(FATAL_ERROR "the failure output lacks /${pattern}/:\n${out}")
  endif()
endforeach()
message(STATUS "failed as expected, printing the resource:\n${out}")

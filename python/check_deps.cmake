# cmake -DPYTHON=/usr/bin/python3 -P check_deps.cmake: fails, naming the Debian packages and
# cmake/install-deps.sh, when that Python cannot import pytest and requests.
set(hint "install the Debian packages python3-pytest and python3-requests: \
bash cmake/install-deps.sh --test (as root) installs every test dependency")
if(NOT EXISTS "${PYTHON}")
  message(FATAL_ERROR "${PYTHON} not found: the Python tests need Debian's python3; ${hint}")
endif()
foreach(module pytest requests)
  execute_process(COMMAND "${PYTHON}" -c "import ${module}"
    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 0)
    list(APPEND missing ${module})
  endif()
endforeach()
if(missing)
  list(JOIN missing " and " missing)
  message(FATAL_ERROR "${PYTHON} cannot import ${missing}: ${hint}")
endif()
message(STATUS "${PYTHON} has pytest and requests")

# IncludeRules: the check that the build runs before compiling refuses each
# kind of wrong include, naming the file, the line and the fix, and passes
# the tree as it is. Run by ctest:
#   cmake -DSOURCE_DIR=DIR -DWORK_DIR=DIR -P tests/build/include_rules_test.cmake
cmake_minimum_required(VERSION 3.18)

set(check ${SOURCE_DIR}/cmake/check_includes.cmake)
set(failures 0)

# A copy of the tree, with `edit` appended to the file `target` (or, for
# the map itself, written over it); the check is then expected to fail
# with `expect` in its output.
function(expect_refused what target edit expect)
  set(tree ${WORK_DIR}/tree)
  file(REMOVE_RECURSE ${tree})
  file(MAKE_DIRECTORY ${tree})
  file(COPY ${SOURCE_DIR}/src ${SOURCE_DIR}/include ${SOURCE_DIR}/cmake DESTINATION ${tree})
  if(target STREQUAL "cmake/folders.cmake")
    file(READ ${tree}/${target} map)
    string(REPLACE "\"util|util||\"" "${edit}" map "${map}")
    file(WRITE ${tree}/${target} "${map}")
  else()
    file(APPEND ${tree}/${target} "${edit}\n")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${tree} -P ${tree}/cmake/check_includes.cmake
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(FIND "${out}" "${expect}" at)
  if(rc EQUAL 0 OR at EQUAL -1)
    message(SEND_ERROR "${what}: expected a refusal saying \"${expect}\", got (exit ${rc}):\n${out}")
    math(EXPR n "${failures} + 1")
    set(failures ${n} PARENT_SCOPE)
  else()
    message(STATUS "refused as expected: ${what}")
  endif()
endfunction()

# The tree as it is follows the map.
execute_process(COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${SOURCE_DIR} -P ${check}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the tree does not follow cmake/folders.cmake:\n${out}")
endif()

file(STRINGS ${SOURCE_DIR}/src/control/ctl.cpp ctl_lines)
list(LENGTH ctl_lines ctl_n)
math(EXPR ctl_next "${ctl_n} + 1")
expect_refused("the ctl client reaching the Supervisor" src/control/ctl.cpp
  "#include \"steward/pid1/supervisor.hpp\""
  "src/control/ctl.cpp:${ctl_next}: control includes steward/pid1/supervisor.hpp (pid1), but control may use only config, util")
expect_refused("PID 1 reaching a sink" src/pid1/spawn.cpp
  "#include \"steward/log/sinks/sink.hpp\""
  "pid1 includes steward/log/sinks/sink.hpp (sinks)")
expect_refused("PID 1 reaching the forwarder" include/steward/pid1/service.hpp
  "#include \"steward/log/forwarder/ring.hpp\""
  "pid1 includes steward/log/forwarder/ring.hpp (forwarder)")
expect_refused("util reaching up" src/util/diag.cpp
  "#include \"steward/config/config.hpp\""
  "util includes steward/config/config.hpp (config), but util may use only nothing")
expect_refused("mbedTLS outside the sinks" src/pid1/spawn.cpp
  "#include <mbedtls/ssl.h>"
  "<mbedtls/...> is sinks's alone")
expect_refused("toml++ outside config" src/control/ctl.cpp
  "#include <toml++/toml.h>"
  "<toml++/...> is config's alone")
expect_refused("a relative path into another folder" src/pid1/spawn.cpp
  "#include \"../log/hub.hpp\""
  "include another folder's header as \"steward/FOLDER/name.hpp\"")
expect_refused("a cycle in the map" cmake/folders.cmake
  "\"util|util|pid1|\""
  "util may use pid1, which is not a lower layer")

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} wrong include(s) not refused")
endif()

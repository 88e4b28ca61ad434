# HotText: the build makes the linker script from packaging/hot-text.list
# (each kind of name becomes the pattern that takes it and its compiler
# clones), and the check after the link fails when under 90 % of the
# list's code or constants was laid out (unless the list was made with
# another architecture or compiler). Run by ctest:
#   cmake -DSOURCE_DIR=DIR -DWORK_DIR=DIR -P tests/build/hot_text_test.cmake
cmake_minimum_required(VERSION 3.18)

set(script ${SOURCE_DIR}/cmake/hot_text.cmake)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(failures 0)
macro(failed)
  message(SEND_ERROR ${ARGN})
  math(EXPR failures "${failures} + 1")
endmacro()

# Ten names of code and one constant; F0..F9 are functions of steward's own,
# the constant the C library's.
set(list "# a comment\narch x86_64\ncompiler GNU 12\n[text] the forwarder and PID 1\n")
foreach(i RANGE 9)
  string(APPEND list ".text._ZN7steward2F${i}Ev\n")
endforeach()
string(APPEND list "[rodata] wrapper mode\nlibc.a:C-ctype.o(.rodata)\n:*(.rodata.str1.1)\n")
file(WRITE ${WORK_DIR}/hot-text.list "${list}")

execute_process(COMMAND ${CMAKE_COMMAND} -DMODE=generate -DLIST=${WORK_DIR}/hot-text.list
                        -DOUT=${WORK_DIR}/hot-text.ld -P ${script} RESULT_VARIABLE rc)
file(READ ${WORK_DIR}/hot-text.ld ld)
foreach(want "/* the forwarder and PID 1 */"
             "*(.text._ZN7steward2F3Ev .text._ZN7steward2F3Ev.*)"
             "*libc.a:C-ctype.o(.rodata)" "    :*(.rodata.str1.1)"
             "INSERT BEFORE .text;" "INSERT AFTER .rodata;")
  string(FIND "${ld}" "${want}" at)
  if(NOT rc EQUAL 0 OR at EQUAL -1)
    failed("generate: the script lacks \"${want}\" (exit ${rc}):\n${ld}")
  endif()
endforeach()

# A map as ld writes it: each pattern, then the sections it took.
function(write_map path laid_text)
  set(map ".text.steward.hot\n                0x0000000000401100     0x1000\n")
  foreach(i RANGE 9)
    string(APPEND map " *(.text._ZN7steward2F${i}Ev .text._ZN7steward2F${i}Ev.*)\n")
    if(i LESS laid_text)
      string(APPEND map " .text._ZN7steward2F${i}Ev.isra.0\n"
             "                0x0000000000401${i}00       0x40 /tmp/cc.ltrans0.ltrans.o\n")
    endif()
  endforeach()
  string(APPEND map ".text           0x0000000000402000   0x1000\n"
         ".rodata.steward.hot\n                0x0000000000500000      0x100\n"
         " *libc.a:C-ctype.o(.rodata)\n"
         " .rodata        0x0000000000500000       0xe0 /usr/lib/libc.a(C-ctype.o)\n"
         " :*(.rodata.str1.1)\n"
         " .rodata.str1.1 0x00000000005000e0       0x20 /tmp/cc.ltrans0.ltrans.o\n"
         ".eh_frame       0x0000000000501000      0x100\n")
  file(WRITE ${path} "${map}")
endfunction()

function(check laid_text arch compiler expect_rc expect)
  write_map(${WORK_DIR}/steward.map ${laid_text})
  execute_process(COMMAND ${CMAKE_COMMAND} -DMODE=check -DLIST=${WORK_DIR}/hot-text.list
                          -DMAP=${WORK_DIR}/steward.map -DARCH=${arch} "-DCOMPILER=${compiler}"
                          -P ${script}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(FIND "${out}" "${expect}" at)
  if((expect_rc EQUAL 0 AND NOT rc EQUAL 0) OR (NOT expect_rc EQUAL 0 AND rc EQUAL 0) OR at EQUAL -1)
    failed("check with ${laid_text} of 10 laid out on ${arch} with ${compiler}: expected exit ${expect_rc} "
           "and \"${expect}\", got exit ${rc}:\n${out}")
  else()
    math(EXPR n "${failures}")  # keep the scope's count
  endif()
  set(failures ${failures} PARENT_SCOPE)
endfunction()

check(10 x86_64 "GNU 12" 0 "layout: 10 of the 10 text names")
check(9 x86_64 "GNU 12" 0 "layout: 9 of the 10 text names")
check(8 x86_64 "GNU 12" 1 "under 90 % of the names in")
check(8 x86_64 "GNU 12" 1 ".text._ZN7steward2F8Ev")  # names some that match nothing
check(8 aarch64 "GNU 12" 0 "made on x86_64 with GNU 12, this is aarch64 with GNU 12: not checked")
check(8 x86_64 "GNU 13" 0 "made on x86_64 with GNU 12, this is x86_64 with GNU 13: not checked")

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} hot-text check(s) failed")
endif()
message(STATUS "hot-text: generate and check behave")

# Checks every #include of src/ and include/steward/ against the folder map
# of folders.cmake. Run by the build before any library compiles, and by
# the IncludeRules test:
#
#   cmake -DSOURCE_DIR=DIR [-DSTAMP=FILE] -P cmake/check_includes.cmake
#
# A file may include, by "steward/FOLDER/...", headers of its own folder and
# of the folders its library may use; by a bare "name.hpp", a private header
# beside it. External headers that a library owns (toml++, mbedtls) are its
# alone. The map itself must be a layering: no folder may use itself through
# others. Each wrong include is printed as FILE:LINE with the fix; any one
# fails the build.
cmake_minimum_required(VERSION 3.18)
if(NOT SOURCE_DIR)
  message(FATAL_ERROR "usage: cmake -DSOURCE_DIR=DIR [-DSTAMP=FILE] -P check_includes.cmake")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/folders.cmake)

set(names "")
foreach(row ${STEWARD_FOLDERS})
  steward_folder_row("${row}")
  list(APPEND names ${name})
  set(dir_${name} "${dir}")
  set(uses_${name} "${uses}")
  set(owns_${name} "${owns}")
  foreach(ext ${owns})
    set(owner_of_${ext} ${name})
  endforeach()
endforeach()

set(problems "")

# The map is a layering: each folder may use only folders listed before it.
set(seen "")
foreach(name ${names})
  foreach(u ${uses_${name}})
    if(NOT u IN_LIST seen)
      list(APPEND problems "cmake/folders.cmake: ${name} may use ${u}, which is not a lower layer: list ${u} before ${name}, or remove the use")
    endif()
  endforeach()
  list(APPEND seen ${name})
endforeach()

# The folder a "steward/..." header belongs to: the longest folder that
# prefixes its directory ("log/sinks" before "log").
function(folder_of path out)
  get_filename_component(d "${path}" DIRECTORY)
  set(best "")
  set(best_len 0)
  foreach(name ${names})
    set(fd "${dir_${name}}")
    string(LENGTH "${fd}" n)
    if((d STREQUAL fd) AND n GREATER best_len)
      set(best ${name})
      set(best_len ${n})
    endif()
  endforeach()
  set(${out} "${best}" PARENT_SCOPE)
endfunction()

set(checked 0)
foreach(name ${names})
  set(dir "${dir_${name}}")
  file(GLOB files RELATIVE ${SOURCE_DIR}
       ${SOURCE_DIR}/src/${dir}/*.cpp ${SOURCE_DIR}/src/${dir}/*.hpp
       ${SOURCE_DIR}/include/steward/${dir}/*.hpp)
  foreach(file ${files})
    math(EXPR checked "${checked} + 1")
    file(STRINGS ${SOURCE_DIR}/${file} lines REGEX "^[ \t]*#[ \t]*include")
    file(STRINGS ${SOURCE_DIR}/${file} all)
    foreach(line ${lines})
      # The line number, for a message that points at it.
      list(FIND all "${line}" idx)
      math(EXPR lineno "${idx} + 1")
      if(line MATCHES "#[ \t]*include[ \t]*\"([^\"]+)\"")
        set(inc "${CMAKE_MATCH_1}")
        if(inc MATCHES "^steward/(.+)$")
          folder_of("${CMAKE_MATCH_1}" to)
          if(to STREQUAL "")
            list(APPEND problems "${file}:${lineno}: ${inc} is in no folder of cmake/folders.cmake")
          elseif(NOT to STREQUAL name AND NOT to IN_LIST uses_${name})
            string(REPLACE ";" ", " may "${uses_${name}}")
            if(may STREQUAL "")
              set(may "nothing")
            endif()
            list(APPEND problems "${file}:${lineno}: ${name} includes ${inc} (${to}), but ${name} may use only ${may}: move what both need down to a folder both may use, or pass it in")
          endif()
        elseif(inc MATCHES "/")
          list(APPEND problems "${file}:${lineno}: \"${inc}\": include another folder's header as \"steward/FOLDER/name.hpp\", a private one by its bare name")
        endif()
      elseif(line MATCHES "#[ \t]*include[ \t]*<([^/>]+)")
        set(ext "${CMAKE_MATCH_1}")
        if(DEFINED owner_of_${ext} AND NOT owner_of_${ext} STREQUAL name)
          list(APPEND problems "${file}:${lineno}: <${ext}/...> is ${owner_of_${ext}}'s alone (cmake/folders.cmake): call ${owner_of_${ext}} instead")
        endif()
      endif()
    endforeach()
  endforeach()
endforeach()

if(problems)
  list(LENGTH problems n)
  string(REPLACE ";" "\n  " text "${problems}")
  message(FATAL_ERROR "include rules: ${n} wrong include(s) (the folder map is cmake/folders.cmake):\n  ${text}\n")
endif()
if(checked EQUAL 0)
  message(FATAL_ERROR "include rules: no source found under ${SOURCE_DIR}/src")
endif()
if(STAMP)
  file(WRITE ${STAMP} "${checked} files\n")
endif()
message(STATUS "include rules: ${checked} files follow cmake/folders.cmake")

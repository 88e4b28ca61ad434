# The folder map (docs/DESIGN.md): each folder of src/ (with its headers
# under include/steward/) is a static library, and each names the libraries
# it may use. This one list makes the libraries (CMakeLists.txt) and checks
# every #include against them (check_includes.cmake), so a wrong include
# fails the build before anything compiles.
#
#   NAME|FOLDER|MAY USE (comma-separated)|EXTERNAL HEADERS ONLY IT MAY USE
#
# Lower layers first. The program (src/main.cpp, src/bin/) uses them all.
set(STEWARD_FOLDERS
  "util|util||"
  "config|config|util|toml++"
  "log|log|config,util|"
  "control|control|config,util|"
  "sinks|log/sinks|log,config,util|mbedtls"
  "forwarder|log/forwarder|sinks,log,config,util|"
  "pid1|pid1|control,log,config,util|"
  "tools|tools|config,util|"
)

# One row of STEWARD_FOLDERS into NAME, DIR, USES and OWNS (lists) in the
# caller's scope.
macro(steward_folder_row row)
  string(REPLACE "|" ";" _f "${row}")
  list(GET _f 0 name)
  list(GET _f 1 dir)
  list(GET _f 2 uses)
  list(GET _f 3 owns)
  string(REPLACE "," ";" uses "${uses}")
  string(REPLACE "," ";" owns "${owns}")
endmacro()

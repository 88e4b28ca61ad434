# Cross-compiling steward for arm64 on a Debian amd64 host:
#
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install g++-aarch64-linux-gnu libev-dev:arm64
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=packaging/toolchain-aarch64.cmake \
#         -DCMAKE_BUILD_TYPE=Release -DSTEWARD_TESTS=OFF
#
# (packaging/setup-arm64.sh does the first two lines, packaging/build.sh
# --arch arm64 the rest.) The compiler's own sysroot /usr/aarch64-linux-gnu
# has glibc and libstdc++; libev.a comes from multiarch libev-dev:arm64 in
# /usr/lib/aarch64-linux-gnu; toml++ and fmt are header-only and
# architecture-independent, so the host's headers serve.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# libev's static library for arm64 (multiarch path, outside the sysroot).
set(LIBEV_STATIC /usr/lib/aarch64-linux-gnu/libev.a CACHE FILEPATH
    "libev.a for arm64 (Debian libev-dev:arm64)")

# The host headers steward needs, and nothing else of the host's
# /usr/include: putting all of it on the cross compiler's include path
# (-isystem /usr/include) would mix amd64 glibc headers into the arm64 build
# and break libstdc++'s #include_next. So a directory of symbolic links in
# the build tree (which -ffile-prefix-map maps to ".", so the path never
# reaches the binary) stands in for it.
set(_steward_cross_inc "${CMAKE_BINARY_DIR}/aarch64-host-headers")
file(MAKE_DIRECTORY "${_steward_cross_inc}")
foreach(_h ev.h toml++ fmt mbedtls psa)
  if(NOT EXISTS "${_steward_cross_inc}/${_h}")
    file(CREATE_LINK "/usr/include/${_h}" "${_steward_cross_inc}/${_h}" SYMBOLIC)
  endif()
endforeach()
set(LIBEV_INCLUDE_DIR "${_steward_cross_inc}" CACHE PATH "ev.h (architecture-independent)")
set(TOMLPP_INCLUDE_DIR "${_steward_cross_inc}" CACHE PATH "toml++ headers (header-only)")
set(FMT_INCLUDE_DIR "${_steward_cross_inc}" CACHE PATH "fmt headers (header-only)")
# mbedTLS: Debian's headers are the same for every architecture
# (Multi-Arch: same); the static archives come from libmbedtls-dev:arm64.
set(MBEDTLS_INCLUDE_DIR "${_steward_cross_inc}" CACHE PATH "mbedTLS headers")
foreach(_l mbedtls mbedx509 mbedcrypto)
  string(TOUPPER ${_l} _L)
  set(${_L}_STATIC /usr/lib/aarch64-linux-gnu/lib${_l}.a CACHE FILEPATH "lib${_l}.a for arm64")
endforeach()

#!/usr/bin/env bash
# Installs the Debian packages steward needs to build and test, only those
# missing, so a second run costs nothing. Sourced by tests/run.sh and
# examples/demo.sh; needs root (apt-get) when something is missing.
steward_install_deps() {
  local want=(cmake g++ make libev-dev libtomlplusplus-dev libfmt-dev libmbedtls-dev libgtest-dev
              busybox-static procps util-linux file "$@")
  local missing=()
  local p
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: missing packages (${missing[*]}); run as root or install them" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

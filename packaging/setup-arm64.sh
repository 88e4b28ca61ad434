#!/usr/bin/env bash
# Installs what the arm64 cross build and its smoke test need on a Debian 12
# amd64 host, only what is missing (a second run costs nothing, not even an
# apt-get update):
#
#   g++-aarch64-linux-gnu   Debian's cross compiler (sysroot /usr/aarch64-linux-gnu)
#   libev-dev:arm64         libev.a for arm64, through multiarch
#   libmbedtls-dev:arm64    mbedTLS's static archives for arm64 (tls:// sinks)
#   qemu-user-static        qemu-aarch64-static, to run the arm64 binary here
#
# Needs root. Exits 0 when everything is present, 1 when something is
# missing and cannot be installed (not root, no archive).
set -euo pipefail

want=(g++-aarch64-linux-gnu libev-dev:arm64 libmbedtls-dev:arm64 qemu-user-static)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
for p in "${want[@]}"; do installed "$p" || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-arm64: missing ${missing[*]}; run as root" >&2
  exit 1
fi
echo "setup-arm64: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# Builds the steward .deb with dpkg-deb from the release binary.
#
#   packaging/deb/build-deb.sh [--arch amd64|arm64] [--binary FILE] [--out DIR]
#
# Without --binary it first runs packaging/build.sh for the architecture.
# Writes DIR/steward_VERSION-REV_ARCH.deb (default DIR: build-release/) and
# prints its path. The package holds:
#
#   /usr/sbin/steward                     the static binary
#   /usr/sbin/stewardctl -> steward       argv[0] selects the ctl client
#   /usr/share/man/man8/steward.8.gz      packaging/steward.8 (gzip -n)
#   /usr/share/man/man8/stewardctl.8.gz -> steward.8.gz
#   /usr/share/doc/steward/copyright, changelog.Debian.gz
#   /usr/share/doc/steward/examples/      examples/ and packaging/docker/
#   /usr/share/lintian/overrides/steward  why it is static (see docs/PACKAGING.md)
#
# The .deb is reproducible from the same binary: every file's mtime is
# SOURCE_DATE_EPOCH (from the last commit, as build.sh), owner root:root
# (--root-owner-group), modes normalised, dpkg-deb sorts the members and
# uses SOURCE_DATE_EPOCH for the ar headers, gzip -n stores no name or time.
# The version is project()'s in CMakeLists.txt plus the Debian revision of
# packaging/deb/changelog; the two must agree.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd -P)
src=$(cd "$here/../.." && pwd -P)

arch=$(dpkg --print-architecture)
binary=""
out="$src/build-release"
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=${2:?}; shift 2 ;;
    --binary) binary=$(readlink -f "${2:?}"); shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    *) echo "build-deb.sh: unknown argument '$1'" >&2
       echo "usage: build-deb.sh [--arch amd64|arm64] [--binary FILE] [--out DIR]" >&2
       exit 2 ;;
  esac
done
case "$arch" in amd64|arm64) ;; *) echo "build-deb.sh: --arch must be amd64 or arm64" >&2; exit 2 ;; esac

export LC_ALL=C TZ=UTC
umask 022
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  if git -C "$src" rev-parse --verify -q HEAD >/dev/null 2>&1; then
    SOURCE_DATE_EPOCH=$(git -C "$src" log -1 --format=%ct)
  else
    SOURCE_DATE_EPOCH=1767225600  # as packaging/build.sh
  fi
fi
export SOURCE_DATE_EPOCH

# Version: CMakeLists.txt's project(), Debian revision: the changelog's.
upstream=$(sed -n 's/^project(steward VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ -n "$upstream" ] || { echo "build-deb.sh: no version in CMakeLists.txt project()" >&2; exit 1; }
debver=$(sed -n '1s/^steward (\([^)]*\)).*/\1/p' "$here/changelog")
case "$debver" in
  "$upstream"-*) ;;
  *) echo "build-deb.sh: packaging/deb/changelog is at $debver, CMakeLists.txt at $upstream;" \
          "add a changelog entry" >&2; exit 1 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/steward-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

if [ -z "$binary" ]; then
  "$src/packaging/build.sh" --arch "$arch" --out "$work/bin" >&2
  binary="$work/bin/steward-$arch"
fi
case "$(file -b "$binary")" in
  *x86-64*) [ "$arch" = amd64 ] ;;
  *aarch64*) [ "$arch" = arm64 ] ;;
  *) false ;;
esac || { echo "build-deb.sh: $binary is not an $arch binary" >&2; exit 1; }

# The source packages compiled into the static binary, at the versions on
# this machine (Debian policy 7.8: Built-Using, for the licences of
# statically linked code).
if [ "$arch" = amd64 ]; then
  used=(libc6-dev libstdc++-12-dev libev-dev:amd64 libmbedtls-dev:amd64 libtomlplusplus-dev libfmt-dev)
else
  used=(libc6-dev-arm64-cross libstdc++-12-dev-arm64-cross libev-dev:arm64 libmbedtls-dev:arm64
        libtomlplusplus-dev libfmt-dev)
fi
built_using=$(for p in "${used[@]}"; do
  dpkg-query -W -f='${source:Package} (= ${source:Version})\n' "$p"
done | sort -u | paste -sd, | sed 's/,/, /g')

root="$work/root"
install -d "$root/DEBIAN" "$root/usr/sbin" "$root/usr/share/man/man8" "$root/usr/share/doc/steward"
install -m 0755 "$binary" "$root/usr/sbin/steward"
ln -s steward "$root/usr/sbin/stewardctl"
gzip -9n <"$src/packaging/steward.8" >"$root/usr/share/man/man8/steward.8.gz"
ln -s steward.8.gz "$root/usr/share/man/man8/stewardctl.8.gz"
install -m 0644 "$here/copyright" "$root/usr/share/doc/steward/copyright"
install -d "$root/usr/share/lintian/overrides"
install -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/steward"
gzip -9n <"$here/changelog" >"$root/usr/share/doc/steward/changelog.Debian.gz"

# Examples: whatever examples/ holds (service sets, scripts), and the
# Dockerfile examples. Scripts keep their execute bit, nothing else has one.
ex="$root/usr/share/doc/steward/examples"
if [ -d "$src/examples" ] && [ -n "$(ls -A "$src/examples")" ]; then
  mkdir -p "$ex"
  cp -R "$src/examples/." "$ex/"
fi
mkdir -p "$ex/docker"
cp -R "$src/packaging/docker/." "$ex/docker/"
find "$ex" -depth \( -name '.*' -o -name '*~' -o -name '*.swp' \) -exec rm -rf {} +

# Normalise: modes from the execute bit only, every mtime SOURCE_DATE_EPOCH.
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -perm /111 -exec chmod 0755 {} +
find "$root" -type f ! -perm /111 -exec chmod 0644 {} +

size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$debver/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
    -e "s/@BUILT_USING@/$built_using/" "$here/control.in" >"$root/DEBIAN/control"
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

deb="$out/steward_${debver}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
touch -d "@$SOURCE_DATE_EPOCH" "$deb"
echo "$deb"

#!/usr/bin/env bash
# Assembles the build context of the Dockerfile examples in DIR:
#
#   packaging/docker/make-context.sh DIR [--arch amd64|arm64] [--binary FILE]
#                                        [--deb FILE] [--no-deb]
#
#   DIR/steward        the release binary (--binary, else packaging/build.sh)
#   DIR/steward.deb    its package (--deb, else packaging/deb/build-deb.sh;
#                      --no-deb leaves it out: only Dockerfile.services uses it)
#   DIR/bin/busybox    Debian's busybox-static for ARCH; bin/sh -> busybox
#   DIR/tmp/           empty, mode 1777
#   DIR/services/      examples/webapp/services
#   DIR/www/           examples/webapp/www
#   DIR/app/app.sh     a stand-in application (packaging/docker/app.sh)
#   DIR/Dockerfile.*   the examples
#
# then: podman build -f DIR/Dockerfile.scratch DIR (see each Dockerfile).
# The arm64 busybox is fetched with `apt-get download busybox-static:arm64`
# (multiarch must be enabled: packaging/setup-arm64.sh).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd -P)
src=$(cd "$here/../.." && pwd -P)
dir=${1:?usage: make-context.sh DIR [--arch amd64|arm64] [--binary FILE] [--deb FILE] [--no-deb]}
shift
arch=$(dpkg --print-architecture)
binary=""
deb=""
want_deb=1
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=$2; shift 2 ;;
    --binary) binary=$(readlink -f "$2"); shift 2 ;;
    --deb) deb=$(readlink -f "$2"); shift 2 ;;
    --no-deb) want_deb=0; shift ;;
    *) echo "make-context.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

mkdir -p "$dir"
dir=$(cd "$dir" && pwd -P)
work=$(mktemp -d "${TMPDIR:-/tmp}/steward-context.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ -z "$binary" ]; then
  "$src/packaging/build.sh" --arch "$arch" --out "$work" >&2
  binary="$work/steward-$arch"
fi
install -m 0755 "$binary" "$dir/steward"
touch -r "$binary" "$dir/steward"  # keep the release mtime (SOURCE_DATE_EPOCH)

if [ "$want_deb" = 1 ]; then
  if [ -z "$deb" ]; then
    deb=$("$src/packaging/deb/build-deb.sh" --arch "$arch" --binary "$binary" --out "$work")
  fi
  cp "$deb" "$dir/steward.deb"
fi

# busybox: the host's for the host architecture, else Debian's package.
rm -rf "${dir:?}/bin"
mkdir -p "$dir/bin"
if [ "$arch" = "$(dpkg --print-architecture)" ] && [ -x /bin/busybox ] &&
   file -b /bin/busybox | grep -q "statically linked"; then
  cp /bin/busybox "$dir/bin/busybox"
else
  (cd "$work" && apt-get download "busybox-static:$arch" >/dev/null 2>&1) || {
    echo "make-context.sh: cannot download busybox-static:$arch" >&2; exit 1; }
  dpkg -x "$work"/busybox-static_*.deb "$work/bb"
  cp "$work/bb/bin/busybox" "$dir/bin/busybox"
fi
chmod 0755 "$dir/bin/busybox"
ln -sfn busybox "$dir/bin/sh"

rm -rf "${dir:?}/tmp" && mkdir -p "$dir/tmp" && chmod 1777 "$dir/tmp"

# The example service set, written by examples/ (the same files the tests
# run); its services must not be writable by others (steward refuses them).
for d in services www; do
  [ -d "$src/examples/webapp/$d" ] || { echo "make-context.sh: examples/webapp/$d is missing" >&2; exit 1; }
  rm -rf "${dir:?}/$d"
  cp -R "$src/examples/webapp/$d" "$dir/$d"
done
chmod -R go-w "$dir/services" "$dir/www"

mkdir -p "$dir/app"
install -m 0755 "$here/app.sh" "$dir/app/app.sh"
cp "$here"/Dockerfile.* "$dir/"
echo "$dir"

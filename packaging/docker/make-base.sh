#!/usr/bin/env bash
# Makes a local debian:bookworm-slim base image without a registry:
# debootstrap a minimal Debian 12 root (--variant=minbase, as Docker Hub's
# slim images: no netbase), trim it as the slim
# images are trimmed (no man pages, docs, locales, apt lists), and
# `podman import` it under the name the Dockerfiles use:
#
#   packaging/docker/make-base.sh [--force] [--image NAME]
#
# tags docker.io/library/debian:bookworm-slim (FROM debian:bookworm-slim
# then resolves to it; build with --pull=never). Skips the work when that
# image exists already, unless --force. Needs root, debootstrap (installed
# when missing) and Debian's archive (the mirror of /etc/apt/sources*).
# Takes a minute or two and ~80 MB: the tests run it only with
# STEWARD_TEST_DEBOOTSTRAP=1.
set -euo pipefail

image=docker.io/library/debian:bookworm-slim
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1; shift ;;
    --image) image=$2; shift 2 ;;
    *) echo "make-base.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

if [ "$force" = 0 ] && podman image exists "$image"; then
  echo "$image exists already (--force to make it again)"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "make-base.sh: debootstrap needs root" >&2; exit 1; }
if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

# The mirror this machine's apt uses (deb822 sources first, then the list).
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
         grep -v security | head -1 || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' \
                             /etc/apt/sources.list 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}

root=$(mktemp -d "${TMPDIR:-/tmp}/steward-debootstrap.XXXXXX")
trap 'rm -rf "$root"' EXIT
echo "debootstrap bookworm from $mirror" >&2
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 ||
  { tail -n 20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"

# Trim as the slim images do.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
       "$root"/usr/share/man/* "$root"/usr/share/doc/* "$root"/usr/share/info/* \
       "$root"/var/log/* "$root"/tmp/* "$root"/root/.bash_history
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
# and keep them out of later installs, as debuerreotype's slim images do.
cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF2'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
EOF2

tar -C "$root" --numeric-owner -cf - . |
  podman import -q --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    - "$image" >/dev/null
echo "made $image: $(podman image inspect "$image" --format '{{.Size}}') bytes"

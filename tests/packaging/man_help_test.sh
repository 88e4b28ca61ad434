#!/usr/bin/env bash
# The man page cannot drift from `steward --help` (the same source as the
# option parser, src/config/options.cpp):
#
#   tests/packaging/man_help_test.sh STEWARD [MANPAGE]
#
#   1. every option of --help (--long and -x) appears in the man page's
#      OPTIONS section, and every option the OPTIONS section lists as an
#      entry (.TP tag) appears in --help: nothing added or removed on one
#      side only;
#   2. every environment variable of --help is an entry of ENVIRONMENT, and
#      every STEWARD_* / TINI_* entry there is in --help, except the ones
#      listed below that --help does not show;
#   3. the version in .TH is the one `steward --version` prints;
#   4. the page renders without a single groff warning.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
. "$here/lib.sh"

bin=${1:?usage: man_help_test.sh STEWARD [MANPAGE]}
man=${2:-$here/../../packaging/steward.8}

# Variables the man page documents that --help leaves out on purpose
# (SPEC §5, §7: they are not options).
man_only_env="STEWARD_PROFILE STEWARD_CONFIG_VOLUME NOTIFY_SOCKET"

help=$("$bin" --help) || fail "steward --help exited $?"

# roff source to plain words: fonts, \- and friends.
plain() {
  sed -e 's/\\f\[[^]]*\]//g' -e 's/\\f([A-Z][A-Z]//g' -e 's/\\f[A-Z1-4]//g' \
      -e 's/\\-/-/g' -e 's/\\(dq/"/g' -e 's/\\(em/--/g' -e 's/\\[&%c~]//g' "$@"
}
# Lines of the section whose .SH title is $1.
section() {
  plain "$man" | awk -v want="$1" '
    /^\.SH / { t = $0; sub(/^\.SH +"?/, "", t); sub(/"$/, "", t); on = (t == want); next }
    on'
}
# The tag line after each .TP of the section on stdin.
tags() { awk 'tp { print; tp = 0; next } /^\.TP/ { tp = 1 }'; }
# Options as whole tokens: -x or --long, not the inside of a word.
options() { grep -oE '(^|[^A-Za-z0-9_-])--?[A-Za-z0-9][A-Za-z0-9_-]*' | sed 's/^[^-]*//' | sort -u; }
envvars() { grep -oE '\b[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b' | sort -u; }

errors=0
err() { echo "drift: $*" >&2; errors=$((errors + 1)); }

help_opts=$(options <<<"$help")
help_env=$(envvars <<<"$help")
man_opts_all=$(section OPTIONS | options)
man_opts_tags=$(section OPTIONS | tags | options)
man_env_tags=$(section ENVIRONMENT | tags | envvars)
[ -n "$man_opts_tags" ] || fail "no OPTIONS entries found in $man"
[ -n "$man_env_tags" ] || fail "no ENVIRONMENT entries found in $man"

step "options of --help in the man page's OPTIONS"
for o in $help_opts; do
  grep -qxF -- "$o" <<<"$man_opts_all" || err "option $o is in --help, not in the man page's OPTIONS"
done
echo "$(wc -w <<<"$help_opts") options:" $help_opts
step "OPTIONS entries of the man page in --help"
for o in $man_opts_tags; do
  grep -qxF -- "$o" <<<"$help_opts" || err "option $o is in the man page, not in --help"
done
step "environment variables of --help in ENVIRONMENT"
for v in $help_env; do
  grep -qxF "$v" <<<"$man_env_tags" || err "variable $v is in --help, not in the man page's ENVIRONMENT"
done
echo "$(wc -w <<<"$help_env") variables:" $help_env
for v in $man_env_tags; do
  case " $man_only_env " in *" $v "*) continue ;; esac
  grep -qxF "$v" <<<"$help_env" || err "variable $v is in the man page's ENVIRONMENT, not in --help"
done

step "version"
# "tini version X_steward - git.C - steward X (ARCH)": steward's own part.
version=$("$bin" --version | sed -n 's/.* - steward \([^ ]*\) .*/\1/p')
th=$(grep -m1 '^\.TH ' "$man")
grep -qF "\"steward $version\"" <<<"$th" || err "the man page is for another version ($th), steward is $version"
echo "$version"

step "the page renders without warnings"
warnings=$(groff -man -ww -z -Tutf8 "$man" 2>&1 || true)
[ -z "$warnings" ] || err "groff: $warnings"

[ "$errors" -eq 0 ] || fail "$errors difference(s) between steward --help and $man"
echo "man page and --help agree"

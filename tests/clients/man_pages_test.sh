#!/bin/sh
# The man pages match the programs: every long option that `inferd --help`
# and each `inferctl <command> --help` print is documented in inferd.8 /
# inferctl.1, and each inferctl command has an entry. Where groff is
# installed, the pages must also render without warnings.
# usage: man_pages_test.sh INFERD INFERCTL INFERD_8 INFERCTL_1
set -eu
inferd=$1 inferctl=$2 page8=$3 page1=$4
fail=0
# roff writes "\-\-name"; compare against the page with the escapes removed.
plain8=$(sed 's/\\-/-/g; s/\\f[BIR]//g' "$page8")
plain1=$(sed 's/\\-/-/g; s/\\f[BIR]//g' "$page1")
for opt in $("$inferd" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
  printf '%s\n' "$plain8" | grep -q -- "$opt" || { echo "FAIL: inferd.8 does not mention $opt"; fail=1; }
done
commands=$("$inferctl" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF { print $1 }')
[ -n "$commands" ] || { echo "FAIL: no subcommands in inferctl --help"; exit 1; }
for cmd in $commands; do
  printf '%s\n' "$plain1" | grep -q -- "^\.B.* $cmd\|^\.B $cmd\|^\.BI \"$cmd \|^\.RI \"$cmd " || {
    echo "FAIL: inferctl.1 has no entry for '$cmd'"; fail=1; }
  for opt in $("$inferctl" "$cmd" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    printf '%s\n' "$plain1" | grep -q -- "$opt" || { echo "FAIL: inferctl.1 does not mention $cmd $opt"; fail=1; }
  done
done
if command -v groff >/dev/null 2>&1; then
  for page in "$page8" "$page1"; do
    warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1 || true)
    [ -z "$warnings" ] || { echo "FAIL: groff warns about $page:"; echo "$warnings"; fail=1; }
  done
fi
[ "$fail" -eq 0 ] && echo "man pages: ok ($(echo $commands | wc -w) inferctl commands)"
exit $fail

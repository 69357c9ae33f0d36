#!/bin/sh
# Checks the systemd units: `systemd-analyze verify` on the generated
# inferd.service (ExecStart pointed at the built inferd, since the install
# path may not exist yet) and on inferd.socket must print nothing,
# `systemd-analyze security --offline=yes` must rate the service 1.0 or
# better, and systemd-sysusers and systemd-tmpfiles must accept their
# files. Exit 77 (skipped) where the tools are missing.
# usage: systemd_units_test.sh UNIT SOCKET_UNIT SYSUSERS_CONF TMPFILES_CONF INFERD_BINARY
set -eu
unit=$1 socket_unit=$2 sysusers=$3 tmpfiles=$4 inferd=$5
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not found: skipped"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/inferd-units-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The unit must carry what the daemon relies on.
for key in 'Type=notify' 'RuntimeDirectory=inferd' 'StateDirectory=inferd' 'ProtectSystem=strict' \
           'NoNewPrivileges=yes' 'User=inferd' 'ExecReload=/bin/kill -HUP $MAINPID' 'LimitNOFILE=65536' \
           'WatchdogSec=30' 'PrivateNetwork=yes' 'RestrictAddressFamilies=AF_UNIX' 'RuntimeDirectoryPreserve=yes'; do
  grep -qxF "$key" "$unit" || { echo "FAIL: $unit lacks '$key'"; exit 1; }
done
grep -q '^ExecStart=/.*/inferd --config /.*/inferd/inferd.conf$' "$unit" || {
  echo "FAIL: unexpected ExecStart in $unit"; grep '^ExecStart' "$unit"; exit 1; }

grep -qxF 'ListenStream=/run/inferd/inferd.sock' "$socket_unit" || { echo "FAIL: $socket_unit lacks ListenStream"; exit 1; }

sed "s|^ExecStart=[^ ]*|ExecStart=$inferd|" "$unit" > "$tmp/inferd.service"
cp "$socket_unit" "$tmp/inferd.socket"
if ! systemd-analyze verify --man=no "$tmp/inferd.service" "$tmp/inferd.socket" > "$tmp/verify.log" 2>&1; then
  echo "FAIL: systemd-analyze verify failed:"; cat "$tmp/verify.log"; exit 1
fi
# verify exits 0 on unknown keys and bad values (it only warns): any output
# that names our units is a failure.
if grep -q "inferd\.s" "$tmp/verify.log"; then
  echo "FAIL: systemd-analyze verify complained:"; cat "$tmp/verify.log"; exit 1
fi
echo "systemd-analyze verify: ok"

# The exposure score of the unit as installed (lower is better; 10 is an
# unconfined service). The issue's bar: 1.0.
if systemd-analyze security --offline=yes "$tmp/inferd.service" > "$tmp/security.log" 2>&1; then :; fi
score=$(sed -n 's/.*Overall exposure level for inferd.service: \([0-9.]*\).*/\1/p' "$tmp/security.log")
if [ -z "$score" ]; then
  echo "FAIL: no exposure score from systemd-analyze security:"; cat "$tmp/security.log"; exit 1
fi
echo "systemd-analyze security: exposure $score"
awk -v s="$score" 'BEGIN { exit !(s <= 1.0) }' || {
  echo "FAIL: exposure $score is above 1.0:"; grep '✗' "$tmp/security.log"; exit 1; }

if command -v systemd-tmpfiles >/dev/null 2>&1; then
  mkdir -p "$tmp/troot/etc"
  printf 'inferd:x:990:990::/var/lib/inferd:/usr/sbin/nologin\n' > "$tmp/troot/etc/passwd"
  printf 'inferd:x:990:\n' > "$tmp/troot/etc/group"
  if ! systemd-tmpfiles --root="$tmp/troot" --create "$tmpfiles" > "$tmp/tmpfiles.log" 2>&1; then
    echo "FAIL: systemd-tmpfiles rejected $tmpfiles:"; cat "$tmp/tmpfiles.log"; exit 1
  fi
  [ -d "$tmp/troot/var/lib/inferd/models" ] || { echo "FAIL: tmpfiles made no model folder"; exit 1; }
  echo "systemd-tmpfiles: ok"
fi

if command -v systemd-sysusers >/dev/null 2>&1; then
  mkdir -p "$tmp/root/etc"
  conf=$(cd "$(dirname "$sysusers")" && pwd)/$(basename "$sysusers")
  if ! systemd-sysusers --root="$tmp/root" --dry-run "$conf" > "$tmp/sysusers.log" 2>&1; then
    echo "FAIL: systemd-sysusers rejected $sysusers:"; cat "$tmp/sysusers.log"; exit 1
  fi
  grep -q "user 'inferd'" "$tmp/sysusers.log" || { echo "FAIL: no user inferd:"; cat "$tmp/sysusers.log"; exit 1; }
  echo "systemd-sysusers: ok"
fi

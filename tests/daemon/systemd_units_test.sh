#!/bin/sh
# Checks the systemd units: `systemd-analyze verify` on the generated
# inferd.service (ExecStart pointed at the built inferd, since the install
# path may not exist yet) must print nothing, and systemd-sysusers must
# accept the sysusers file. Exit 77 (skipped) where the tools are missing.
# usage: systemd_units_test.sh UNIT SYSUSERS_CONF INFERD_BINARY
set -eu
unit=$1 sysusers=$2 inferd=$3
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not found: skipped"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/inferd-units-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The unit must carry what the daemon relies on.
for key in 'Type=notify' 'RuntimeDirectory=inferd' 'StateDirectory=inferd' 'ProtectSystem=strict' \
           'NoNewPrivileges=yes' 'User=inferd' 'ExecReload=/bin/kill -HUP $MAINPID'; do
  grep -qxF "$key" "$unit" || { echo "FAIL: $unit lacks '$key'"; exit 1; }
done
grep -q '^ExecStart=/.*/inferd --config /.*/inferd/inferd.conf$' "$unit" || {
  echo "FAIL: unexpected ExecStart in $unit"; grep '^ExecStart' "$unit"; exit 1; }

sed "s|^ExecStart=[^ ]*|ExecStart=$inferd|" "$unit" > "$tmp/inferd.service"
if ! systemd-analyze verify --man=no "$tmp/inferd.service" > "$tmp/verify.log" 2>&1; then
  echo "FAIL: systemd-analyze verify failed:"; cat "$tmp/verify.log"; exit 1
fi
# verify exits 0 on unknown keys and bad values (it only warns): any output
# that names our unit is a failure.
if grep -q "inferd.service" "$tmp/verify.log"; then
  echo "FAIL: systemd-analyze verify complained:"; cat "$tmp/verify.log"; exit 1
fi
echo "systemd-analyze verify: ok"

if command -v systemd-sysusers >/dev/null 2>&1; then
  mkdir -p "$tmp/root/etc"
  conf=$(cd "$(dirname "$sysusers")" && pwd)/$(basename "$sysusers")
  if ! systemd-sysusers --root="$tmp/root" --dry-run "$conf" > "$tmp/sysusers.log" 2>&1; then
    echo "FAIL: systemd-sysusers rejected $sysusers:"; cat "$tmp/sysusers.log"; exit 1
  fi
  grep -q "user 'inferd'" "$tmp/sysusers.log" || { echo "FAIL: no user inferd:"; cat "$tmp/sysusers.log"; exit 1; }
  echo "systemd-sysusers: ok"
fi

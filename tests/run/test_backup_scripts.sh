#!/usr/bin/env bash
# scripts/backup and scripts/restore on scripts/run's layout, as root with
# the binaries of the build under test: an instance with a CA and a
# certificate is backed up while it runs (0600, no KEK in it), stopped and
# deleted; scripts/restore without the KEK is refused, with it restores
# into a new data directory (new instance users); scripts/run starts it,
# the old admin token reads the old CA and certificate, and the CA issues.
# Everything it started is stopped, and its users and files removed, at exit.
set -euo pipefail

src=${EDGECA_TEST_SRC_DIR:?set by ctest}
bin=${EDGECA_TEST_BIN_DIR:?set by ctest}
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: test_backup_scripts needs root (scripts/run creates per-instance users)"
  exit 77
fi
. "$src/scripts/lib.sh"

work=$(mktemp -d /tmp/edgeca-bak.XXXXXX)
chmod 755 "$work"
A=$work/a B=$work/b run_pid=''
fail() { printf 'FAIL: %s\n' "$*" >&2; tail -n 25 "$work"/*.log >&2 || true; exit 1; }
stop_run() { # fails (1) when scripts/run had to be killed
  local stopped=0
  [ -n "$run_pid" ] || return 0
  kill -TERM "$run_pid" 2>/dev/null || true
  local end=$((SECONDS + 60))
  while kill -0 "$run_pid" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do sleep 0.2; done
  if kill -0 "$run_pid" 2>/dev/null; then
    printf 'scripts/run did not stop in 60 s after SIGTERM; killing it\n' >&2
    tail -n 25 "$work"/*.log >&2 || true
    kill -KILL "$run_pid" 2>/dev/null || true
    stopped=1
  fi
  wait "$run_pid" || true
  run_pid=''
  return "$stopped"
}
cleanup() {
  trap - EXIT INT TERM
  set +e
  stop_run
  remove_instance_users "$A" "$bin"
  remove_instance_users "$B" "$bin"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

read -r api est < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
env_of() { # DATA: scripts/run's environment for DATA
  echo EDGECA_DATA_DIR="$1" EDGECA_API_PORT="$api" EDGECA_EST_PORT="$est" \
    EDGECA_BIND_ADDRESS=127.0.0.1 EDGECA_PKI_HTTP_PORT=0 EDGECA_BUILD_DIR="$bin" \
    EDGECA_SKIP_BUILD=1
}
start_run() { # NAME DATA
  # shellcheck disable=SC2046
  env -u EDGECA_DATABASE_URL -u EDGECA_SIGNER_KEK_FILE -u EDGECA_SECRETS_KEY_FILE \
    $(env_of "$2") "$src/scripts/run" >>"$work/$1.log" 2>&1 &
  run_pid=$!
  local end=$((SECONDS + 120))
  until grep -qs '^edgeca is running' "$work/$1.log"; do
    kill -0 "$run_pid" 2>/dev/null || fail "$1: scripts/run exited before edgeca was ready"
    [ "$SECONDS" -lt "$end" ] || fail "$1: scripts/run did not report ready in 120 s"
    sleep 0.2
  done
}
api() { # DATA TOKEN PATH [curl args]: prints the HTTP status, body in $work/body
  local data=$1 token=$2 path=$3; shift 3
  curl -s -m 20 -o "$work/body" -w '%{http_code}' --cacert "$data/tls/ca.pem" \
    -H "Authorization: Bearer $token" "$@" "https://localhost:$api$path" || true
}
tool() { # DATA SCRIPT ARGS...: scripts/backup or scripts/restore on DATA,
  # given 180 s: one that hangs fails the test with its log, not ctest's timeout
  local data=$1 script=$2 rc=0; shift 2
  # shellcheck disable=SC2046
  env -u EDGECA_DATABASE_URL -u EDGECA_SIGNER_KEK_FILE $(env_of "$data") \
    timeout 180 "$src/scripts/$script" "$@" >>"$work/$script.log" 2>&1 || rc=$?
  [ "$rc" -ne 124 ] || fail "scripts/$script did not finish in 180 s"
  return "$rc"
}

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bak-device \
  -keyout "$work/device.key" -out "$work/device.csr" 2>/dev/null

start_run a "$A"
token=$(cat "$A/admin.token")
[ "$(api "$A" "$token" /api/v1/cas -H 'Content-Type: application/json' \
      -d '{"common_name": "Backed-up Root", "issuance": {"template": "client"}}')" = 201 ] \
  || fail "cannot create a CA"
ca=$(jq -r .id "$work/body")
[ "$(api "$A" "$token" "/api/v1/cas/$ca/certificates" -H 'Content-Type: application/pkcs10' \
      --data-binary @"$work/device.csr")" = 201 ] || fail "cannot issue"
serial=$(jq -r .serial_number "$work/body")

tool "$A" backup "$work/backup.tar.gz" || fail "scripts/backup of a running instance failed"
[ "$(stat -c %a "$work/backup.tar.gz")" = 600 ] || fail "the backup is not 0600"
tar -tzf "$work/backup.tar.gz" | grep -q kek && fail "the backup holds the KEK"
cp "$A/signer/kek" "$work/kek"
stop_run || fail "scripts/run did not stop on SIGTERM"
remove_instance_users "$A" "$bin"
rm -rf "$A"

tool "$B" restore "$work/backup.tar.gz" && fail "restore without a KEK was not refused"
tool "$B" restore "$work/backup.tar.gz" --kek "$work/kek" || fail "scripts/restore failed"
start_run b "$B"
[ "$(api "$B" "$token" "/api/v1/cas/$ca/certificates/$serial")" = 200 ] \
  || fail "the old certificate is not there after the restore"
[ "$(api "$B" "$token" "/api/v1/cas/$ca/certificates" -H 'Content-Type: application/pkcs10' \
      --data-binary @"$work/device.csr")" = 201 ] || fail "the restored CA does not issue"
echo "backup and restore with scripts/: ok"

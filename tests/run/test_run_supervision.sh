#!/usr/bin/env bash
# scripts/run as the service's supervisor, run as root against the binaries
# of the build under test (EDGECA_BUILD_DIR, EDGECA_SKIP_BUILD), on
# throw-away data directories and free ports:
#   - a listener certificate from another CA: the service is reported ready
#     and keeps serving;
#   - kill -9 of the signer, of the server, of PostgreSQL's postmaster:
#     each is restarted and issuance works again, nothing else restarted;
#   - a second scripts/run on the same data directory is refused;
#   - kill -9 of scripts/run: its children end with it where they can, and
#     the next run stops what is left (proved by its pid files, never a
#     process that merely has a recorded pid number), PostgreSQL cleanly;
#   - SIGTERM stops everything;
#   - data left by an earlier version's shared users is taken over;
#   - two instances run as different users, and one's server user is
#     refused by the other's signer socket and database.
# Everything it started is stopped, and its users and files removed, at exit.
set -euo pipefail

src=${EDGECA_TEST_SRC_DIR:?set by ctest}
bin=${EDGECA_TEST_BIN_DIR:?set by ctest}
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: test_run_supervision needs root (scripts/run creates per-instance users)"
  exit 77
fi
. "$src/scripts/lib.sh"

work=$(mktemp -d /tmp/edgeca-run.XXXXXX)
chmod 755 "$work"
A=$work/a B=$work/b
runs=() decoy='' instance_dirs=("$A" "$B") old_users=()

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
fail() {
  local f
  printf 'FAIL: %s\n' "$*" >&2
  for f in "$work"/*.log; do
    [ -f "$f" ] || continue
    printf -- '--- last lines of %s\n' "${f##*/}" >&2
    tail -n 25 "$f" >&2
  done
  exit 1
}

# ---- processes, read from /proc with shell builtins only ----------------
stat_of() { # PID: sets S (state), PP (parent), ST (start time), CM (name)
  local line f
  read -r line 2>/dev/null <"/proc/$1/stat" || return 1
  CM=${line#*(}; CM=${CM%)*}
  read -r -a f <<<"${line##*) }"
  S=${f[0]} PP=${f[1]} ST=${f[19]}
}
alive() { stat_of "$1" && [ "$S" != Z ] && [ "$S" != X ]; }
uid_of() { local k v; while read -r k v _; do [ "$k" = Uid: ] && { echo "$v"; return; }; done 2>/dev/null <"/proc/$1/status"; }
children() { # PPID NAME: the pids of PPID's children called NAME
  local d
  for d in /proc/[0-9]*; do
    stat_of "${d#/proc/}" || continue
    [ "$PP" = "$1" ] && [ "$CM" = "$2" ] && [ "$S" != Z ] && echo "${d#/proc/}"
  done
  return 0
}
procs_of_uid() { # UID: every live process of that uid
  local d
  for d in /proc/[0-9]*; do
    [ "$(uid_of "${d#/proc/}" 2>/dev/null)" = "$1" ] && alive "${d#/proc/}" && echo "${d#/proc/}"
  done
  return 0
}
child() { # RUN NAME: the one child NAME of scripts/run RUN, remembered for cleanup
  local p
  p=$(children "$1" "$2")
  [ -n "$p" ] && [ "$(wc -w <<<"$p")" -eq 1 ] || return 1
  remember "$p"
  echo "$p"
}
# remember PID: noted (with its start time) for the clean-up after a failure
remember() { stat_of "$1" && echo "$1 $ST" >>"$work/seen"; return 0; }
postmaster() { # DATA: the running postmaster's pid
  local p
  read -r p <"$1/pg/data/postmaster.pid" 2>/dev/null && alive "$p" && [ "$CM" = postgres ] || return 1
  remember "$p"
  echo "$p"
}
wait_until() { # SECONDS CMD...: polls CMD until it succeeds
  local end=$((SECONDS + $1)); shift
  until "$@"; do [ "$SECONDS" -lt "$end" ] || return 1; sleep 0.2; done
}

# ---- scripts/run -------------------------------------------------------
free_ports() { # N: N distinct free TCP ports of 127.0.0.1
  /usr/bin/python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}
start_run() { # NAME DATA API_PORT EST_PORT [VAR=VALUE...]: sets run_pid
  local name=$1 data=$2 api=$3 est=$4; shift 4
  env -u EDGECA_DATABASE_URL -u EDGECA_TLS_CERT -u EDGECA_TLS_KEY -u EDGECA_SIGNER_SOCKET \
    -u EDGECA_SECRETS_KEY_FILE -u EDGECA_PUBLIC_EST_URL \
    EDGECA_DATA_DIR="$data" EDGECA_API_PORT="$api" EDGECA_EST_PORT="$est" \
    EDGECA_BIND_ADDRESS=127.0.0.1 EDGECA_PUBLIC_URL="https://localhost:$api" \
    EDGECA_PKI_HTTP_PORT=0 EDGECA_BUILD_DIR="$bin" EDGECA_SKIP_BUILD=1 "$@" \
    "$src/scripts/run" >>"$work/$name.log" 2>&1 &
  run_pid=$!
  runs+=("$run_pid")
}
wait_ready() { # NAME RUN: until scripts/run prints that edgeca is running
  local end=$((SECONDS + 120))
  until grep -q '^edgeca is running' "$work/$1.log"; do
    alive "$2" || fail "$1: scripts/run exited before edgeca was ready"
    [ "$SECONDS" -lt "$end" ] || fail "$1: scripts/run did not report ready in 120 s"
    sleep 0.2
  done
}
users_of() { # DATA: its server, signer and PostgreSQL users
  local id
  id=$(cat "$1/instance-id") || return 1
  echo "edgeca-$id-server edgeca-$id-signer edgeca-$id-db"
}

# ---- REST --------------------------------------------------------------
api() { # DATA PORT CACERT PATH [curl args]: prints the HTTP status, body in $work/body
  local data=$1 port=$2 cacert=$3 path=$4; shift 4
  curl -s -m 20 -o "$work/body" -w '%{http_code}' --cacert "$cacert" \
    -H "Authorization: Bearer $(cat "$data/admin.token")" "$@" "https://localhost:$port$path" \
    || true
}
issue() { # DATA PORT CACERT CA: 201 when a certificate is issued
  [ "$(api "$1" "$2" "$3" "/api/v1/cas/$4/certificates" -H 'Content-Type: application/pkcs10' \
        --data-binary @"$work/device.csr")" = 201 ]
}
ready_at() { # PORT CACERT
  [ "$(curl -s -m 10 -o /dev/null -w '%{http_code}' --cacert "$2" "https://localhost:$1/readyz")" = 200 ]
}

cleanup() {
  local r p i d u start
  trap - EXIT INT TERM
  set +e
  for r in "${runs[@]}"; do kill -TERM "$r" 2>/dev/null; kill -CONT "$r" 2>/dev/null; done
  for r in "${runs[@]}"; do
    for ((i = 0; i < 300; i++)); do alive "$r" || break; sleep 0.2; done
    kill -KILL "$r" 2>/dev/null
  done
  [ -n "$decoy" ] && kill "$decoy" 2>/dev/null
  # Whatever is left (after a failure): the processes seen here, still the
  # same ones, and those of this test's own users.
  while read -r p start; do
    stat_of "$p" && [ "$ST" = "$start" ] && kill -KILL "$p" 2>/dev/null
  done < <(cat "$work/seen" 2>/dev/null)
  for d in "${instance_dirs[@]}"; do
    for u in $(users_of "$d" 2>/dev/null) "${old_users[@]}"; do
      id -u "$u" >/dev/null 2>&1 || continue
      for p in $(procs_of_uid "$(id -u "$u")"); do kill -KILL "$p" 2>/dev/null; done
    done
  done
  sleep 0.5
  for u in "${old_users[@]}"; do userdel "$u" >/dev/null 2>&1; done
  for d in "${instance_dirs[@]}"; do
    if declare -F remove_instance_users >/dev/null; then
      remove_instance_users "$d" "$bin"
    else
      for u in $(users_of "$d" 2>/dev/null); do userdel "$u" >/dev/null 2>&1; done
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

read -r -a ports <<<"$(free_ports 6)"
a_api=${ports[0]} a_est=${ports[1]} b_api=${ports[2]} b_est=${ports[3]}
x_api=${ports[4]} x_est=${ports[5]}

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=run-device \
  -keyout "$work/device.key" -out "$work/device.csr" 2>/dev/null

# ---- a listener certificate from another CA -----------------------------
ext=$work/ext
mkdir -p "$ext"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=Other-CA \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign \
  -keyout "$ext/ca.key" -out "$ext/ca.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
  -keyout "$ext/server.key" -out "$ext/server.csr" 2>/dev/null
openssl x509 -req -in "$ext/server.csr" -CA "$ext/ca.pem" -CAkey "$ext/ca.key" -CAcreateserial \
  -days 2 -out "$ext/server.pem" 2>/dev/null \
  -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n')
cat "$ext/server.pem" "$ext/ca.pem" >"$ext/chain.pem"
chmod 755 "$ext"
chmod 644 "$ext"/*   # the instance's server user, made by scripts/run, reads them
ext_env=(EDGECA_TLS_CERT="$ext/chain.pem" EDGECA_TLS_KEY="$ext/server.key")

log "A: first start, with a listener certificate from another CA"
start_run a "$A" "$a_api" "$a_est" "${ext_env[@]}"
runA=$run_pid
wait_ready a "$runA"
ready_at "$a_api" "$ext/ca.pem" || fail "A does not serve /readyz with the other CA's certificate"
code=$(api "$A" "$a_api" "$ext/ca.pem" /api/v1/cas -H 'Content-Type: application/json' \
  -d '{"common_name": "Run Test Root", "issuance": {"template": "client"}}')
[ "$code" = 201 ] || fail "cannot create a CA ($code): $(cat "$work/body")"
ca=$(jq -r .id "$work/body")
issue "$A" "$a_api" "$ext/ca.pem" "$ca" || fail "no issuance on A"

log "kill -9 of the signer"
sig1=$(child "$runA" edgeca-signer) || fail "A has no single signer child"
srv1=$(child "$runA" edgeca-server) || fail "A has no single server child"
kill -KILL "$sig1"
wait_until 30 eval 'sig2=$(child "$runA" edgeca-signer) && [ "$sig2" != "$sig1" ]' \
  || fail "the signer was not restarted"
wait_until 60 issue "$A" "$a_api" "$ext/ca.pem" "$ca" || fail "no issuance after the signer's restart"
[ "$(child "$runA" edgeca-server)" = "$srv1" ] \
  || fail "the server was restarted: its signer connections should have reconnected by themselves"
grep -q "edgeca-signer (pid $sig1) was killed by signal KILL" "$work/a.log" \
  || fail "the signer's end is not reported"

log "kill -9 of the server"
kill -KILL "$srv1"
wait_until 30 eval 'srv2=$(child "$runA" edgeca-server) && [ "$srv2" != "$srv1" ]' \
  || fail "the server was not restarted"
wait_until 60 ready_at "$a_api" "$ext/ca.pem" || fail "A is not ready after the server's restart"
issue "$A" "$a_api" "$ext/ca.pem" "$ca" || fail "no issuance after the server's restart"
[ "$(child "$runA" edgeca-signer)" = "$sig2" ] || fail "the signer was restarted with the server"
grep -q "edgeca-server (pid $srv1) was killed by signal KILL" "$work/a.log" \
  || fail "the server's end is not reported"

log "kill -9 of PostgreSQL's postmaster"
pm1=$(postmaster "$A") || fail "no postmaster for A"
kill -KILL "$pm1"
wait_until 60 eval 'pm2=$(postmaster "$A") && [ "$pm2" != "$pm1" ]' \
  || fail "PostgreSQL was not restarted"
wait_until 60 issue "$A" "$a_api" "$ext/ca.pem" "$ca" || fail "no issuance after PostgreSQL's restart"
grep -q "PostgreSQL (pid $pm1) is gone" "$work/a.log" || fail "PostgreSQL's end is not reported"

log "a second scripts/run on the same data directory"
start_run a-second "$A" "$x_api" "$x_est"
second=$run_pid
wait_until 60 eval '! alive "$second"' || fail "a second scripts/run on A's data directory keeps running"
st=0; wait "$second" || st=$?
[ "$st" -ne 0 ] || fail "a second scripts/run on A's data directory exited 0"
grep -q "another scripts/run (pid $runA) is running on $A" "$work/a-second.log" \
  || fail "the second scripts/run does not say why it refused"
[ "$(postmaster "$A")" = "$pm2" ] && ready_at "$a_api" "$ext/ca.pem" \
  || fail "the refused scripts/run disturbed the running one"

log "kill -9 of scripts/run itself"
sig=$(child "$runA" edgeca-signer) srv=$(child "$runA" edgeca-server) pm=$(postmaster "$A")
# A stopped server cannot act on its parent-death signal: it stays behind,
# as a process that does not end at once would.
kill -STOP "$srv"
kill -KILL "$runA"
wait "$runA" 2>/dev/null || true
wait_until 15 eval '! alive "$sig"' || fail "the signer did not end with scripts/run"
alive "$srv" && alive "$pm" || fail "the stopped server or PostgreSQL is gone already"
# A pid file whose pid number is now another process's: that one is left
# alone (the start time does not match).
sleep 600 &
decoy=$!
read -r _ start boot exe <"$A/supervisor/signer.pid" || fail "no pid file for the signer"
echo "$decoy $start $boot $exe" >"$A/supervisor/signer.pid"
start_run a2 "$A" "$a_api" "$a_est" "${ext_env[@]}"
runA2=$run_pid
wait_ready a2 "$runA2"
alive "$srv" && fail "the server left by the killed scripts/run still runs"
alive "$pm" && fail "the PostgreSQL left by the killed scripts/run still runs"
alive "$decoy" || fail "a process named by a stale pid number was killed"
grep -q "stopping edgeca-server (pid $srv) left running by an earlier run" "$work/a2.log" \
  || fail "the leftover server is not reported"
grep 'database system was' "$A/pg/postgresql.log" | tail -n 1 | grep -q 'was shut down at' \
  || fail "the leftover PostgreSQL was not shut down cleanly"
read -r -a a_users <<<"$(users_of "$A")"
for u in "${a_users[@]}"; do
  for p in $(procs_of_uid "$(id -u "$u")"); do
    stat_of "$p" || continue
    case $CM in
      edgeca-server | edgeca-signer) [ "$PP" = "$runA2" ] || fail "$CM $p of A is not the new run's" ;;
      postgres) [ "$p" = "$(postmaster "$A")" ] || [ "$PP" = "$(postmaster "$A")" ] \
        || fail "postgres $p of A is not the new cluster's" ;;
    esac
  done
done
issue "$A" "$a_api" "$ext/ca.pem" "$ca" || fail "no issuance after the restart of scripts/run"

log "SIGTERM stops everything"
kill -TERM "$runA2"
wait_until 60 eval '! alive "$runA2"' || fail "scripts/run did not stop on SIGTERM"
st=0; wait "$runA2" || st=$?
[ "$st" -eq 143 ] || fail "scripts/run ended with status $st on SIGTERM"
for u in "${a_users[@]}"; do
  [ -z "$(procs_of_uid "$(id -u "$u")")" ] || fail "a process of $u outlived scripts/run"
done
[ ! -e "$A/pg/data/postmaster.pid" ] || fail "PostgreSQL was not stopped"

log "data of an earlier version's shared users is taken over; B starts beside A"
ensure_users   # edgeca, edgeca-signer and edgeca-db, as earlier versions had them
old_users=("${a_users[@]}")
chown -R edgeca-signer: "$A/signer"
chown -R edgeca-db: "$A/pg"
chown -R edgeca: "$A/run" "$A/tls" "$A/secrets.key"
printf 'admins root edgeca_admin\nadmins edgeca-db edgeca_admin\napps root edgeca\napps edgeca edgeca\n' \
  >"$A/pg/data/pg_ident.conf"
rm -f "$A/instance-id"
start_run a3 "$A" "$a_api" "$a_est"
runA3=$run_pid
start_run b "$B" "$b_api" "$b_est"
runB=$run_pid
wait_ready a3 "$runA3"
wait_ready b "$runB"
read -r -a a_users <<<"$(users_of "$A")"
read -r -a b_users <<<"$(users_of "$B")"
[ "${a_users[0]}" != "${old_users[0]}" ] || fail "no new instance id for A"
[ "$(stat -c %U "$A/signer/kek")" = "${a_users[1]}" ] && [ "$(stat -c %U "$A/pg/data")" = "${a_users[2]}" ] \
  && [ "$(stat -c %U "$A/secrets.key")" = "${a_users[0]}" ] && [ "$(stat -c %U "$A/run")" = "${a_users[0]}" ] \
  || fail "A's files were not taken over by its users"
[ "$(api "$A" "$a_api" "$A/tls/ca.pem" "/api/v1/cas/$ca")" = 200 ] || fail "A's CA is gone"
issue "$A" "$a_api" "$A/tls/ca.pem" "$ca" || fail "no issuance on A after the take-over"
[ "$(api "$A" "$a_api" "$A/tls/ca.pem" "/api/v1/cas/$ca/certificates")" = 200 ] \
  && [ "$(jq '.items | length' "$work/body")" -ge 5 ] || fail "A's certificates are gone"

log "A and B are isolated from each other"
uids=()
for d in "$A:$runA3" "$B:$runB"; do
  r=${d#*:}
  uids+=("$(uid_of "$(child "$r" edgeca-server)")" "$(uid_of "$(child "$r" edgeca-signer)")"
         "$(uid_of "$(postmaster "${d%%:*}")")")
done
[ "$(printf '%s\n' "${uids[@]}" | sort -u | wc -l)" -eq 6 ] \
  || fail "the servers, signers and PostgreSQL clusters of A and B do not run as six users: ${uids[*]}"
as_uid() { # USER CMD...: CMD as USER, from /
  (cd / && setpriv --reuid="$1" --regid="$1" --init-groups -- "${@:2}")
}
connect='import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])'
as_uid "${b_users[0]}" /usr/bin/python3 -c "$connect" "$B/run/signer.sock" \
  || fail "B's server user cannot reach B's signer (the check itself is broken)"
as_uid "${a_users[0]}" /usr/bin/python3 -c "$connect" "$B/run/signer.sock" 2>/dev/null \
  && fail "A's server user reaches B's signer socket"
db_b="host=$B/pg/run dbname=edgeca user=$EDGECA_DB_APP"
as_uid "${b_users[0]}" psql -X -w -tA "$db_b" -c 'SELECT 1' >/dev/null \
  || fail "B's server user cannot use B's database (the check itself is broken)"
as_uid "${a_users[0]}" psql -X -w -tA "$db_b" -c 'SELECT 1' >/dev/null 2>&1 \
  && fail "A's server user may use B's database"
as_uid "${a_users[0]}" psql -X -w -tA "host=$B/pg/run dbname=edgeca user=$EDGECA_DB_ADMIN" \
  -c 'SELECT 1' >/dev/null 2>&1 && fail "A's server user may act as B's admin role"

log "passed"

# Sourced by the benchmarks: a private edgeca instance (PostgreSQL cluster,
# signer, server) under a temporary directory removed at exit (kept, with
# its logs, when BENCH_KEEP is set), started as scripts/run starts one: as
# root, as users of its own (instance_users), deleted at exit.
# Callers set build_dir, then call bench_instance_start; they may define
# bench_cleanup_extra to stop their own processes first, and bench_pg_ready
# to configure PostgreSQL once migrated, before the server connects.
# Provides: work, pg, api, token, server_pid, signer_pid, free_port, stop_pid, sql,
# stored_rows, wait_https, rest, bench_machine_line.
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

work=$(mktemp -d /tmp/edgeca-bench.XXXXXX)
pg=$work/pg
pg_started='' signer_pid='' server_pid=''

# stop_pid PID: TERM and reap. A process killed by the signal makes wait
# fail, which must not end the script (set -e) before the rest is stopped.
stop_pid() {
  [ -n "$1" ] || return 0
  kill -TERM "$1" 2>/dev/null || return 0
  wait "$1" 2>/dev/null || true
}
bench_cleanup() {
  trap - EXIT INT TERM
  if declare -F bench_cleanup_extra >/dev/null; then bench_cleanup_extra; fi
  stop_pid "$server_pid"
  stop_pid "$signer_pid"
  [ -n "$pg_started" ] && pg_stop "$pg"
  remove_instance_users "$work" "${build_dir:-}"
  if [ -n "${BENCH_KEEP:-}" ]; then say "kept $work (logs in $work/log)"; else rm -rf "$work"; fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
instance_users "$work"

# free_port VAR: a free TCP port, far from the development ports 8443/8444
# and from the ports already handed out, and below the range the kernel
# gives client connections: after a benchmark's hundreds of thousands of
# connections, a port of that range may still be held by one (in
# TIME_WAIT), and a listener could not bind it.
taken=" "
read -r ephemeral_low _ </proc/sys/net/ipv4/ip_local_port_range
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % (ephemeral_low > 21000 ? ephemeral_low - 20000 : 1000)))
    [[ $taken == *" $p "* ]] && continue
    ss -Htln "sport = :$p" | grep -q . && continue
    taken+="$p "
    printf -v "$1" '%s' "$p"
    return
  done
}

sql() { psql -X -tA -v ON_ERROR_STOP=1 "$(pg_admin_url "$pg" "$1")" -c "$2"; } # DB SQL, as admin

# stored_rows DB QUERY: the row count once in-flight requests have settled.
stored_rows() {
  local a b
  b=$(sql "$1" "$2")
  while :; do sleep 0.5; a=$b; b=$(sql "$1" "$2"); [ "$a" = "$b" ] && break; done
  printf '%s\n' "$b"
}

wait_https() { # URL PID [-f]: waits until URL answers over TLS (with -f: 2xx)
  local i
  for ((i = 0; i < 600; i++)); do
    curl -sko /dev/null ${3:+"$3"} "$1" && return 0
    kill -0 "$2" 2>/dev/null || die "the process behind $1 exited during start-up"
    sleep 0.1
  done
  die "nothing answers at $1 after 60 s"
}

# bench_instance_start: PostgreSQL, signer and server as scripts/run
# starts them, on free ports of 127.0.0.1; an admin token in $token.
bench_instance_start() {
  local server=${build_dir:?}/edgeca-server signer_args
  chmod 755 "$work"
  mkdir -p "$work/log"
  owned_dir "$EDGECA_SERVER_USER" 700 "$work/run"
  owned_dir "$EDGECA_SERVER_USER" 755 "$work/tls"
  ensure_secrets_key "$work"
  if is_root; then
    ensure_traversable "$EDGECA_SERVER_USER" "$build_dir"
    ensure_traversable "$EDGECA_PG_USER" "$(pg_bindir)"
  fi
  free_port EDGECA_API_PORT
  free_port EDGECA_EST_PORT
  free_port EDGECA_PKI_HTTP_PORT
  # Devices reach EST by address: estload, like them, names the host it
  # connects to.
  export EDGECA_DATA_DIR=$work EDGECA_API_PORT EDGECA_EST_PORT EDGECA_PKI_HTTP_PORT \
    EDGECA_BIND_ADDRESS=127.0.0.1 \
    EDGECA_PUBLIC_EST_URL=https://127.0.0.1:$EDGECA_EST_PORT
  unset EDGECA_DATABASE_URL EDGECA_TLS_CERT EDGECA_TLS_KEY EDGECA_SIGNER_SOCKET EDGECA_PUBLIC_URL \
    EDGECA_SECRETS_KEY_FILE
  api=https://127.0.0.1:$EDGECA_API_PORT

  pg_started=1
  pg_setup "$pg"
  pg_create_db "$pg" edgeca
  EDGECA_DATABASE_URL=$(pg_admin_url "$pg" edgeca) EDGECA_DB_APP_ROLE=$EDGECA_DB_APP \
    "$server" migrate 2>>"$work/log/server.log"
  if declare -F bench_pg_ready >/dev/null; then bench_pg_ready; fi

  signer_args=(--state-dir "$work/signer" --socket "$work/run/signer.sock")
  # BENCH_KEY_STORE=pkcs11: CA keys in a SoftHSM2 token made for the run
  if [ "${BENCH_KEY_STORE:-sealed}" = pkcs11 ]; then
    mkdir -p "$work/token/objects"
    printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
      "$work/token/objects" >"$work/token/softhsm2.conf"
    export SOFTHSM2_CONF=$work/token/softhsm2.conf
    softhsm2-util --init-token --free --label edgeca-bench --pin 2468 --so-pin 1357 >/dev/null
    printf '2468' >"$work/token/pin"
    chmod 600 "$work/token/pin"
    if is_root; then
      chown -R "$EDGECA_SIGNER_USER:" "$work/token"
      ensure_traversable "$EDGECA_SIGNER_USER" "$work/token"
    fi
    signer_args+=(--key-store pkcs11 --pkcs11-module /usr/lib/softhsm/libsofthsm2.so
                  --pkcs11-token-label edgeca-bench --pkcs11-pin-file "$work/token/pin")
  fi
  if is_root; then
    signer_args+=(--user "$EDGECA_SIGNER_USER" --allow-uid "$(id -u "$EDGECA_SERVER_USER")")
  fi
  setpriv --pdeathsig=TERM -- "$build_dir/edgeca-signer" "${signer_args[@]}" 2>"$work/log/signer.log" &
  signer_pid=$!
  wait_for_socket "$work/run/signer.sock" 30 || die "the signer did not start"
  "$server" token create --role pki_admin --name bench --output "$work/admin.token" \
    2>>"$work/log/server.log"
  as_user_bg "$EDGECA_SERVER_USER" "$server" serve 2>>"$work/log/server.log"
  server_pid=$!
  wait_https "$api/readyz" "$server_pid" -f
  token=$(cat "$work/admin.token")
}

rest() { # PATH [curl args...]: an authenticated REST call, the body on stdout
  local path=$1; shift
  curl -sf --cacert "$work/tls/ca.pem" -H "Authorization: Bearer $token" "$@" "$api$path"
}

# bench_machine_line: when, CPUs, memory, Debian and PostgreSQL versions,
# and how durable PostgreSQL's commits are (every issuance is one).
bench_machine_line() {
  local pg_settings
  pg_settings=$(sql edgeca "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name)
    FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method')")
  printf '%s, %s CPUs (%s), %s GiB RAM, Debian %s, PostgreSQL %s (%s)\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
    "$(awk '/^MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)" \
    "$(cat /etc/debian_version)" "$(sql edgeca 'SHOW server_version' | cut -d' ' -f1)" \
    "$pg_settings"
}

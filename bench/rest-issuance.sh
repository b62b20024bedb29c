#!/usr/bin/env bash
# Measures REST issuance throughput of edgeca (HTTPS, keep-alive, EC P-256
# CA, every certificate stored in PostgreSQL) and, in the same run, of
# `cfssl serve` signing the same CSR, without and with its PostgreSQL
# certificate database. Everything runs on a private instance under a
# temporary directory that is removed at exit; see docs/benchmarks.md.
#
# Environment: BENCH_CONNECTIONS ("4 16 64"), BENCH_THREADS (2, wrk
# threads), BENCH_DURATION (15s per level), BENCH_WARMUP (3s),
# BENCH_SYSTEMS ("edgeca cfssl cfssl-db"), BENCH_BUILD_DIR (bench/.build),
# BENCH_KEEP (1: keep the work directory and its logs), BENCH_KEY_STORE
# (sealed, or pkcs11: the CA key in a SoftHSM2 token made for the run),
# BENCH_METRICS (1: edgeca is measured twice in the run, as "edgeca"
# without metrics or access log (text logs, EDGECA_ACCESS_LOG=off) and as
# "edgeca-metrics" restarted with EDGECA_METRICS_LISTEN set, /metrics
# scraped every BENCH_SCRAPE_INTERVAL seconds (5), EDGECA_LOG_FORMAT=json
# and the access log on; the report compares the two);
# EDGECA_HTTP_THREADS, EDGECA_DB_POOL_SIZE, EDGECA_SIGNER_POOL_SIZE and
# EDGECA_LOG_LEVEL reach the server unchanged.
set -euo pipefail
. "$(dirname "$0")/instance.sh"

conns=${BENCH_CONNECTIONS:-4 16 64}
threads=${BENCH_THREADS:-2}
duration=${BENCH_DURATION:-15s}
warmup=${BENCH_WARMUP:-3s}
systems=${BENCH_SYSTEMS:-edgeca cfssl cfssl-db}
build_dir=${BENCH_BUILD_DIR:-$EDGECA_ROOT/bench/.build}
lua=$EDGECA_ROOT/bench/post-csr.lua
scrape_interval=${BENCH_SCRAPE_INTERVAL:-5}
if [ "${BENCH_METRICS:-}" = 1 ]; then
  systems=$(printf ' %s ' "$systems" | sed 's/ edgeca / edgeca edgeca-metrics /')
fi

install_packages "${RUNTIME_PACKAGES[@]}" wrk golang-cfssl
build "$build_dir"
ensure_users

results=$work/results
# cfssl runs as the server's user.
owned_dir "$EDGECA_SERVER_USER" 700 "$work/cfssl"
cfssl_pid='' scraper_pid=''
bench_cleanup_extra() { stop_pid "$cfssl_pid"; stop_pid "$scraper_pid"; }

# restart_server [METRICS_ADDRESS]: the server again, with
# EDGECA_METRICS_LISTEN set to the address, JSON logs and the access log
# (none: no metrics, text logs, no access log).
restart_server() {
  stop_pid "$server_pid"
  if [ -n "${1:-}" ]; then
    export EDGECA_METRICS_LISTEN=$1 EDGECA_LOG_FORMAT=json EDGECA_ACCESS_LOG=on
  else
    unset EDGECA_METRICS_LISTEN
    export EDGECA_LOG_FORMAT=text EDGECA_ACCESS_LOG=off
  fi
  as_user_bg "$EDGECA_SERVER_USER" "$build_dir/edgeca-server" serve 2>>"$work/log/server.log"
  server_pid=$!
  wait_https "$api/readyz" "$server_pid" -f
}

# start_scraper URL: GET URL every scrape_interval seconds, as Prometheus
# would, until stopped; every page is kept in $work/scrapes/<time>.prom
# (docs/grafana/render-panels.py draws the dashboard's panels from them).
start_scraper() {
  mkdir -p "$work/scrapes"
  ( while sleep "$scrape_interval"; do
      curl -sf -o "$work/scrapes/$(date +%s.%N).prom" "$1" || echo "scrape failed" >&2
    done ) &
  scraper_pid=$!
}

# measure SYSTEM URL BODY CONTENT-TYPE STATUS TOKEN DB QUERY: a warm-up,
# then wrk at each concurrency level; DB/QUERY count the stored rows
# (empty DB: nothing is stored).
measure() {
  local system=$1 url=$2 db=$7 query=$8 c t before after line stored check
  export BENCH_BODY=$3 BENCH_CONTENT_TYPE=$4 BENCH_STATUS=$5 BENCH_TOKEN=$6
  say "$system: warm-up $warmup"
  wrk -t1 -c4 -d "$warmup" --timeout 10s -s "$lua" "$url" >/dev/null
  for c in $conns; do
    t=$((threads < c ? threads : c))
    before=0 stored=-
    [ -n "$db" ] && before=$(stored_rows "$db" "$query")
    say "$system: $c connections, $t threads, $duration"
    wrk -t "$t" -c "$c" -d "$duration" --timeout 10s -s "$lua" "$url" >"$work/wrk.out" \
      || { cat "$work/wrk.out" >&2; die "wrk failed"; }
    line=$(grep '^BENCH ' "$work/wrk.out") || { cat "$work/wrk.out" >&2; die "no wrk result"; }
    local rps p50_ms p99_ms ok unexpected non2xx sockerr
    eval "${line#BENCH }" # fields written by post-csr.lua: name=number
    check=ok
    [ "$unexpected" -eq 0 ] && [ "$non2xx" -eq 0 ] && [ "$sockerr" -eq 0 ] || check=FAIL
    if [ -n "$db" ]; then
      after=$(stored_rows "$db" "$query")
      stored=$((after - before))
      # Requests still in flight when wrk stops are stored but not
      # counted by wrk: at most one per connection.
      [ "$stored" -ge "$ok" ] && [ "$stored" -le $((ok + c)) ] || check=FAIL
    fi
    printf '%s %s %s %s %s %s %s %s %s\n' "$system" "$c" "$rps" "$p50_ms" "$p99_ms" "$ok" \
      "$stored" "$((unexpected + sockerr))" "$check" >>"$results"
    say "$system c=$c: $rps req/s, p50 $p50_ms ms, p99 $p99_ms ms, ok $ok, stored $stored: $check"
  done
}

# --- the private instance: PostgreSQL, signer, server (as scripts/run) ---
bench_instance_start

# --- the CA and the CSR every request sends ---
ca_id=$(rest /api/v1/cas -H 'Content-Type: application/json' \
  -d '{"common_name": "Bench Root", "key_algorithm": "EC-P256", "issuance": {"template": "client"}}' \
  | jq -r .id) || die "cannot create the CA"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench-device \
  -keyout "$work/device.key" -out "$work/device.csr" 2>/dev/null
jq -n --rawfile csr "$work/device.csr" '{certificate_request: $csr}' >"$work/cfssl-body.json"

# --- cfssl: EC P-256 CA made by cfssl, TLS listener, PostgreSQL certdb ---
cf=$work/cfssl
echo '{"CN": "Bench cfssl Root", "key": {"algo": "ecdsa", "size": 256}}' \
  | cfssl gencert -initca - 2>/dev/null | cfssljson -bare "$cf/ca"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$cf/tls.key" -out "$cf/tls.pem" 2>/dev/null
# Like edgeca's "client" template: clientAuth, one year.
echo '{"signing": {"default": {"usages": ["digital signature", "client auth"], "expiry": "8760h"}}}' \
  >"$cf/config.json"
printf '{"driver": "postgres", "data_source": "host=%s dbname=cfssl user=%s sslmode=disable"}\n' \
  "$pg/run" "$EDGECA_DB_APP" >"$cf/db.json"
is_root && chown -R "$EDGECA_SERVER_USER:" "$cf"
# cfssl's own schema (certdb/pg/migrations/001_CreateCertificates.sql),
# used through the same role as edgeca's server.
pg_create_db "$pg" cfssl
sql cfssl "CREATE TABLE certificates (serial_number bytea NOT NULL,
  authority_key_identifier bytea NOT NULL, ca_label bytea, status bytea NOT NULL,
  reason int, expiry timestamptz, revoked_at timestamptz, pem bytea NOT NULL,
  PRIMARY KEY (serial_number, authority_key_identifier));
  CREATE TABLE ocsp_responses (serial_number bytea NOT NULL,
  authority_key_identifier bytea NOT NULL, body bytea NOT NULL, expiry timestamptz,
  PRIMARY KEY (serial_number, authority_key_identifier),
  FOREIGN KEY (serial_number, authority_key_identifier)
    REFERENCES certificates (serial_number, authority_key_identifier));
  GRANT SELECT, INSERT, UPDATE ON certificates, ocsp_responses TO $EDGECA_DB_APP;" >/dev/null

start_cfssl() { # extra cfssl serve arguments
  local port
  free_port port
  as_user_bg "$EDGECA_SERVER_USER" cfssl serve -address 127.0.0.1 -port "$port" -ca "$cf/ca.pem" \
    -ca-key "$cf/ca-key.pem" -config "$cf/config.json" -tls-cert "$cf/tls.pem" \
    -tls-key "$cf/tls.key" "$@" 2>>"$work/log/cfssl.log"
  cfssl_pid=$!
  cfssl_url=https://127.0.0.1:$port/api/v1/cfssl/sign
  wait_https "https://127.0.0.1:$port/" "$cfssl_pid"
}

# --- the runs ---
: >"$results"
for system in $systems; do
  case $system in
  edgeca)
    [ "${BENCH_METRICS:-}" != 1 ] || restart_server
    measure edgeca "$api/api/v1/cas/$ca_id/certificates" "$work/device.csr" \
      application/pkcs10 201 "$token" edgeca \
      "SELECT count(*) FROM certificates WHERE ca_id = '$ca_id'" ;;
  edgeca-metrics)
    free_port metrics_port
    restart_server "127.0.0.1:$metrics_port"
    start_scraper "http://127.0.0.1:$metrics_port/metrics"
    measure edgeca-metrics "$api/api/v1/cas/$ca_id/certificates" "$work/device.csr" \
      application/pkcs10 201 "$token" edgeca \
      "SELECT count(*) FROM certificates WHERE ca_id = '$ca_id'"
    stop_pid "$scraper_pid"; scraper_pid=
    curl -sf "http://127.0.0.1:$metrics_port/metrics" >"$work/metrics.last" \
      || die "cannot scrape /metrics"
    say "edgeca-metrics: $(grep -c . "$work/metrics.last") lines in the last page; issued:"
    grep '^edgeca_certificates_issued_total' "$work/metrics.last" >&2 ;;
  cfssl)
    start_cfssl
    measure cfssl "$cfssl_url" "$work/cfssl-body.json" application/json 200 "" "" ""
    stop_pid "$cfssl_pid"; cfssl_pid= ;;
  cfssl-db)
    start_cfssl -db-config "$cf/db.json"
    measure cfssl-db "$cfssl_url" "$work/cfssl-body.json" application/json 200 "" cfssl \
      "SELECT count(*) FROM certificates"
    stop_pid "$cfssl_pid"; cfssl_pid= ;;
  *) die "BENCH_SYSTEMS: unknown system $system" ;;
  esac
done

# --- the report ---
echo
bench_machine_line
printf 'wrk %s threads, %s per level; edgeca HTTP threads %s, DB pool %s, signer pool %s\n\n' \
  "$threads" "$duration" "${EDGECA_HTTP_THREADS:-16}" \
  "${EDGECA_DB_POOL_SIZE:-${EDGECA_HTTP_THREADS:-16}}" \
  "${EDGECA_SIGNER_POOL_SIZE:-${EDGECA_HTTP_THREADS:-16}}"
{
  echo "| system | connections | requests/s | p50 ms | p99 ms | 2xx counted by wrk | rows stored | errors | check |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
  awk '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9}' \
    "$results"
}
# with BENCH_METRICS=1: what metrics cost, per concurrency level
if grep -q '^edgeca-metrics ' "$results"; then
  echo
  echo "| connections | edgeca req/s | with metrics req/s | change |"
  echo "|---:|---:|---:|---:|"
  awk '$1 == "edgeca" {base[$2] = $3} $1 == "edgeca-metrics" {with[$2] = $3; order[++n] = $2}
       END {for (i = 1; i <= n; i++) { c = order[i]
              change = base[c] > 0 ? 100 * (with[c] - base[c]) / base[c] : 0
              printf "| %s | %s | %s | %+.1f %% |\n", c, base[c], with[c], change }}' "$results"
fi
! grep -q ' FAIL$' "$results" || die "some runs lost or refused requests (check column)"

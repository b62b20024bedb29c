#!/usr/bin/env bash
# Measures EST enrollment throughput of edgeca as a fleet makes it: every
# simpleenroll is a new TCP connection and a full TLS handshake with a
# client certificate (no session resumption), and every certificate is
# stored in PostgreSQL. In the same run, the same load generator measures a
# bare nginx that verifies the same client certificate against the same CA
# with the same server certificate, reads the request and answers 200: the
# ceiling the transport sets on this machine. Everything runs on a private
# instance under a temporary directory that is removed at exit; see
# docs/benchmarks.md.
#
# Environment: BENCH_THREADS_LEVELS ("4 16 32", estload threads),
# BENCH_DURATION (15 s per level), BENCH_WARMUP (3 s), BENCH_SYSTEMS
# ("nginx edgeca"; edgeca-cacerts adds GET cacerts with the same client
# certificate: the handshake without issuance; nginx-edgeca enrolls through
# an nginx that terminates TLS and forwards the client certificate, as the
# docs/est.md sets it up), BENCH_BUILD_DIR, BENCH_ESTLOAD_SRC
# (../shared/bench/estload.c), BENCH_KEEP (1: keep the work directory and
# its logs); EDGECA_EST_THREADS, EDGECA_HTTP_THREADS, EDGECA_DB_POOL_SIZE,
# EDGECA_SIGNER_POOL_SIZE and EDGECA_LOG_LEVEL reach the server unchanged.
set -euo pipefail
. "$(dirname "$0")/instance.sh"

levels=${BENCH_THREADS_LEVELS:-4 16 32}
duration=${BENCH_DURATION:-15}
warmup=${BENCH_WARMUP:-3}
systems=${BENCH_SYSTEMS:-nginx edgeca}
build_dir=${BENCH_BUILD_DIR:-$EDGECA_ROOT/bench/.build}
estload_src=${BENCH_ESTLOAD_SRC:-$EDGECA_ROOT/../shared/bench/estload.c}

# Seconds, as estload takes them; "15s" as rest-issuance.sh takes them.
duration=${duration%s} warmup=${warmup%s}
[[ $duration =~ ^[0-9]+$ && $duration -gt 0 ]] || die "BENCH_DURATION: whole seconds, not $duration"
[[ $warmup =~ ^[0-9]+$ ]] || die "BENCH_WARMUP: whole seconds, not $warmup"
for t in $levels; do
  [[ $t =~ ^[0-9]+$ && $t -ge 1 && $t -le 256 ]] \
    || die "BENCH_THREADS_LEVELS: $t is not 1-256 (estload's limit)"
done
for system in $systems; do
  case $system in
  nginx | edgeca | edgeca-cacerts | nginx-edgeca) ;;
  *) die "BENCH_SYSTEMS: unknown system $system" ;;
  esac
done
[ -f "$estload_src" ] || die "estload source not found: $estload_src (set BENCH_ESTLOAD_SRC)"

install_packages "${RUNTIME_PACKAGES[@]}" nginx-light
build "$build_dir"
estload=$build_dir/estload
cc -O2 -pthread -o "$estload" "$estload_src" -lssl -lcrypto || die "cannot compile $estload_src"
ensure_users

ng=$work/nginx
results=$work/results
# nginx runs as the server's user, uses the server's TLS identity and
# writes its log next to the server's.
mkdir -p "$work/log" "$work/estload"
owned_dir "$EDGECA_SERVER_USER" 700 "$ng"
if is_root; then chown "$EDGECA_SERVER_USER:" "$work/log"; fi
nginx_pid=''
bench_cleanup_extra() { stop_pid "$nginx_pid"; }

# run_estload NAME URL THREADS SECONDS: one estload run; sets ok, failed,
# rate, p50 and p99 from its summary line. Its stderr (the first response,
# the first failures) stays in $work/estload/NAME.err.
run_estload() {
  local name=$1 url=$2 out=$work/estload/$1.out err=$work/estload/$1.err
  local re='^ok=([0-9]+) failed=([0-9]+) seconds=[0-9.]+ rate=([0-9.]+)/s '
  re+='p50=([0-9.]+)ms p99=([0-9.]+)ms$'
  # Exit status 1 means every request failed: the summary says so too.
  local body=(-r "$work/enroll.csr")
  [[ $url == */cacerts ]] && body=() # a GET: the handshake and a read, no issuance
  "$estload" -u "$url" -C "$work/tls/ca.pem" -c "$work/device.pem" -k "$work/device.key" \
    "${body[@]}" -t "$3" -d "$4" >"$out" 2>"$err" || true
  [[ $(tail -n 1 "$out") =~ $re ]] || { cat "$out" "$err" >&2; die "$name: no estload result"; }
  ok=${BASH_REMATCH[1]} failed=${BASH_REMATCH[2]} rate=${BASH_REMATCH[3]}
  p50=${BASH_REMATCH[4]} p99=${BASH_REMATCH[5]}
}

# measure SYSTEM URL THREADS DB QUERY: one level; DB/QUERY count the
# stored rows (empty DB: nothing is stored).
measure() {
  local system=$1 url=$2 t=$3 db=$4 query=$5 before=0 after stored=- check=ok
  local ok failed rate p50 p99
  [ -n "$db" ] && before=$(stored_rows "$db" "$query")
  say "$system: $t threads, $duration s"
  run_estload "$system-$t" "$url" "$t" "$duration"
  [ "$failed" -eq 0 ] && [ "$ok" -gt 0 ] || check=FAIL
  if [ -n "$db" ]; then
    after=$(stored_rows "$db" "$query")
    stored=$((after - before))
    # estload waits for every request it started, so stored should equal
    # ok; a request whose answer was lost is stored but not counted: at
    # most one per thread.
    [ "$stored" -ge "$ok" ] && [ "$stored" -le $((ok + t)) ] || check=FAIL
  fi
  [ "$check" = ok ] || sed 's/^/    /' "$work/estload/$system-$t.err" >&2
  printf '%s %s %s %s %s %s %s %s %s\n' "$system" "$t" "$rate" "$p50" "$p99" "$ok" \
    "$stored" "$failed" "$check" >>"$results"
  say "$system t=$t: $rate/s, p50 $p50 ms, p99 $p99 ms, ok $ok, failed $failed, stored $stored: $check"
}

# warm_up SYSTEM URL: two threads for $warmup seconds; refuses to go on
# when the system does not enroll at all.
warm_up() {
  local ok failed rate p50 p99
  [ "$warmup" -gt 0 ] || return 0
  say "$1: warm-up $warmup s"
  run_estload "$1-warmup" "$2" 2 "$warmup"
  [ "$failed" -eq 0 ] && [ "$ok" -gt 0 ] && return 0
  cat "$work/estload/$1-warmup.err" >&2
  die "$1: warm-up failed ($ok ok, $failed failed)"
}

# --- the private instance: PostgreSQL, signer, server (as scripts/run) ---
# nginx-edgeca: nginx forwards from this address, which edgeca believes.
proxy_source=127.0.0.2
export EDGECA_EST_TRUSTED_PROXIES=$proxy_source
bench_instance_start

# --- the CA, the device's certificate and the CSR it enrolls with ---
# A CA whose template is "client" serves EST by default.
ca_id=$(rest /api/v1/cas -H 'Content-Type: application/json' \
  -d '{"common_name": "Bench Root", "key_algorithm": "EC-P256", "issuance": {"template": "client"}}' \
  | jq -r .id) || die "cannot create the CA"
rest "/api/v1/cas/$ca_id/certificate" -o "$work/ca.pem" || die "cannot fetch the CA certificate"
rest "/api/v1/cas/$ca_id/est" >"$work/est.json" || die "cannot read the CA's EST URLs"
jq -e .enabled "$work/est.json" >/dev/null || die "the CA does not serve EST: $(cat "$work/est.json")"
est_url=$(jq -r '.locations[0].url' "$work/est.json")/simpleenroll
est_path=/${est_url#https://*/}

# The device's identity, issued over REST; under the default subject
# policy (match_client_cert) it enrolls CSRs with its own CN.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench-device \
  -keyout "$work/device.key" -out "$work/device.csr" 2>/dev/null
jq -n --rawfile csr "$work/device.csr" '{csr: $csr, template: "client"}' \
  | rest "/api/v1/cas/$ca_id/certificates" -H 'Content-Type: application/json' -d @- \
  | jq -r .certificate_pem >"$work/device.pem" || die "cannot issue the device certificate"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench-device \
  -keyout "$work/enroll.key" -out "$work/enroll.csr" 2>/dev/null

# --- nginx: the same TLS identity and client CA, nothing behind it ---
nginx_workers=$(nproc)
# It reads the CSR before answering, as edgeca must: "return 200" would
# answer after the headers and never wait for the body. The module comes
# with nginx-light.
echo_module=/usr/lib/nginx/modules/ngx_http_echo_module.so
start_nginx() {
  local port proxy_port
  [ -z "$nginx_pid" ] || return 0
  free_port port
  free_port proxy_port
  mkdir -p "$ng/tmp"
  cp "$work/ca.pem" "$ng/client-ca.pem"
  [ -f "$echo_module" ] || die "nginx's echo module is missing: $echo_module (libnginx-mod-http-echo)"
  cat >"$ng/nginx.conf" <<CONF
load_module $echo_module;
worker_processes $nginx_workers;
pid $ng/nginx.pid;
error_log $work/log/nginx.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $ng/tmp/body;
    proxy_temp_path $ng/tmp/proxy;
    fastcgi_temp_path $ng/tmp/fastcgi;
    uwsgi_temp_path $ng/tmp/uwsgi;
    scgi_temp_path $ng/tmp/scgi;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $work/tls/server.pem;
        ssl_certificate_key $work/tls/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_verify_client on;
        ssl_client_certificate $ng/client-ca.pem;
        ssl_session_cache off;
        ssl_session_tickets off;
        location / { echo_read_request_body; echo ok; }
    }
    # edgeca behind nginx, as docs/est.md's reverse proxy set-up: nginx
    # terminates TLS, edgeca checks the forwarded certificate.
    upstream edgeca_est {
        server 127.0.0.1:$EDGECA_EST_PORT;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$proxy_port ssl;
        ssl_certificate $work/tls/server.pem;
        ssl_certificate_key $work/tls/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_verify_client optional_no_ca;
        ssl_session_cache off;
        ssl_session_tickets off;
        location / {
            proxy_pass https://edgeca_est;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-SSL-Client-Cert \$ssl_client_escaped_cert;
            proxy_bind $proxy_source;
            proxy_ssl_session_reuse on;
        }
    }
}
CONF
  is_root && chown -R "$EDGECA_SERVER_USER:" "$ng"
  as_user_bg "$EDGECA_SERVER_USER" nginx -p "$ng" -c "$ng/nginx.conf" -e "$work/log/nginx.log" \
    -g 'daemon off;'
  nginx_pid=$!
  nginx_url=https://127.0.0.1:$port$est_path
  proxied_url=https://127.0.0.1:$proxy_port$est_path
  wait_https "https://127.0.0.1:$port/" "$nginx_pid"
}

# --- the runs: each level on each system, one after the other ---
edgeca_query="SELECT count(*) FROM certificates WHERE ca_id = '$ca_id'"
: >"$results"
for system in $systems; do
  case $system in
  nginx) start_nginx; warm_up nginx "$nginx_url" ;;
  nginx-edgeca) start_nginx; warm_up nginx-edgeca "$proxied_url" ;;
  edgeca) warm_up edgeca "$est_url" ;;
  edgeca-cacerts) warm_up edgeca-cacerts "${est_url%/simpleenroll}/cacerts" ;;
  esac
done
for t in $levels; do
  for system in $systems; do
    case $system in
    nginx) measure nginx "$nginx_url" "$t" "" "" ;;
    edgeca) measure edgeca "$est_url" "$t" edgeca "$edgeca_query" ;;
    edgeca-cacerts) measure edgeca-cacerts "${est_url%/simpleenroll}/cacerts" "$t" "" "" ;;
    nginx-edgeca) measure nginx-edgeca "$proxied_url" "$t" edgeca "$edgeca_query" ;;
    esac
  done
done

# --- the report ---
echo
bench_machine_line
http_threads=${EDGECA_HTTP_THREADS:-16}
printf 'estload %s (sha256 of its source), %s, a new TLS handshake per enrollment, %s s per level; ' \
  "$(sha256sum "$estload_src" | cut -c1-12)" "$(openssl version | cut -d' ' -f1-2)" "$duration"
printf 'edgeca EST threads %s, DB pool %s, signer pool %s; %s, %s workers\n\n' \
  "${EDGECA_EST_THREADS:-$http_threads}" "${EDGECA_DB_POOL_SIZE:-$http_threads}" \
  "${EDGECA_SIGNER_POOL_SIZE:-$http_threads}" "$(nginx -v 2>&1 | sed 's|^nginx version: ||')" \
  "$nginx_workers"
{
  echo "| system | threads | enrollments/s | p50 ms | p99 ms | ok | rows stored | failed | check |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
  awk '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9}' \
    "$results"
}
# edgeca against the transport's ceiling, level by level (goal: 0.8 or more).
awk '$1 == "nginx" {n[$2] = $3} $1 == "edgeca" {e[$2] = $3; order[++k] = $2}
  END {
    for (i = 1; i <= k; i++) {
      t = order[i]
      if (!(t in n) || n[t] == 0) continue
      if (!head++) print "\n| threads | edgeca / nginx |\n|---:|---:|"
      printf "| %s | %.2f |\n", t, e[t] / n[t]
    }
  }' "$results"
! grep -q ' FAIL$' "$results" || die "some runs failed or lost enrollments (check column)"

#!/usr/bin/env bash
# Measures edgeca's OCSP responder on its plain-HTTP listener: cached
# answers to RFC 5019 GETs (no nonce) and nonce-bearing POSTs, each signed
# anew by the signer, and, in the same run, `openssl ocsp -index` answering
# the same POSTs for a parallel CA that openssl made itself (same key type,
# same number of certificates): single-process and with -multi 2. The load
# generator is bench/ocspload.c (built as bench_ocspload); it checks every
# answer (HTTP 200, successful, the certificate's status, the nonce) and,
# in a one-second pass before each measurement, the signatures too.
# Everything runs on a private instance under a temporary directory removed
# at exit; see docs/benchmarks.md ("OCSP").
#
# Environment: BENCH_CONNECTIONS ("16 64", ocspload connections per level),
# BENCH_DURATION (10 s per level), BENCH_WARMUP (2 s before each level,
# not counted), BENCH_CERTS (100 leaf certificates per CA), BENCH_KEY_ALG
# (p256, or rsa2048: the CAs' and the leaves' keys), BENCH_SYSTEMS
# ("edgeca-get edgeca-post openssl-post openssl-multi-post"; also
# openssl-get and openssl-multi-get), BENCH_BUILD_DIR (bench/.build),
# BENCH_KEEP (1: keep the work directory and its logs); EDGECA_HTTP_THREADS,
# EDGECA_SIGNER_POOL_SIZE, EDGECA_OCSP_CACHE_ENTRIES and EDGECA_LOG_LEVEL
# reach the server unchanged.
set -euo pipefail
. "$(dirname "$0")/instance.sh"

conns=${BENCH_CONNECTIONS:-16 64}
duration=${BENCH_DURATION:-10} warmup=${BENCH_WARMUP:-2}
ncerts=${BENCH_CERTS:-100}
key_alg=${BENCH_KEY_ALG:-p256}
systems=${BENCH_SYSTEMS:-edgeca-get edgeca-post openssl-post openssl-multi-post}
build_dir=${BENCH_BUILD_DIR:-$EDGECA_ROOT/bench/.build}

duration=${duration%s} warmup=${warmup%s}
[[ $duration =~ ^[0-9]+$ && $duration -gt 0 ]] || die "BENCH_DURATION: whole seconds, not $duration"
[[ $warmup =~ ^[0-9]+$ ]] || die "BENCH_WARMUP: whole seconds, not $warmup"
[[ $ncerts =~ ^[0-9]+$ && $ncerts -ge 1 && $ncerts -le 10000 ]] || die "BENCH_CERTS: 1-10000"
for c in $conns; do
  [[ $c =~ ^[0-9]+$ && $c -ge 1 && $c -le 1024 ]] || die "BENCH_CONNECTIONS: $c is not 1-1024"
done
case $key_alg in
p256) edgeca_alg=EC-P256 newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
rsa2048) edgeca_alg=RSA-2048 newkey=(-newkey rsa:2048) ;;
*) die "BENCH_KEY_ALG: p256 or rsa2048, not $key_alg" ;;
esac
for system in $systems; do
  case $system in
  edgeca-get | edgeca-post | openssl-get | openssl-post | openssl-multi-get | openssl-multi-post) ;;
  *) die "BENCH_SYSTEMS: unknown system $system" ;;
  esac
done

install_packages "${RUNTIME_PACKAGES[@]}" time
build "$build_dir"
cmake --build "$build_dir" --target bench_ocspload -- --no-print-directory >/dev/null \
  || die "cannot build bench_ocspload"
ocspload=$build_dir/tests/bench_ocspload
ensure_users

results=$work/results
openssl_pid=''
# openssl ocsp -multi forks its responders into a process group of its own
# and only notices TERM once a child has exited: the group gets it.
stop_openssl() {
  [ -n "$openssl_pid" ] || return 0
  kill -TERM -- "-$openssl_pid" 2>/dev/null || true
  stop_pid "$openssl_pid"
  openssl_pid=''
}
bench_cleanup_extra() { stop_openssl; }

# --- the private instance, its plain-HTTP listener on the free port
# bench_instance_start picks; certificates name it (the default URL) ---
unset EDGECA_PUBLIC_PKI_URL
bench_instance_start
pki=http://127.0.0.1:$EDGECA_PKI_HTTP_PORT

# --- edgeca: a root, a subordinate with OCSP on, ncerts leaves ---
ed=$work/edgeca
mkdir -p "$ed/certs"
openssl req -new "${newkey[@]}" -nodes -subj /CN=bench-device -keyout "$work/device.key" \
  -out "$work/device.csr" 2>/dev/null
if [[ " $systems " == *" edgeca-"* ]]; then
  root_id=$(rest /api/v1/cas -H 'Content-Type: application/json' \
    -d "{\"common_name\": \"Bench OCSP Root\", \"key_algorithm\": \"$edgeca_alg\"}" \
    | jq -r .id) || die "cannot create the root CA"
  sub_id=$(rest /api/v1/cas -H 'Content-Type: application/json' \
    -d "{\"kind\": \"subordinate\", \"common_name\": \"Bench OCSP Sub\",
         \"key_algorithm\": \"$edgeca_alg\", \"parent_ca_id\": \"$root_id\",
         \"issuance\": {\"template\": \"client\"}, \"ocsp\": {\"enabled\": true}}" \
    | jq -r .id) || die "cannot create the subordinate CA (is OCSP in this build?)"
  rest "/api/v1/cas/$sub_id/certificate" >"$ed/sub.pem" || die "cannot read the subordinate's certificate"
  say "edgeca: issuing $ncerts certificates"
  for ((i = 1; i <= ncerts; i++)); do
    rest "/api/v1/cas/$sub_id/certificates?validity_days=30" -H 'Content-Type: application/pkcs10' \
      --data-binary "@$work/device.csr" | jq -r .certificate_pem >"$ed/certs/$i.pem" \
      || die "cannot issue certificate $i"
  done
  uri=$(openssl x509 -in "$ed/certs/1.pem" -noout -ocsp_uri)
  [[ $uri =~ ^http://(127\.0\.0\.1|localhost):$EDGECA_PKI_HTTP_PORT/ocsp$ ]] \
    || die "the certificates' OCSP URL is '$uri', not $pki/ocsp"
  # edgeca-get measures the cache: a GET without nonce has its headers
  openssl ocsp -issuer "$ed/sub.pem" -cert "$ed/certs/1.pem" -no_nonce -reqout "$ed/req.der" \
    >/dev/null 2>&1 || die "cannot build an OCSP request"
  b64=$(base64 -w0 "$ed/req.der" | sed 's|+|%2B|g; s|/|%2F|g; s|=|%3D|g')
  curl -sf -D "$ed/get.headers" -o /dev/null "$pki/ocsp/$b64" || die "GET $pki/ocsp/... fails"
  grep -qi '^etag:' "$ed/get.headers" && grep -qi '^cache-control:.*max-age=' "$ed/get.headers" \
    || { cat "$ed/get.headers" >&2; die "a GET answer without the cache's ETag and max-age"; }
fi

# --- openssl: its own root, subordinate and ncerts leaves, index.txt ---
os=$work/openssl
owned_dir "$EDGECA_SERVER_USER" 700 "$os"
mkdir -p "$os/certs"
openssl req -x509 "${newkey[@]}" -nodes -days 3650 -subj "/CN=Bench openssl Root" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -keyout "$os/root.key" -out "$os/root.pem" 2>/dev/null
openssl req -new "${newkey[@]}" -nodes -subj "/CN=Bench openssl Sub" -keyout "$os/sub.key" \
  -out "$os/sub.csr" 2>/dev/null
printf '%s\n' basicConstraints=critical,CA:TRUE,pathlen:0 \
  keyUsage=critical,keyCertSign,cRLSign,digitalSignature subjectKeyIdentifier=hash \
  authorityKeyIdentifier=keyid >"$os/sub.ext"
openssl x509 -req -in "$os/sub.csr" -CA "$os/root.pem" -CAkey "$os/root.key" -days 1825 \
  -set_serial "0x4$(openssl rand -hex 8)" -extfile "$os/sub.ext" -out "$os/sub.pem" 2>/dev/null
say "openssl: issuing $ncerts certificates"
: >"$os/index.txt"
for ((i = 1; i <= ncerts; i++)); do
  # 16-byte serials like edgeca's, high bit clear (index.txt holds them as is)
  serial=4$(openssl rand -hex 16 | cut -c 1-31 | tr a-f A-F)
  openssl x509 -req -in "$work/device.csr" -CA "$os/sub.pem" -CAkey "$os/sub.key" -days 30 \
    -set_serial "0x$serial" -subj "/CN=bench-device-$i" -out "$os/certs/$i.pem" 2>/dev/null
  end=$(openssl x509 -in "$os/certs/$i.pem" -noout -enddate | cut -d= -f2)
  printf 'V\t%s\t\t%s\tunknown\t/CN=bench-device-%s\n' "$(date -u -d "$end" +%y%m%d%H%M%SZ)" \
    "$serial" "$i" >>"$os/index.txt"
done
is_root && chown -R "$EDGECA_SERVER_USER:" "$os"

# start_openssl [-multi 2]: openssl ocsp on a free port, as the server's
# user, like edgeca: responder ID by key, no certificates in the answer,
# nextUpdate an hour ahead (edgeca's default validity).
start_openssl() {
  local port i
  free_port port
  as_user_bg "$EDGECA_SERVER_USER" openssl ocsp -index "$os/index.txt" -port "$port" \
    -rsigner "$os/sub.pem" -rkey "$os/sub.key" -CA "$os/sub.pem" -resp_key_id -resp_no_certs \
    -nmin 60 -ignore_err "$@" >>"$work/log/openssl.log" 2>&1
  openssl_pid=$!
  openssl_url=http://127.0.0.1:$port
  for ((i = 0; i < 100; i++)); do
    ss -Htln "sport = :$port" | grep -q . && return 0
    kill -0 "$openssl_pid" 2>/dev/null \
      || { tail -n 5 "$work/log/openssl.log" >&2; die "openssl ocsp exited during start-up"; }
    sleep 0.1
  done
  die "openssl ocsp does not listen on $port"
}

# run_ocspload NAME URL MODE DIR CONNECTIONS SECONDS WARMUP [-verify]: one
# ocspload run; sets its BENCH fields (ok, failed, rate_per_s, p50_ms,
# p99_ms, reconnects, ...) and cpu (ocspload's share of the machine, %).
run_ocspload() {
  local name=$1 url=$2 mode=$3 dir=$4 c=$5 d=$6 w=$7 line cpu_s
  local out=$work/ocspload/$name.out err=$work/ocspload/$name.err
  shift 7
  mkdir -p "$work/ocspload"
  # Exit status 1 means some answer failed: the BENCH line says which.
  /usr/bin/time -f '%U %S' -o "$work/ocspload/$name.time" "$ocspload" -u "$url" -m "$mode" \
    -issuer "$dir/sub.pem" -dir "$dir/certs" -c "$c" -d "$d" -w "$w" "$@" >"$out" 2>"$err" || true
  line=$(grep '^BENCH ' "$out") || { cat "$out" "$err" >&2; die "$name: no ocspload result"; }
  [[ ${line#BENCH } =~ ^([a-z0-9_]+=[0-9.]+ ?)+$ ]] || die "$name: unexpected result: $line"
  eval "${line#BENCH }"
  # the last line: time writes "Command exited with non-zero status" first
  cpu_s=$(tail -n 1 "$work/ocspload/$name.time" | awk '{print $1 + $2}')
  cpu=$(awk -v s="$cpu_s" -v t="$((d + w))" -v n="$(nproc)" 'BEGIN {printf "%.0f", 100 * s / (t * n)}')
}

# measure SYSTEM URL MODE DIR: a signature-checking pass, then each level.
measure() {
  local system=$1 url=$2 mode=$3 dir=$4 c check cpu
  # set by run_ocspload from ocspload's BENCH line (seconds unused)
  # shellcheck disable=SC2034
  local ok=0 failed=0 seconds rate_per_s=0 p50_ms p99_ms reconnects io http parse ocsp nonce status signature
  say "$system: checking answers and signatures (1 connection, 1 s)"
  run_ocspload "$system-verify" "$url" "$mode" "$dir" 1 1 0 -verify
  [ "$failed" -eq 0 ] && [ "$ok" -gt 0 ] \
    || { cat "$work/ocspload/$system-verify.err" >&2; die "$system: answers fail the checks"; }
  for c in $conns; do
    say "$system: $c connections, ${warmup}s warm-up, ${duration}s"
    run_ocspload "$system-$c" "$url" "$mode" "$dir" "$c" "$duration" "$warmup"
    check=ok
    [ "$failed" -eq 0 ] && [ "$ok" -gt 0 ] || check=FAIL
    printf '%s %s %s %s %s %s %s %s %s %s %s\n' "$system" "$mode" "$c" "$rate_per_s" "$p50_ms" \
      "$p99_ms" "$ok" "$failed" "$reconnects" "$cpu" "$check" >>"$results"
    say "$system c=$c: $rate_per_s answers/s, p50 $p50_ms ms, p99 $p99_ms ms, ok $ok," \
      "failed $failed (io $io http $http parse $parse ocsp $ocsp nonce $nonce status $status signature $signature)," \
      "ocspload CPU $cpu %: $check"
  done
}

# --- the runs ---
: >"$results"
for system in $systems; do
  mode=${system##*-}
  case $system in
  edgeca-*) measure "$system" "$pki/ocsp" "$mode" "$ed" ;;
  openssl-multi-*)
    start_openssl -multi 2
    measure "$system" "$openssl_url" "$mode" "$os"
    stop_openssl ;;
  openssl-*)
    start_openssl
    measure "$system" "$openssl_url" "$mode" "$os"
    stop_openssl ;;
  esac
done

# --- the report ---
echo
bench_machine_line
printf 'ocspload: %s s per level after %s s of warm-up; %s certificates per CA, %s keys; edgeca HTTP threads %s, signer pool %s\n\n' \
  "$duration" "$warmup" "$ncerts" "$edgeca_alg" "${EDGECA_HTTP_THREADS:-16}" \
  "${EDGECA_SIGNER_POOL_SIZE:-${EDGECA_HTTP_THREADS:-16}}"
echo "| system | request | connections | answers/s | p50 ms | p99 ms | answers checked | failed | connections opened | ocspload CPU % | check |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
awk '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11}' \
  "$results"
# The goals of issue 16, on the best level of each system: cached GETs
# at least 20,000/s; nonce POSTs at least 10x openssl ocsp's, counted
# against the better of its single-process and -multi 2 runs.
echo
awk '{ seen[$1] = 1; if ($4 > best[$1]) best[$1] = $4 }
     END {
       o = 0
       if ("openssl-post" in seen) { o = best["openssl-post"]; ow = "openssl-post" }
       if ("openssl-multi-post" in seen && best["openssl-multi-post"] > o) {
         o = best["openssl-multi-post"]; ow = "openssl-multi-post"
       }
       if ("edgeca-get" in seen)
         printf "- cached GET: %.0f answers/s, goal 20,000/s: %s\n", best["edgeca-get"],
                (best["edgeca-get"] >= 20000 ? "met" : "NOT met")
       if ("edgeca-post" in seen && o > 0)
         printf "- nonce POST: %.0f answers/s, %.1fx %s (%.0f/s), goal 10x: %s\n", best["edgeca-post"],
                best["edgeca-post"] / o, ow, o, (best["edgeca-post"] >= 10 * o ? "met" : "NOT met")
       if ("openssl-post" in seen && "openssl-multi-post" in seen)
         printf "- openssl ocsp POST: %.0f/s single process, %.0f/s with -multi 2\n",
                best["openssl-post"], best["openssl-multi-post"]
     }' "$results"
! grep -q ' FAIL$' "$results" || die "some answers failed their checks (check column)"

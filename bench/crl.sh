#!/usr/bin/env bash
# Measures revocation and CRL building on a private edgeca instance (see
# docs/benchmarks.md):
# 1. the revoke rate through the API (wrk, every request revokes another
#    certificate) with a CA that has no revoked certificates yet, then with
#    one that already has 1,000,000: the cost must not grow; then the same
#    CA with CRLs turned on, each burst of revocations rebuilding its
#    million-entry CRL in the background;
# 2. the time to build, sign and store a CRL of 10,000, 100,000 and
#    1,000,000 entries (POST /api/v1/cas/{id}/crl), and the peak memory of
#    the server and the signer.
# Certificates are loaded straight into PostgreSQL, as the issue allows;
# their rows look like issued ones (random 16-byte serials, one year left).
#
# Environment: BENCH_SIZES ("10000 100000 1000000"), BENCH_CONNECTIONS (16),
# BENCH_DURATION (10s), BENCH_BUILD_DIR (bench/.build), BENCH_KEEP (keep the
# work directory).
set -euo pipefail
. "$(dirname "$0")/instance.sh"
build_dir=${BENCH_BUILD_DIR:-$EDGECA_ROOT/bench/.build}

sizes=${BENCH_SIZES:-10000 100000 1000000}
conns=${BENCH_CONNECTIONS:-16}
duration=${BENCH_DURATION:-10s}
lua=$EDGECA_ROOT/bench/revoke.lua
results=$work/results

install_packages "${RUNTIME_PACKAGES[@]}" wrk
build "$build_dir"
ensure_users
bench_instance_start

new_ca() { # NAME [CRL_ENABLED]: a CA's id
  curl -sf --cacert "$work/tls/ca.pem" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' \
    -d "{\"common_name\": \"$1\", \"key_algorithm\": \"EC-P256\",
         \"issuance\": {\"template\": \"client\"}, \"crl\": {\"enabled\": ${2:-true}}}" \
    "$api/api/v1/cas" | jq -r .id
}

# load CA STATUS COUNT: COUNT certificate rows (status valid or revoked).
load() {
  local revoked='NULL, NULL'
  [ "$2" = revoked ] && revoked="now() - interval '1 hour', 'keyCompromise'"
  sql edgeca "INSERT INTO certificates (ca_id, location, serial, subject, common_name,
      key_algorithm, template, status, not_before, not_after, requester, certificate_der,
      revoked_at, revocation_reason, issuer_key_id)
    SELECT '$1', 'default', '4' || substr(md5('$1' || '$2' || i), 2),
      'CN=bench-' || i, 'bench-' || i, 'EC-P256', 'client', '$2', now() - interval '1 day',
      now() + interval '365 days', 'bench', '\\x00', $revoked, l.signer_key_id
    FROM generate_series(1, $3) AS i
    JOIN ca_locations l ON l.ca_id = '$1' AND l.name = 'default'" >/dev/null
  sql edgeca "VACUUM ANALYZE certificates" >/dev/null # as autovacuum leaves it
}

# revoke_rate LABEL CA: wrk revoking valid certificates of CA.
revoke_rate() {
  local label=$1 ca=$2 before after line rps p50_ms p99_ms ok unexpected sockerr check
  sql edgeca "SELECT serial FROM certificates WHERE ca_id = '$ca' AND status = 'valid'
              ORDER BY random()" >"$work/serials"
  before=$(sql edgeca "SELECT count(*) FROM certificates WHERE ca_id = '$ca' AND status = 'revoked'")
  say "revoke rate, $label: $conns connections, $duration"
  BENCH_SERIALS=$work/serials BENCH_CA_ID=$ca BENCH_TOKEN=$token BENCH_THREADS=2 \
    wrk -t 2 -c "$conns" -d "$duration" --timeout 10s -s "$lua" "$api" >"$work/wrk.out" \
    || { cat "$work/wrk.out" >&2; die "wrk failed"; }
  line=$(grep '^BENCH ' "$work/wrk.out") || { cat "$work/wrk.out" >&2; die "no wrk result"; }
  eval "${line#BENCH }"
  after=$(stored_rows edgeca "SELECT count(*) FROM certificates WHERE ca_id = '$ca' AND status = 'revoked'")
  check=ok
  [ "$unexpected" -eq 0 ] && [ "$sockerr" -eq 0 ] || check=FAIL
  [ $((after - before)) -ge "$ok" ] && [ $((after - before)) -le $((ok + conns)) ] || check=FAIL
  printf 'revoke|%s|%s|%s|%s|%s|%s\n' "$label" "$rps" "$p50_ms" "$p99_ms" "$((after - before))" \
    "$check" >>"$results"
  say "$label: $rps revocations/s, p50 $p50_ms ms, p99 $p99_ms ms, revoked $((after - before)): $check"
}

peak_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

: >"$results"
# --- 1. revoke rate: empty CA, then one with a million revoked ---
# CRLs off for this CA: the revocations alone, without the CRL rebuilds
# they trigger competing for the same two cores (measured below).
ca_rev=$(new_ca "Bench Revoke" false)
load "$ca_rev" valid 400000
revoke_rate "0 revoked before" "$ca_rev"
load "$ca_rev" revoked 1000000
revoke_rate "1,000,000 revoked before" "$ca_rev"
# the same with its CRL rebuilt after every burst (EDGECA_CRL_DELAY_MS)
curl -sf --cacert "$work/tls/ca.pem" -H "Authorization: Bearer $token" -X PATCH \
  -H 'Content-Type: application/json' -d '{"crl": {"enabled": true}}' \
  "$api/api/v1/cas/$ca_rev" >/dev/null || die "cannot turn the CRLs of $ca_rev on"
for _ in $(seq 120); do
  curl -sf --cacert "$work/tls/ca.pem" -o /dev/null "$api/crl/$ca_rev/default.crl" && break
  sleep 1
done
revoke_rate "1,000,000 revoked before, CRL rebuilt" "$ca_rev"

# --- 2. CRL build time and memory ---
for n in $sizes; do
  ca=$(new_ca "Bench CRL $n")
  load "$ca" revoked "$n"
  say "CRL of $n entries"
  out=$(curl -sf --cacert "$work/tls/ca.pem" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{}' -o "$work/crl.json" \
    -w '%{time_total}' "$api/api/v1/cas/$ca/crl") || die "the CRL of $n entries failed"
  entries=$(jq -r .entries "$work/crl.json")
  curl -sf --cacert "$work/tls/ca.pem" -o "$work/crl.der" "$api/crl/$ca/default.crl"
  openssl crl -inform DER -in "$work/crl.der" -noout \
    -CAfile <(curl -sf --cacert "$work/tls/ca.pem" -H "Authorization: Bearer $token" \
                "$api/api/v1/cas/$ca/certificate") -verify 2>/dev/null \
    || die "the CRL of $n entries does not verify"
  check=ok
  [ "$entries" = "$n" ] || check=FAIL
  timing=$(grep "crl_generate: ca=$ca " "$work/log/server.log" | tail -n 1 | grep -o 'read_ms=.*' || true)
  printf 'crl|%s|%s|%s|%s|%s|%s|%s\n' "$n" "$out" "$(stat -c %s "$work/crl.der")" \
    "$(peak_kib "$server_pid")" "$(peak_kib "$signer_pid")" "$timing" "$check" >>"$results"
  say "$n entries: ${out}s, $(stat -c %s "$work/crl.der") bytes, $timing: $check"
done

# --- the report ---
echo
bench_machine_line
printf 'wrk 2 threads, %s connections, %s per run\n\n' "$conns" "$duration"
echo "| revoke run | revocations/s | p50 ms | p99 ms | rows revoked | check |"
echo "|---|---:|---:|---:|---:|---|"
awk -F'|' '$1 == "revoke" {printf "| %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7}' "$results"
echo
echo "| CRL entries | build, sign, store (s) | DER bytes | server peak RSS (KiB) | signer peak RSS (KiB) | phases | check |"
echo "|---:|---:|---:|---:|---:|---|---|"
awk -F'|' '$1 == "crl" {printf "| %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8}' "$results"
! grep -q '|FAIL$' "$results" || die "some runs failed (check column)"

#!/usr/bin/env bash
# Measures delta CRLs on a private edgeca instance (see docs/benchmarks.md):
# a CA with crl.delta on and 1,000,000 revoked certificates (loaded straight
# into PostgreSQL, as bench/crl.sh does, revoked in an old transaction: in
# its complete CRL), then 1,000 revocations through the API; then the time
# to build, sign and store its delta CRL (POST /api/v1/cas/{id}/crl
# {"delta": true}), several times, against its complete CRL of 1,001,000
# entries made the same way. Each delta must list exactly the 1,000, name
# the complete CRL made before them as its base and verify with the CA's
# key (tests/integration/test_crl_delta.c checks what relying parties do
# with it).
#
# Environment: BENCH_REVOKED (1000000), BENCH_RECENT (1000), BENCH_RUNS (5),
# BENCH_BUILD_DIR (bench/.build), BENCH_KEEP (keep the work directory).
set -euo pipefail
. "$(dirname "$0")/instance.sh"
build_dir=${BENCH_BUILD_DIR:-$EDGECA_ROOT/bench/.build}

revoked=${BENCH_REVOKED:-1000000}
recent=${BENCH_RECENT:-1000}
runs=${BENCH_RUNS:-5}
results=$work/results

install_packages "${RUNTIME_PACKAGES[@]}"
build "$build_dir"
ensure_users
bench_instance_start

# load CA STATUS COUNT: COUNT certificate rows (status valid or revoked; a
# revoked one as if revoked an hour ago, in a transaction long committed).
load() {
  local revoked_cols='NULL, NULL, NULL, NULL'
  [ "$2" = revoked ] &&
    revoked_cols="now() - interval '1 hour', 'keyCompromise', pg_current_xact_id(), now() - interval '1 hour'"
  sql edgeca "INSERT INTO certificates (ca_id, location, serial, subject, common_name,
      key_algorithm, template, status, not_before, not_after, requester, certificate_der,
      revoked_at, revocation_reason, crl_change_xid, crl_change_at, issuer_key_id)
    SELECT '$1', 'default', '4' || substr(md5('$1' || '$2' || i), 2),
      'CN=bench-' || i, 'bench-' || i, 'EC-P256', 'client', '$2', now() - interval '1 day',
      now() + interval '365 days', 'bench', '\\x00', $revoked_cols, l.signer_key_id
    FROM generate_series(1, $3) AS i
    JOIN ca_locations l ON l.ca_id = '$1' AND l.name = 'default'" >/dev/null
  sql edgeca "VACUUM ANALYZE certificates" >/dev/null # as autovacuum leaves it
}

# force CA BODY: POST /api/v1/cas/{CA}/crl with BODY; "seconds|answer file".
force() {
  local out
  out=$(rest "/api/v1/cas/$1/crl" -H 'Content-Type: application/json' -d "$2" \
    -o "$work/crl.json" -w '%{time_total}') || die "POST /api/v1/cas/$1/crl $2 failed"
  echo "$out"
}

ca=$(rest /api/v1/cas -H 'Content-Type: application/json' \
  -d '{"common_name": "Bench Delta", "key_algorithm": "EC-P256",
       "issuance": {"template": "client"},
       "crl": {"enabled": true, "delta": {"enabled": true, "interval_minutes": 60}}}' | jq -r .id)
[ -n "$ca" ] && [ "$ca" != null ] || die "cannot create the CA"
rest "/api/v1/cas/$ca/certificate" >"$work/ca.pem"
say "loading $revoked revoked and $recent valid certificates"
load "$ca" revoked "$revoked"
load "$ca" valid "$recent"

# the complete CRL that holds the million, before the recent revocations
say "complete CRL of $revoked entries"
base_s=$(force "$ca" '{}')
base_number=$(jq -r .crl_number "$work/crl.json")
rest "/api/v1/cas/$ca/crl" -o "$work/base-before.der"

say "$recent revocations through the API"
sql edgeca "SELECT serial FROM certificates WHERE ca_id = '$ca' AND status = 'valid'" \
  >"$work/serials"
start=$(date +%s.%N)
xargs -P 4 -I{} curl -sf -o /dev/null --cacert "$work/tls/ca.pem" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"reason": "keyCompromise"}' "$api/api/v1/cas/$ca/certificates/{}/revoke" \
  <"$work/serials" || die "a revocation failed"
revoke_s=$(echo "$(date +%s.%N) - $start" | bc)
n=$(sql edgeca "SELECT count(*) FROM certificates WHERE ca_id = '$ca' AND status = 'revoked'")
[ "$n" -eq $((revoked + recent)) ] || die "$n revoked, not $((revoked + recent))"

: >"$results"
for i in $(seq "$runs"); do
  s=$(force "$ca" '{"delta": true}')
  entries=$(jq -r .entries "$work/crl.json")
  base=$(jq -r .delta_base "$work/crl.json")
  rest "/api/v1/cas/$ca/crl?delta=true" -o "$work/delta.der"
  check=ok
  [ "$entries" = "$recent" ] && [ "$base" = "$base_number" ] || check=FAIL
  openssl crl -inform DER -in "$work/delta.der" -noout -CAfile "$work/ca.pem" -verify \
    2>/dev/null || check=FAIL
  timing=$(grep "crl_generate_delta: ca=$ca " "$work/log/server.log" | tail -n 1 |
    grep -o 'read_ms=.*' || true)
  printf 'delta|%s|%s|%s|%s|%s\n' "$i" "$s" "$(stat -c %s "$work/delta.der")" "$timing" \
    "$check" >>"$results"
  say "delta $i: ${s}s, $entries entries on base $base, $timing: $check"
done

say "complete CRL of $((revoked + recent)) entries, for comparison"
full_s=$(force "$ca" '{}')
full_timing=$(grep "crl_generate: ca=$ca " "$work/log/server.log" | tail -n 1 |
  grep -o 'read_ms=.*' || true)
rest "/api/v1/cas/$ca/crl" -o "$work/base.der"

# --- the report ---
echo
bench_machine_line
printf '%s revoked certificates loaded, then %s revoked through the API in %.1f s\n\n' \
  "$revoked" "$recent" "$revoke_s"
echo "| CRL | build, sign, store (s) | DER bytes | phases | check |"
echo "|---|---:|---:|---|---|"
printf '| complete, %s entries (before the %s) | %s | %s | | ok |\n' "$revoked" "$recent" \
  "$base_s" "$(stat -c %s "$work/base-before.der")"
awk -F'|' '$1 == "delta" {printf "| delta run %s, %s entries | %s | %s | %s | %s |\n", $2, '"$recent"', $3, $4, $5, $6}' "$results"
printf '| complete, %s entries | %s | %s | %s | ok |\n' "$((revoked + recent))" "$full_s" \
  "$(stat -c %s "$work/base.der")" "$full_timing"
! grep -q '|FAIL$' "$results" || die "some runs failed (check column)"

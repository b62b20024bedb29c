#!/usr/bin/env bash
# Measures certificate search (GET /api/v1/certificates) and the CA reads a
# portal makes (GET /api/v1/cas?limit=100, GET /api/v1/cas/{id}) on a
# private edgeca instance (see docs/benchmarks.md) seeded by bench/seed.sh
# with 1,000 CAs and 1,000,000 certificates: each query BENCH_REQUESTS
# times over HTTPS with the admin token, median and p95 of curl's
# time_total. One curl process per query reuses its TLS connection, so the
# figures are the server's and PostgreSQL's time plus a local round trip,
# as a portal backend with a kept-alive connection sees them (a handshake
# per request would add the same few milliseconds to every line). Then,
# unless BENCH_EXPLAIN=0, each search once more with PostgreSQL's
# auto_explain on: the plan of the page's query as the server sent it,
# with its real row counts and times.
#
# Environment: BENCH_CAS (1000), BENCH_CERTS (1000000), BENCH_REQUESTS (50),
# BENCH_EXPLAIN (1), BENCH_BUILD_DIR (bench/.build), BENCH_KEEP (keep the
# work directory).
set -euo pipefail
. "$(dirname "$0")/instance.sh"
. "$(dirname "$0")/seed.sh"
build_dir=${BENCH_BUILD_DIR:-$EDGECA_ROOT/bench/.build}

n_cas=${BENCH_CAS:-1000}
n_certs=${BENCH_CERTS:-1000000}
requests=${BENCH_REQUESTS:-50}
results=$work/results

install_packages "${RUNTIME_PACKAGES[@]}"
build "$build_dir"
ensure_users

# auto_explain is loaded into every session but off (no cost) until the
# explain pass turns it on with a reload.
bench_pg_ready() {
  psql -X -q -v ON_ERROR_STOP=1 "$(pg_admin_url "$pg" edgeca)" -c "LOAD 'auto_explain'" \
    -c "ALTER SYSTEM SET session_preload_libraries = 'auto_explain'" \
    -c "ALTER SYSTEM SET auto_explain.log_min_duration = -1" \
    -c "ALTER SYSTEM SET auto_explain.log_analyze = on" -c "SELECT pg_reload_conf()" >/dev/null
}
explain() { # on|off: the plans of every query logged, or none
  psql -X -q -v ON_ERROR_STOP=1 "$(pg_admin_url "$pg" edgeca)" -c "LOAD 'auto_explain'" \
    -c "ALTER SYSTEM SET auto_explain.log_min_duration = $([ "$1" = on ] && echo 0 || echo -1)" \
    -c "SELECT pg_reload_conf()" >/dev/null
}
bench_instance_start
bench_seed "$n_cas" "$n_certs"

# --- the values the queries look for, taken from the seeded rows ---
ca_mid=$(sql edgeca "SELECT ca_id FROM certificates GROUP BY ca_id ORDER BY count(*) DESC
  OFFSET 99 LIMIT 1")
ca_mid_rows=$(sql edgeca "SELECT count(*) FROM certificates WHERE ca_id = '$ca_mid'")
read -r serial san < <(sql edgeca "SELECT serial || ' ' || subject_alt_names[1]
  FROM certificates WHERE id = (SELECT max(id) / 3 FROM certificates)")
day=86400 now=$(date -u +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
soon_from=$(iso $((now + 30 * day))) soon_to=$(iso $((now + 37 * day)))
year_to=$(iso $((now + 365 * day)))
# a cursor half way down the default order: the API's cursor ("s1", the
# sort, the row's id, the filters' fingerprint, base64url) of that row,
# made from the one the first page returns, as a client walking there
# would be handed it
first=$(rest "/api/v1/certificates?limit=1" | jq -r .next_cursor)
while ((${#first} % 4)); do first+='='; done
plain=$(printf '%s' "$first" | basenc --base64url -d)
deep_id=$(sql edgeca "SELECT id FROM certificates ORDER BY created_at DESC, id DESC
  OFFSET $((n_certs / 2)) LIMIT 1")
deep=$(printf '%s' "$plain" | sed -E "s/^(s1:[0-9]+:)[0-9]+(:.*)$/\1$deep_id\2/" |
  basenc --base64url -w0 | tr -d '=')
[[ $plain == s1:* ]] || die "cannot read the first page's cursor"

# name|path|kind (search: its plan is shown)
cases=(
  "default page|/api/v1/certificates|search"
  "one CA ($ca_mid_rows rows)|/api/v1/certificates?ca_id=$ca_mid|search"
  "common name prefix|/api/v1/certificates?common_name_prefix=sensor-p12-|search"
  "SAN|/api/v1/certificates?san=$san|search"
  "serial|/api/v1/certificates?serial=$serial|search"
  "status=revoked|/api/v1/certificates?status=revoked|search"
  "requester + template|/api/v1/certificates?requester=token:portal&template=ssl|search"
  "expiry window (1 week), newest first|/api/v1/certificates?expires_after=$soon_from&expires_before=$soon_to|search"
  "expiry window (1 week), sort=expires_at|/api/v1/certificates?expires_after=$soon_from&expires_before=$soon_to&sort=expires_at|search"
  "expiry window (1 year), newest first|/api/v1/certificates?expires_after=$(iso "$now")&expires_before=$year_to|search"
  "page after a cursor at row $((n_certs / 2))|/api/v1/certificates?cursor=$deep|search"
  "total=true, no filter|/api/v1/certificates?total=true|search"
  "total=true, status=revoked|/api/v1/certificates?status=revoked&total=true|search"
  "GET /api/v1/cas?limit=100|/api/v1/cas?limit=100|ca"
  "GET /api/v1/cas/{id}|/api/v1/cas/$ca_mid|ca"
)

# measure PATH: REQUESTS timed requests (after one that opens the
# connection) on one connection; "median p95" in ms, or dies on a non-200.
measure() {
  local args=() i
  for ((i = 0; i <= requests; i++)); do args+=(-o /dev/null "$api$1"); done
  curl -s --cacert "$work/tls/ca.pem" -H "Authorization: Bearer $token" \
    -w '%{http_code} %{time_total}\n' "${args[@]}" >"$work/times"
  awk '$1 != 200 {bad = 1} END {exit bad}' "$work/times" || die "$1 did not answer 200"
  tail -n +2 "$work/times" | awk '{print $2 * 1000}' | sort -n |
    awk '{v[NR] = $1} END {m = int((NR + 1) / 2); p = int(NR * 0.95 + 0.999);
         printf "%.1f %.1f\n", v[m], v[p]}'
}

: >"$results"
for c in "${cases[@]}"; do
  IFS='|' read -r name path kind <<<"$c"
  read -r med p95 < <(measure "$path")
  rows=$(rest "$path" | jq -r 'if .items then (.items | length | tostring) +
    (if .total != null then " of \(.total)" else "" end) else "1" end')
  printf '%s|%s|%s|%s\n' "$name" "$med" "$p95" "$rows" >>"$results"
  say "$name: median $med ms, p95 $p95 ms ($rows rows)"
done

# --- the plans: each search once with auto_explain on ---
plans=$work/plans
: >"$plans"
if [ "${BENCH_EXPLAIN:-1}" != 0 ]; then
  explain on
  sleep 1
  for c in "${cases[@]}"; do
    IFS='|' read -r name path kind <<<"$c"
    [ "$kind" = search ] || continue
    from=$(stat -c %s "$pg/postgresql.log")
    rest "$path" >/dev/null
    sleep 0.5
    { printf '\n== %s\n' "$name"
      tail -c +"$((from + 1))" "$pg/postgresql.log" |
        awk 'function flush() { if (keep) printf "%s", blk; blk = ""; keep = 0; inb = 0 }
             /LOG:  duration: .* plan:/ { flush(); inb = 1; blk = $0 "\n"; next }
             inb && /^[\t ]/ { blk = blk $0 "\n"; if (/issuer_reason/) keep = 1; next }
             { flush() }
             END { flush() }' |
        grep -v 'Query Text:' | sed -e 's/^.*LOG:  /  /' -e 's/^\t/  /'
    } >>"$plans"
  done
  explain off
fi

# --- the report ---
echo
bench_machine_line
printf '%s CAs and %s certificates seeded in %.0f s; %s requests per query on one kept-alive HTTPS connection\n\n' \
  "$n_cas" "$n_certs" "$seed_seconds" "$requests"
echo "| query | median (ms) | p95 (ms) | rows |"
echo "|---|---:|---:|---:|"
awk -F'|' '{printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4}' "$results"
if [ -s "$plans" ]; then
  echo
  echo "Plans (auto_explain, one run each):"
  cat "$plans"
fi

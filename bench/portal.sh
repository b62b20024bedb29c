#!/usr/bin/env bash
# Measures the portal's page loads (/ui/) in Debian's headless Chromium on
# a private edgeca instance (bench/instance.sh) seeded by bench/seed.sh
# with 1,000 CAs and 1,000,000 certificates, plus bench/portal.sql (an
# audit trail, notifications with deliveries) and one certificate issued
# through the API on the busiest CA (a real one, for its page, with audit
# entries). Then tests/browser/portal.mjs in its timing mode: a warm-up
# pass, then BENCH_RUNS passes over every page, each from a fresh sign-in;
# median and p95 per page. A load is defined in docs/benchmarks.md
# ("Portal page loads") and in portal.mjs: from the navigation's start to
# the page's main content visible with every API call it made answered.
#
# Environment: BENCH_CAS (1000), BENCH_CERTS (1000000), BENCH_RUNS (20),
# BENCH_AUDIT (200000 audit events), BENCH_BUILD_DIR (bench/.build),
# BENCH_KEEP (keep the work directory).
set -euo pipefail
. "$(dirname "$0")/instance.sh"
. "$(dirname "$0")/seed.sh"
build_dir=${BENCH_BUILD_DIR:-$EDGECA_ROOT/bench/.build}

n_cas=${BENCH_CAS:-1000}
n_certs=${BENCH_CERTS:-1000000}
runs=${BENCH_RUNS:-20}
n_audit=${BENCH_AUDIT:-200000}

install_packages "${RUNTIME_PACKAGES[@]}"
build "$build_dir"
ensure_users
[ -d "$EDGECA_ROOT/tests/browser/node_modules/playwright-core" ] ||
  die "run npm ci in tests/browser first (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1)"

bench_instance_start
bench_seed "$n_cas" "$n_certs"

# --- what the pages open: the busiest CA, a real certificate on it ---
busy_ca=$(sql edgeca "SELECT ca_id FROM certificates GROUP BY ca_id ORDER BY count(*) DESC LIMIT 1")
busy_rows=$(sql edgeca "SELECT count(*) FROM certificates WHERE ca_id = '$busy_ca'")
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
  -subj /CN=portal-bench-device -out "$work/device.csr" 2>/dev/null || die "cannot make a CSR"
cert_serial=$(jq -n --rawfile csr "$work/device.csr" '{csr: $csr, template: "client"}' |
  rest "/api/v1/cas/$seed_template/certificates" -H 'Content-Type: application/json' -d @- |
  jq -r .serial_number)
[ -n "$cert_serial" ] && [ "$cert_serial" != null ] || die "cannot issue the certificate to open"
start=$(date +%s.%N)
psql -X -q -v ON_ERROR_STOP=1 -v events="$n_audit" -v per_cert=40 -v notified=500 \
  -v cert_ca="$seed_template" -v cert_serial="$cert_serial" \
  -f "$EDGECA_ROOT/bench/portal.sql" "$(pg_admin_url "$pg" edgeca)" >/dev/null ||
  die "seeding the audit trail and notifications failed"
extra_seconds=$(echo "$(date +%s.%N) - $start" | bc)
n_notes=$(sql edgeca "SELECT count(*) FROM notifications")
for i in 1 2 3 4 5; do # a few more tokens for the Tokens page
  "$build_dir/edgeca-server" token create --role auditor --name "bench-auditor-$i" \
    --output "$work/auditor-$i.token" 2>>"$work/log/server.log"
done

# --- the browser ---
spki=$(openssl s_client -connect "127.0.0.1:$EDGECA_API_PORT" </dev/null 2>/dev/null |
  openssl x509 -pubkey -noout | openssl pkey -pubin -outform der |
  openssl dgst -sha256 -binary | base64)
load=$(cut -d' ' -f1-3 /proc/loadavg)
EDGECA_URL=$api EDGECA_TOKEN=$token EDGECA_SPKI=$spki NODE_EXTRA_CA_CERTS=$work/tls/ca.pem \
  EDGECA_TIMING_RUNS=$runs EDGECA_TIMING_CA=$busy_ca \
  EDGECA_TIMING_CERT="$seed_template/$cert_serial" \
  node "$EDGECA_ROOT/tests/browser/portal.mjs" timing >"$work/browser.log" 2>&1 ||
  { tail -30 "$work/browser.log"; die "the timing run failed"; }
load="$load, after: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- the report: per page, in the order measured ---
echo
bench_machine_line
printf '%s CAs and %s certificates seeded in %.0f s (the busiest CA has %s), %s audit events and %s notifications in %.0f s; load average (1, 5, 15 min) before: %s\n' \
  "$n_cas" "$n_certs" "$seed_seconds" "$busy_rows" "$n_audit" "$n_notes" "$extra_seconds" "$load"
printf 'Chromium %s, %s passes after a warm-up, each from a fresh sign-in\n\n' \
  "$(sed -n 's/^chromium \([^,]*\),.*/\1/p' "$work/browser.log")" "$runs"
echo "| page | median (ms) | p95 (ms) | loads |"
echo "|---|---:|---:|---:|"
awk '$1 == "timing" { n = $0; sub(/^timing /, "", n); sub(/ [0-9.]+ ms$/, "", n); if (!(n in cnt)) order[++k] = n; v[n, ++cnt[n]] = $(NF - 1) }
     END { for (i = 1; i <= k; i++) { n = order[i]; c = cnt[n]
             for (a = 1; a <= c; a++) s[a] = v[n, a]
             for (a = 2; a <= c; a++) for (b = a; b > 1 && s[b - 1] > s[b]; b--) {
               t = s[b]; s[b] = s[b - 1]; s[b - 1] = t }
             m = int((c + 1) / 2); p = int(c * 0.95 + 0.999)
             printf "| %s | %.0f | %.0f | %d |\n", n, s[m], s[p], c } }' "$work/browser.log"
# where the sign-in page's document load goes (medians over the passes)
awk '$1 == "document:" { c[++n] = $3; r[n] = $6; m[n] = $10 }
     function med(a, k, t, i, j) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
                                    t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
                                  return a[int((n + 1) / 2)] }
     END { if (n) printf "\nsign-in document (median): TLS connection up at %d ms, index.html at %d ms, modules run at %d ms\n",
                         med(c), med(r), med(m) }' "$work/browser.log"

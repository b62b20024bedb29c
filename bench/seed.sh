# Sourced by the benchmarks after bench/instance.sh, once
# bench_instance_start has run: bench_seed CAS CERTS fills the instance
# with CAS CAs and CERTS certificates in a fleet's shape (bench/seed.sql
# says which), the first CA made through the API and the others cloned
# from it in SQL. Sets seed_template (the first CA's id) and seed_seconds.
# shellcheck shell=bash

bench_seed() {
  local cas=$1 certs=$2 start
  seed_template=$(rest /api/v1/cas -H 'Content-Type: application/json' \
    -d '{"common_name": "Bench CA 0001", "key_algorithm": "EC-P256",
         "issuance": {"template": "client", "allowed_templates": ["client", "ssl"]}}' |
    jq -r .id)
  [ -n "$seed_template" ] && [ "$seed_template" != null ] || die "cannot create the first CA"
  say "seeding $cas CAs and $certs certificates"
  start=$(date +%s.%N)
  psql -X -q -v ON_ERROR_STOP=1 -v cas="$cas" -v certs="$certs" -v template="$seed_template" \
    -f "$EDGECA_ROOT/bench/seed.sql" "$(pg_admin_url "$pg" edgeca)" >/dev/null ||
    die "seeding failed"
  seed_seconds=$(echo "$(date +%s.%N) - $start" | bc)
}

#!/usr/bin/env bash
# ctest fixture: a throw-away PostgreSQL cluster for the integration tests,
# Unix socket only, in $EDGECA_TEST_PG_DIR (never a running service's data).
set -euo pipefail
. "$EDGECA_TEST_SRC_DIR/scripts/lib.sh"
dir=$EDGECA_TEST_PG_DIR
case ${1:-} in
  start)
    ensure_users
    pg_stop "$dir/data"
    rm -rf "$dir"
    mkdir -p "$dir"
    if is_root; then chown "$EDGECA_DB_USER:" "$dir"; fi
    pg_setup "$dir/data" "$dir/run" "$dir/postgresql.log"
    say "test PostgreSQL running with its socket in $dir/run"
    ;;
  stop)
    pg_stop "$dir/data"
    rm -rf "$dir"
    ;;
  *)
    die "usage: pg-fixture.sh start|stop"
    ;;
esac

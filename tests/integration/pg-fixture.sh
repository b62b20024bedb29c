#!/usr/bin/env bash
# ctest fixture: a throw-away PostgreSQL cluster for the integration tests,
# Unix socket only, in $EDGECA_TEST_PG_DIR (never a running service's data),
# set up exactly as scripts/run sets up the service's.
set -euo pipefail
. "$EDGECA_TEST_SRC_DIR/scripts/lib.sh"
dir=$EDGECA_TEST_PG_DIR
case ${1:-} in
  start)
    ensure_users
    pg_stop "$dir"
    rm -rf "$dir"
    pg_setup "$dir"
    pg_create_db "$dir" postgres
    say "test PostgreSQL running with its socket in $dir/run"
    ;;
  stop)
    pg_stop "$dir"
    rm -rf "$dir"
    ;;
  *)
    die "usage: pg-fixture.sh start|stop"
    ;;
esac

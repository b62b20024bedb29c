#!/usr/bin/env bash
# A PostgreSQL primary and a synchronous streaming standby of it, for the
# failover test: DIR/a (primary, socket DIR/a/run, port 5432) and DIR/b
# (standby made with pg_basebackup -R, socket DIR/b/run, port 5433), set up
# as pg-fixture.sh sets up the shared test cluster (scripts/lib.sh).
#   pg-pair.sh start DIR         both running; a commit waits for the standby
#   pg-pair.sh stop-primary DIR  the primary gone at once (immediate)
#   pg-pair.sh promote DIR       the standby becomes a read-write primary
#   pg-pair.sh restart DIR       the promoted standby restarted (fast)
#   pg-pair.sh destroy DIR       both stopped, DIR removed
set -euo pipefail
. "$EDGECA_TEST_SRC_DIR/scripts/lib.sh"
dir=${2:?usage: pg-pair.sh start|stop-primary|promote|restart|destroy DIR}
bin=$(pg_bindir)

pg_ctl() { as_user "$EDGECA_PG_USER" "$bin/pg_ctl" "$@"; }
admin_sql() {
  psql -X -q -A -t -v ON_ERROR_STOP=1 \
    "host='$dir/a/run' port=5432 dbname=postgres user=$EDGECA_DB_ADMIN" -c "$1"
}

case $1 in
  start)
    ensure_users
    pg_init "$dir/a"
    # replication connections come over the socket, as the admin role
    if is_root; then
      echo "local replication $EDGECA_DB_ADMIN peer map=admins" >>"$dir/a/data/pg_hba.conf"
    else
      echo "local replication all trust" >>"$dir/a/data/pg_hba.conf"
    fi
    cat >>"$dir/a/data/postgresql.conf" <<CONF
port = 5432
max_connections = 100
shared_buffers = 32MB
wal_level = replica
max_wal_senders = 4
CONF
    pg_start "$dir/a" || { tail -20 "$dir/a/postgresql.log" >&2; die "primary did not start"; }
    pg_create_db "$dir/a" postgres
    if is_root; then
      owned_dir "$EDGECA_PG_USER" 711 "$dir/b"
      owned_dir "$EDGECA_PG_USER" 755 "$dir/b/run"
    else
      mkdir -p "$dir/b/run"
      chmod 700 "$dir/b" "$dir/b/run"
    fi
    as_user "$EDGECA_PG_USER" "$bin/pg_basebackup" -D "$dir/b/data" -R -X stream \
      -d "host='$dir/a/run' port=5432 user=$EDGECA_DB_ADMIN application_name=standby" \
      || die "pg_basebackup failed"
    as_user "$EDGECA_PG_USER" tee -a "$dir/b/data/postgresql.conf" >/dev/null <<CONF
port = 5433
unix_socket_directories = '$dir/b/run'
CONF
    pg_start "$dir/b" || { tail -20 "$dir/b/postgresql.log" >&2; die "standby did not start"; }
    # synchronous from here on (the standby's copy of the settings has it
    # not: once promoted, it waits for no one)
    admin_sql "ALTER SYSTEM SET synchronous_standby_names = 'standby'" >/dev/null
    admin_sql "SELECT pg_reload_conf()" >/dev/null
    for ((i = 0; i < 300; i++)); do
      [ "$(admin_sql "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")" = 1 ] \
        && exit 0
      sleep 0.1
    done
    die "the standby did not become synchronous"
    ;;
  stop-primary)
    pg_ctl -D "$dir/a/data" -m immediate -w stop >/dev/null
    ;;
  promote)
    pg_ctl -D "$dir/b/data" -w -t 60 promote >/dev/null
    ;;
  restart)
    pg_ctl -D "$dir/b/data" -l "$dir/b/postgresql.log" -m fast -w -t 60 restart >/dev/null 9>&-
    ;;
  destroy)
    for d in a b; do
      [ -f "$dir/$d/data/postmaster.pid" ] || continue
      pg_ctl -D "$dir/$d/data" -m immediate -w stop >/dev/null 2>&1 || true
    done
    rm -rf "$dir"
    ;;
  *)
    die "usage: pg-pair.sh start|stop-primary|promote|restart|destroy DIR"
    ;;
esac

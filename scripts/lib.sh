# Shared by scripts/run, scripts/test, the test fixtures and the benchmark:
# package installation, build, service users and the private PostgreSQL
# cluster.
# shellcheck shell=bash

EDGECA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Started as root, each process runs as its own user. These shared users
# serve the test suite's throw-away instances; scripts/run and the
# benchmarks switch to users of their data directory's own (instance_users).
EDGECA_SERVER_USER=edgeca          # edgeca-server
EDGECA_SIGNER_USER=edgeca-signer   # edgeca-signer (after binding its socket)
EDGECA_PG_USER=edgeca-db           # the private PostgreSQL cluster
# Database roles of the private cluster: the schema's owner (a superuser,
# for migrations and administration) and the API server's role, which may
# add audit rows but not change them.
EDGECA_DB_ADMIN=edgeca_admin
EDGECA_DB_APP=edgeca

RUNTIME_PACKAGES=(gcc make cmake pkg-config libssl-dev openssl libulfius-dev
                  libmicrohttpd-dev libgnutls28-dev libjansson-dev libpq-dev
                  libcmocka-dev postgresql curl jq acl ca-certificates util-linux
                  python3 libp11-kit-dev)
# softhsm2: the PKCS#11 token the signer's token back end is tested against;
# systemd: systemd-analyze, -sysusers and -tmpfiles for the packaged units;
# prometheus: promtool checks the metrics page and the alert rules;
# gnutls-bin: ocsptool as a second OCSP client
TEST_PACKAGES=(libcurl4-gnutls-dev python3 python3-yaml python3-jsonschema softhsm2 systemd
               prometheus python3-matplotlib gnutls-bin)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# install_packages PKG... : installs the Debian packages that are missing.
install_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  is_root || die "missing packages: ${missing[*]} (run as root, or install them)"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # edgeca runs its own cluster: Debian's package need not start another
  # one on port 5432.
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
  fi
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# node_ok: a node of version 18 or later is on the PATH.
node_ok() {
  command -v node >/dev/null 2>&1 \
    && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' 2>/dev/null
}

# install_client_packages: what the generated TypeScript client test
# (tests/client) needs: Node and npm from Debian unless a node >= 18 is
# already on the PATH (one that is stays in charge), then the pinned npm
# packages of tests/client/package-lock.json (npm ci), again only when the
# lockfile changed since the last install (a copy of it in node_modules).
install_client_packages() {
  local dir=$EDGECA_ROOT/tests/client
  local stamp=$dir/node_modules/.edgeca-package-lock.json
  node_ok || install_packages nodejs npm
  node_ok || die "node 18 or later is needed by tests/client (Debian package nodejs)"
  command -v npm >/dev/null 2>&1 || install_packages npm
  cmp -s "$dir/package-lock.json" "$stamp" 2>/dev/null && return 0
  say "installing the npm packages of tests/client (npm ci)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) \
    || die "npm ci in tests/client failed"
  cp "$dir/package-lock.json" "$stamp"
}

# install_browser_packages: what the portal's browser test (tests/browser)
# needs: Debian's chromium (/usr/bin/chromium, only when absent) and the
# pinned playwright-core of tests/browser/package-lock.json, which drives
# that Chromium and downloads no browser of its own; npm ci again only when
# the lockfile changed since the last install (a copy of it in node_modules).
install_browser_packages() {
  local dir=$EDGECA_ROOT/tests/browser
  local stamp=$dir/node_modules/.edgeca-package-lock.json
  [ -x /usr/bin/chromium ] || install_packages chromium
  # playwright-core 1.64 runs on node 20 or later (Debian 12 ships 18)
  node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null \
    || die "node 20 or later is needed by tests/browser (playwright-core)"
  cmp -s "$dir/package-lock.json" "$stamp" 2>/dev/null && return 0
  say "installing the npm packages of tests/browser (npm ci)"
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) \
    || die "npm ci in tests/browser failed"
  cp "$dir/package-lock.json" "$stamp"
}

# build DIR [cmake args...]
build() {
  local dir=$1; shift
  say "building into ${dir#"$EDGECA_ROOT"/}"
  cmake -S "$EDGECA_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null \
    || die "cmake configure failed"
  cmake --build "$dir" -j "$(nproc)" -- --no-print-directory >/dev/null \
    || { cmake --build "$dir" -j1 2>&1 | tail -30; die "build failed"; }
}

pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] || die "PostgreSQL server binaries not found (package postgresql)"
  printf '%s\n' "$d"
}

# Service users exist only when we run as root; otherwise everything runs
# as the invoking user.
ensure_users() {
  is_root || return 0
  local u
  for u in "$EDGECA_SERVER_USER" "$EDGECA_SIGNER_USER" "$EDGECA_PG_USER"; do
    system_user "$u"
  done
}

# system_user NAME: creates the system user NAME (and its group) unless it
# exists. useradd refuses while another one holds /etc/passwd's lock, as
# when two instances start at once: it is tried again.
system_user() {
  local u=$1 i
  for ((i = 0; i < 20; i++)); do
    id -u "$u" >/dev/null 2>&1 && return 0
    [ "$i" -eq 0 ] && say "creating system user $u"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin "$u" 2>/dev/null && return 0
    sleep 0.5
  done
  die "cannot create user $u"
}

# instance_users DATA_DIR: as root, switches EDGECA_SERVER_USER,
# EDGECA_SIGNER_USER and EDGECA_PG_USER to users of this data directory
# alone, edgeca-<id>-server, edgeca-<id>-signer and edgeca-<id>-db, and
# creates them when missing. <id> (8 hex digits) is made on first use and
# kept in DATA_DIR/instance-id (root's, 0644), so the users follow the
# data: one instance's server can reach neither another's signer socket
# nor its database.
instance_users() {
  is_root || return 0
  local data=$1 file=$1/instance-id id='' i
  if [ -f "$file" ]; then
    id=$(cat "$file")
    [[ $id =~ ^[0-9a-f]{8}$ ]] || die "$file does not hold an instance id (8 hex digits)"
  else
    for ((i = 0; i < 10; i++)); do
      id=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
      # a new id must not name users that exist already
      ! id -u "edgeca-$id-server" >/dev/null 2>&1 && ! id -u "edgeca-$id-signer" >/dev/null 2>&1 \
        && ! id -u "edgeca-$id-db" >/dev/null 2>&1 && break
    done
    printf '%s\n' "$id" >"$file.new" && chmod 644 "$file.new" && mv -f "$file.new" "$file" \
      || die "cannot write $file"
    say "instance id $id (kept in $file)"
  fi
  EDGECA_SERVER_USER=edgeca-$id-server
  EDGECA_SIGNER_USER=edgeca-$id-signer
  EDGECA_PG_USER=edgeca-$id-db
  ensure_users
}

# remove_instance_users DATA_DIR [PATH...]: deletes the users (and groups)
# of DATA_DIR's instance, once its processes are stopped, and the search
# ACLs ensure_traversable gave them on DATA_DIR's ancestors and on PATHs'.
# For throw-away instances (benchmarks, tests); a kept data directory's
# files would be left to bare uids.
remove_instance_users() {
  is_root || return 0
  local id u dir path
  id=$(cat "$1/instance-id" 2>/dev/null) || return 0
  [[ $id =~ ^[0-9a-f]{8}$ ]] || return 0
  for u in "edgeca-$id-server" "edgeca-$id-signer" "edgeca-$id-db"; do
    id -u "$u" >/dev/null 2>&1 || continue
    for path in "$1" "${@:2}"; do
      dir=$path
      while [ "$dir" != "/" ] && [ -n "$dir" ]; do
        if getfacl -cp "$dir" 2>/dev/null | grep -q "^user:$u:"; then
          setfacl -x "u:$u" "$dir" 2>/dev/null || true
        fi
        dir=$(dirname "$dir")
      done
    done
    userdel "$u" >/dev/null 2>&1 || say "cannot delete user $u"
    if getent group "$u" >/dev/null; then groupdel "$u" >/dev/null 2>&1 || true; fi
  done
}

# as_user USER CMD... : runs CMD as USER when root, else as ourselves.
as_user() {
  local user=$1; shift
  if is_root; then runuser -u "$user" -- "$@"; else "$@"; fi
}

# The same in the background, without a subshell or a runuser process in
# between: setpriv execs the command, so $! is the process itself and
# signals reach it directly. It gets SIGTERM when the calling shell dies,
# even by SIGKILL, so it is not left behind as an orphan.
as_user_bg() {
  local user=$1; shift
  if is_root; then
    setpriv --reuid="$user" --regid="$user" --init-groups --pdeathsig=TERM -- "$@" &
  else
    setpriv --pdeathsig=TERM -- "$@" &
  fi
}

# ensure_traversable USER PATH: lets USER reach PATH by granting search
# (x) permission on the ancestors that deny it, with a narrow ACL.
ensure_traversable() {
  is_root || return 0
  local user=$1 path=$2 dir
  runuser -u "$user" -- test -x "$path" 2>/dev/null && return 0
  dir=$path
  local chain=()
  while [ "$dir" != "/" ]; do chain=("$dir" "${chain[@]}"); dir=$(dirname "$dir"); done
  for dir in "${chain[@]}"; do
    if ! runuser -u "$user" -- test -x "$dir" 2>/dev/null; then
      say "granting $user search permission on $dir (ACL u:$user:x)"
      setfacl -m "u:$user:x" "$dir" || die "cannot grant $user access to $dir"
    fi
  done
}

# owned_dir USER MODE DIR: creates DIR and gives it (recursively, so data
# made by an earlier run as another user follows) to USER.
owned_dir() {
  local user=$1 mode=$2 dir=$3
  mkdir -p "$dir"
  if is_root; then chown -R "$user:" "$dir"; fi
  chmod "$mode" "$dir"
}

# pg_setup DIR: initialises (first time) and starts a private cluster in
# DIR/data with its socket in DIR/run and its log in DIR/postgresql.log.
# Unix socket only. As root it runs as $EDGECA_PG_USER and authenticates
# by peer credentials: root and the PostgreSQL user may act as the admin
# role, the server's user (and root) as the application role. Otherwise
# the socket directory (0700) is the fence.
pg_setup() {
  pg_init "$1"
  pg_start "$1" || { tail -20 "$1/postgresql.log" >&2; die "PostgreSQL did not start"; }
}

# pg_init DIR: pg_setup without the start. Files made by an earlier run as
# other users (an earlier version's, or before instance_users) are given
# to the current ones, and the peer map names them.
pg_init() {
  local dir=$1 bin data sock conf_sock
  bin=$(pg_bindir)
  data=$dir/data
  sock=$dir/run
  [ ${#sock} -lt 100 ] || die "socket directory path too long for PostgreSQL: $sock"
  if is_root; then
    owned_dir "$EDGECA_PG_USER" 711 "$dir"    # others may pass through to the socket
    owned_dir "$EDGECA_PG_USER" 700 "$data"
    owned_dir "$EDGECA_PG_USER" 755 "$sock"   # peer credentials decide who gets in
  else
    mkdir -p "$data" "$sock"
    chmod 700 "$dir" "$data" "$sock"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    say "initialising PostgreSQL cluster in $data"
    as_user "$EDGECA_PG_USER" "$bin/initdb" -D "$data" -U "$EDGECA_DB_ADMIN" -A trust \
      -E UTF8 --locale=C.UTF-8 >/dev/null || die "initdb failed"
    conf_sock=${sock//\'/\'\'}
    cat >>"$data/postgresql.conf" <<CONF
# edgeca: private cluster, Unix socket only
listen_addresses = ''
unix_socket_directories = '$conf_sock'
max_connections = 300
shared_buffers = 256MB
CONF
    if is_root; then
      cat >"$data/pg_hba.conf" <<HBA
# edgeca: Unix socket only, peer credentials mapped in pg_ident.conf
local all $EDGECA_DB_ADMIN peer map=admins
local all $EDGECA_DB_APP   peer map=apps
HBA
    else
      printf 'local all all trust\n' >"$data/pg_hba.conf"
      echo "unix_socket_permissions = 0700" >>"$data/postgresql.conf"
    fi
  fi
  # Written at every start, as the cluster's user (never root writing in
  # a directory another user owns): the users may have changed since.
  # EDGECA_PG_PEER_USERS: the server users of other edgeca machines
  # simulated on this host, which reach this cluster through its socket.
  if is_root; then
    local u peers=''
    for u in ${EDGECA_PG_PEER_USERS:-}; do
      [[ $u =~ ^[a-z_][a-z0-9_-]*$ ]] || die "EDGECA_PG_PEER_USERS: $u is not a user name"
      peers+="apps   $u $EDGECA_DB_APP"$'\n'
    done
    as_user "$EDGECA_PG_USER" tee "$data/pg_ident.conf" >/dev/null <<IDENT || die "cannot write $data/pg_ident.conf"
# edgeca: who may act as which role (written by scripts/lib.sh at each start)
admins root             $EDGECA_DB_ADMIN
admins $EDGECA_PG_USER  $EDGECA_DB_ADMIN
apps   root             $EDGECA_DB_APP
apps   $EDGECA_SERVER_USER $EDGECA_DB_APP
$peers
IDENT
  fi
}

# pg_start DIR: starts the cluster pg_init made ready; fails (no exit)
# when it does not start within 60 s. Its postmaster does not keep fd 9
# (scripts/run's lock) open.
pg_start() {
  as_user "$EDGECA_PG_USER" "$(pg_bindir)/pg_ctl" -D "$1/data" -l "$1/postgresql.log" -w -t 60 \
    start >/dev/null 9>&-
}

pg_stop() {
  local data=$1/data
  [ -f "$data/postmaster.pid" ] || return 0
  as_user "$EDGECA_PG_USER" "$(pg_bindir)/pg_ctl" -D "$data" -m fast -w -t 60 stop \
    >/dev/null 2>&1 || true
}

# pg_postmaster DIR: the pid of DIR's running postmaster, which must be
# proved: a live process named postgres whose working directory is
# DIR/data (a postmaster.pid may name a pid that now belongs to another
# process).
pg_postmaster() {
  local data pid
  data=$(realpath -m "$1/data")
  pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && proc_alive "$pid" || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] || return 1
  [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$data" ] || return 1
  printf '%s\n' "$pid"
}

# pg_stop_left DIR: stops, cleanly (fast shutdown, as pg_ctl stop -m fast
# does), a cluster in DIR that an earlier run left running, whoever runs
# it: its postmaster.pid would keep a new start from working.
pg_stop_left() {
  local pid i
  pid=$(pg_postmaster "$1") || return 0
  say "stopping the PostgreSQL cluster (pid $pid) left running by an earlier run"
  kill -INT "$pid" 2>/dev/null || true
  for ((i = 0; i < 600; i++)); do proc_alive "$pid" || return 0; sleep 0.1; done
  say "PostgreSQL (pid $pid) did not stop in 60 s: immediate shutdown"
  kill -QUIT "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do proc_alive "$pid" || return 0; sleep 0.1; done
  die "cannot stop the PostgreSQL cluster (pid $pid) in $1"
}

# pg_admin_url DIR [DB]: the connection string of the admin role.
pg_admin_url() {
  printf "host='%s' dbname=%s user=%s" "$1/run" "${2:-postgres}" "$EDGECA_DB_ADMIN"
}

# pg_create_db DIR NAME: the application role and database NAME, owned by
# the admin role, when missing.
pg_create_db() {
  local dir=$1 name=$2 psql=(psql -X -q -v ON_ERROR_STOP=1)
  "${psql[@]}" "$(pg_admin_url "$dir")" >/dev/null <<SQL || die "cannot create database $name"
SELECT 'CREATE ROLE $EDGECA_DB_APP LOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$EDGECA_DB_APP') \gexec
SELECT 'CREATE DATABASE $name OWNER $EDGECA_DB_ADMIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$name') \gexec
SQL
}

# Processes are named by pid files that prove identity: "PID START BOOT
# EXE", where START is the process's start time (clock ticks after boot,
# /proc/PID/stat), BOOT the kernel's boot id and EXE the program it runs.
# A pid number alone is never trusted: it may belong to another process
# by now.

# proc_alive PID: PID is a process, and not a zombie.
proc_alive() {
  local stat f
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  read -r -a f <<<"${stat##*) }"
  [ "${f[0]}" != Z ] && [ "${f[0]}" != X ]
}

# proc_start PID: its start time, in clock ticks after boot.
proc_start() {
  local stat f
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  read -r -a f <<<"${stat##*) }"   # fields from the 3rd on: the name may hold ") "
  printf '%s\n' "${f[19]}"
}

# pid_record FILE PID EXE: writes FILE (0644) for the process PID that
# runs, or is about to exec, EXE.
pid_record() {
  local start boot
  start=$(proc_start "$2") || return 1
  boot=$(cat /proc/sys/kernel/random/boot_id)
  printf '%s %s %s %s\n' "$2" "$start" "$boot" "$3" >"$1.new" && mv -f "$1.new" "$1"
}

# pid_recorded FILE: succeeds, the pid in REPLY, when the process FILE
# names is alive and is that very process: same boot, same start time,
# running the recorded program (its executable, or its name when a
# non-dumpable process hides the executable from other users).
pid_recorded() {
  local pid start boot exe real
  REPLY=
  read -r pid start boot exe 2>/dev/null <"$1" || return 1
  [[ $pid =~ ^[0-9]+$ ]] && [ -n "$exe" ] || return 1
  [ "$boot" = "$(cat /proc/sys/kernel/random/boot_id)" ] || return 1
  proc_alive "$pid" && [ "$(proc_start "$pid")" = "$start" ] || return 1
  if real=$(readlink "/proc/$pid/exe" 2>/dev/null); then
    [ "${real% (deleted)}" = "$exe" ] || return 1   # a rebuilt binary shows "(deleted)"
  else
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$(basename "$exe" | cut -c1-15)" ] || return 1
  fi
  REPLY=$pid
}

# stop_recorded FILE WHAT: stops the process FILE names when it is still
# that process (SIGTERM, and SIGCONT in case it is stopped; SIGKILL after
# 15 s), then removes FILE.
stop_recorded() {
  local pid i
  [ -f "$1" ] || return 0
  if pid_recorded "$1"; then
    pid=$REPLY
    say "stopping $2 (pid $pid) left running by an earlier run"
    kill -TERM "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do proc_alive "$pid" || break; sleep 0.1; done
    if proc_alive "$pid"; then
      say "$2 (pid $pid) did not stop in 15 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do proc_alive "$pid" || break; sleep 0.1; done
    fi
  fi
  rm -f "$1"
}

# wait_for_socket PATH SECONDS
wait_for_socket() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do [ -S "$1" ] && return 0; sleep 0.1; done
  return 1
}

# ensure_secrets_key DATA_DIR: the key sealing webhook secrets, unless
# EDGECA_SECRETS_KEY_FILE names another (a copy of another machine's: made
# the server's, 0600). The server would create it, but it may not write in
# the data directory itself.
ensure_secrets_key() {
  local key=$1/secrets.key
  if [ -n "${EDGECA_SECRETS_KEY_FILE:-}" ]; then
    key=$(realpath -m "$EDGECA_SECRETS_KEY_FILE")
    [ -f "$key" ] || die "EDGECA_SECRETS_KEY_FILE: no file $key"
    is_root && ensure_traversable "$EDGECA_SERVER_USER" "$(dirname "$key")"
  elif [ ! -e "$key" ]; then
    (umask 077 && head -c 32 /dev/urandom >"$key") || die "cannot create $key"
  fi
  if is_root; then chown "$EDGECA_SERVER_USER:" "$key"; fi
  chmod 600 "$key"
}

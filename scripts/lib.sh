# Shared by scripts/run, scripts/test and the test fixtures: package
# installation, build, service users and the private PostgreSQL cluster.
# shellcheck shell=bash

EDGECA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EDGECA_DB_USER=edgeca          # runs PostgreSQL and edgeca-server (when started as root)
EDGECA_SIGNER_USER=edgeca-signer

RUNTIME_PACKAGES=(gcc make cmake pkg-config libssl-dev openssl libulfius-dev
                  libmicrohttpd-dev libgnutls28-dev libjansson-dev libpq-dev
                  libcmocka-dev postgresql curl jq acl ca-certificates util-linux)
TEST_PACKAGES=(libcurl4-gnutls-dev python3 python3-yaml python3-jsonschema)

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
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
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
  for u in "$EDGECA_DB_USER" "$EDGECA_SIGNER_USER"; do
    id -u "$u" >/dev/null 2>&1 && continue
    say "creating system user $u"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin "$u" || die "cannot create user $u"
  done
}

as_db_user() {
  if is_root; then runuser -u "$EDGECA_DB_USER" -- "$@"; else "$@"; fi
}

# The same in the background, without a subshell in between, so that $!
# is the process itself (runuser passes signals on to its child).
as_db_user_bg() {
  if is_root; then runuser -u "$EDGECA_DB_USER" -- "$@" & else "$@" & fi
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

# pg_setup DATADIR SOCKDIR LOGFILE: initialises (first time) and starts a
# private cluster listening only on a Unix socket in SOCKDIR.
pg_setup() {
  local data=$1 sock=$2 log=$3 bin
  bin=$(pg_bindir)
  [ ${#sock} -lt 100 ] || die "socket directory path too long for PostgreSQL: $sock"
  mkdir -p "$data" "$sock" "$(dirname "$log")"
  chmod 700 "$data" "$sock"
  if is_root; then chown "$EDGECA_DB_USER:" "$data" "$sock" "$(dirname "$log")"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    say "initialising PostgreSQL cluster in $data"
    as_db_user "$bin/initdb" -D "$data" -U "$EDGECA_DB_USER" -A trust -E UTF8 \
      --locale=C.UTF-8 >/dev/null || die "initdb failed"
    cat >>"$data/postgresql.conf" <<CONF
# edgeca: private cluster, Unix socket only
listen_addresses = ''
unix_socket_directories = '$sock'
unix_socket_permissions = 0700
max_connections = 300
shared_buffers = 256MB
CONF
  fi
  as_db_user "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null \
    || { tail -20 "$log" >&2; die "PostgreSQL did not start (log: $log)"; }
}

pg_stop() {
  local data=$1
  [ -f "$data/postmaster.pid" ] || return 0
  as_db_user "$(pg_bindir)/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

# pg_create_db SOCKDIR NAME
pg_create_db() {
  local sock=$1 name=$2
  if ! as_db_user psql -h "$sock" -U "$EDGECA_DB_USER" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    as_db_user createdb -h "$sock" -U "$EDGECA_DB_USER" "$name" || die "createdb $name failed"
  fi
}

# wait_for_socket PATH SECONDS
wait_for_socket() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do [ -S "$1" ] && return 0; sleep 0.1; done
  return 1
}

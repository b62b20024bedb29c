#!/usr/bin/env bash
# The installed edgeca, from the build under test:
#   - cmake --install into a temporary prefix: the layout, file modes,
#     units naming the installed binaries and configuration file;
#   - --version of both binaries;
#   - edgeca-server check-config: the example file passes, a bad file has
#     every bad line reported with its number; the server reads the file
#     EDGECA_CONFIG names, and the environment wins over it;
#   - systemd-analyze verify of the units (any warning fails), and their
#     exposure (systemd-analyze security) at most 2.0;
#   - the Debian package (cpack -G DEB): its files, its dependencies (every
#     library the binaries link is provided by one of them), conffiles and
#     maintainer scripts that never start a service; its sysusers.d and
#     tmpfiles.d entries applied to a scratch root (as root);
#   - the signer started as its unit starts it (as root, --user,
#     --allow-uid by name, the socket in a directory of the server's user,
#     0700) answers the server's user and refuses root (as root).
set -euo pipefail

src=${EDGECA_TEST_SRC_DIR:?set by ctest}
bin=${EDGECA_TEST_BIN_DIR:?set by ctest}
version=${EDGECA_TEST_VERSION:?set by ctest}

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
ok() { printf 'ok: %s\n' "$*"; }

tmp=$(mktemp -d /tmp/edgeca-install.XXXXXX)
signer_pid=''
cleanup() {
  [ -n "$signer_pid" ] && kill "$signer_pid" 2>/dev/null && wait "$signer_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# ---- cmake --install into a prefix ----------------------------------------
p=$tmp/prefix
cmake --install "$bin" --prefix "$p" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }
for f in bin/edgeca-server bin/edgeca-signer; do
  [ -x "$p/$f" ] || fail "$f not installed as an executable"
done
for f in lib/systemd/system/edgeca-server.service lib/systemd/system/edgeca-signer.service \
         lib/sysusers.d/edgeca.conf lib/tmpfiles.d/edgeca.conf; do
  [ "$(stat -c %a "$p/$f")" = 644 ] || fail "$f missing or not 0644"
done
[ "$(stat -c %a "$p/etc/edgeca/edgeca.conf")" = 640 ] || fail "etc/edgeca/edgeca.conf missing or not 0640"
grep -qx "ExecStart=$p/bin/edgeca-server serve" "$p/lib/systemd/system/edgeca-server.service" \
  || fail "edgeca-server.service does not run $p/bin/edgeca-server"
grep -q "^ExecStart=!$p/bin/edgeca-signer " "$p/lib/systemd/system/edgeca-signer.service" \
  || fail "edgeca-signer.service does not run $p/bin/edgeca-signer"
for u in server signer; do
  grep -qx "EnvironmentFile=-$p/etc/edgeca/edgeca.conf" "$p/lib/systemd/system/edgeca-$u.service" \
    || fail "edgeca-$u.service does not read $p/etc/edgeca/edgeca.conf"
done
# an operator's configuration survives a second install
echo "EDGECA_LOG_LEVEL=debug" >>"$p/etc/edgeca/edgeca.conf"
cmake --install "$bin" --prefix "$p" >/dev/null || fail "second cmake --install"
grep -qx "EDGECA_LOG_LEVEL=debug" "$p/etc/edgeca/edgeca.conf" || fail "a second install replaced edgeca.conf"
ok "cmake --install --prefix: layout, modes, unit paths"

# ---- --version --------------------------------------------------------------
for b in edgeca-server edgeca-signer; do
  out=$("$p/bin/$b" --version) || fail "$b --version exits non-zero"
  [[ $out =~ ^$b\ ${version//./\\.}\ \(commit\ ([0-9a-f]{7,}|unknown)\)$ ]] \
    || fail "$b --version printed \"$out\""
done
commit=$(git -C "$src" rev-parse --short=7 HEAD 2>/dev/null || echo unknown)
[[ $out == *"(commit $commit)" ]] || fail "--version names another commit than $commit: $out"
ok "--version: $out"

# ---- check-config -----------------------------------------------------------
srv=$p/bin/edgeca-server
out=$(env -u EDGECA_CONFIG "$srv" check-config "$p/etc/edgeca/edgeca.conf") \
  || fail "check-config refuses the example file: $out"
cat >"$tmp/bad.conf" <<'CONF'
# a comment, then a blank line

EDGECA_API_PORT=99999
this line has no equals sign
EDGECA_EST_PORT = "8444"
EDGECA_NO_SUCH_SETTING=1
EDGECA_SMTP_USER=mailer
lower_case=1
EDGECA_LOG_LEVEL=loud
EDGECA_EST_PORT=8445
EDGECA_DEFAULT_LOCATION='Not A Name'
EDGECA_PUBLIC_URL=http://ca.example.com
EDGECA_HTTP_THREADS=8
EDGECA_DATABASE_URL=host=/tmp dbname="x"
CONF
set +e
out=$("$srv" check-config "$tmp/bad.conf")
rc=$?
set -e
printf '%s\n' "$out" | sed 's/^/    /'
[ "$rc" -eq 1 ] || fail "check-config on a bad file exits $rc, not 1"
# every bad line, once, and no good one
expected="3 4 6 7 8 9 10 11 12 14"
got=$(printf '%s\n' "$out" | sed -n "s|^$tmp/bad.conf:\([0-9]*\): .*|\1|p" | sort -n | tr '\n' ' ')
[ "$got" = "$expected " ] || fail "check-config reported lines \"$got\", expected \"$expected \""
printf '%s\n' "$out" | grep -q "bad.conf:3: EDGECA_API_PORT must be a whole number" \
  || fail "line 3 not explained"
printf '%s\n' "$out" | grep -q "bad.conf:10: EDGECA_EST_PORT: set already on line 5" \
  || fail "line 10 not explained"
printf '%s\n' "$out" | grep -q "bad.conf: 10 problem(s)" || fail "no count of problems"
set +e
"$srv" check-config "$tmp/missing.conf" >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "check-config on a missing file exits $rc, not 2"
ok "check-config: every bad line reported"

# The server reads EDGECA_CONFIG's file; the environment wins over it. A
# refused port stops it at the configuration (exit 2); the same port from
# the environment gets it to the database, which is not there (exit 1).
printf 'EDGECA_API_PORT=0\nEDGECA_DATABASE_URL=host=%s/no-db dbname=x connect_timeout=2\n' "$tmp" \
  >"$tmp/run.conf"
set +e
msg=$(EDGECA_CONFIG=$tmp/run.conf "$srv" migrate 2>&1)
rc=$?
set -e
[ "$rc" -eq 2 ] && [[ $msg == *EDGECA_API_PORT* ]] \
  || fail "a bad value in EDGECA_CONFIG's file: exit $rc, \"$msg\""
set +e
msg=$(EDGECA_CONFIG=$tmp/run.conf EDGECA_API_PORT=8443 "$srv" migrate 2>&1)
rc=$?
set -e
[ "$rc" -eq 1 ] && [[ $msg == *"$tmp/no-db"* ]] \
  || fail "the environment did not win over the file, or the file's database was not used: exit $rc, \"$msg\""
set +e
msg=$(EDGECA_CONFIG=$tmp/bad.conf "$srv" migrate 2>&1)
rc=$?
set -e
[ "$rc" -eq 2 ] && [[ $msg == *"bad.conf:4: not NAME=VALUE"* ]] \
  || fail "a malformed EDGECA_CONFIG file: exit $rc, \"$msg\""
ok "EDGECA_CONFIG read by the server, the environment wins"

# ---- the units ----------------------------------------------------------------
units=("$p/lib/systemd/system/edgeca-signer.service" "$p/lib/systemd/system/edgeca-server.service")
if ! out=$(systemd-analyze verify "${units[@]}" 2>&1) || [ -n "$out" ]; then
  fail "systemd-analyze verify: $out"
fi
for u in "${units[@]}"; do
  systemd-analyze security --offline=true --threshold=20 "$u" >"$tmp/security.txt" 2>&1 \
    || { tail -3 "$tmp/security.txt"; fail "$(basename "$u"): exposure above 2.0"; }
  ok "$(grep -o 'Overall exposure level.*' "$tmp/security.txt")"
done
grep -qx "RestrictAddressFamilies=AF_UNIX" "${units[0]}" || fail "the signer may use the network"
grep -qx "CapabilityBoundingSet=" "${units[1]}" || fail "the server keeps capabilities"
ok "systemd-analyze verify"

# ---- the Debian package ---------------------------------------------------------
(cd "$bin" && cpack -G DEB -B "$tmp/deb" >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb=$(ls "$tmp"/deb/edgeca_"$version"_*.deb) || fail "no edgeca_${version}_*.deb"
dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/contents"
for f in ./usr/bin/edgeca-server ./usr/bin/edgeca-signer \
         ./usr/lib/systemd/system/edgeca-server.service ./usr/lib/systemd/system/edgeca-signer.service \
         ./usr/lib/sysusers.d/edgeca.conf ./usr/lib/tmpfiles.d/edgeca.conf ./etc/edgeca/edgeca.conf; do
  grep -qx -- "$f" "$tmp/contents" || fail "$f not in the package"
done
depends=$(dpkg-deb -f "$deb" Depends)
# every library the binaries link (NEEDED) comes from a package the .deb
# depends on (the sanitizers' runtime aside)
for b in "$bin/edgeca-server" "$bin/edgeca-signer"; do
  for name in $(readelf -d "$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    lib=$(ldd "$b" | awk -v n="$name" '$1 == n && $3 ~ /^\// {print $3}')
    [ -n "$lib" ] || fail "$b: $name not found by ldd"
    pkg=$(dpkg -S "$(realpath "$lib")" 2>/dev/null | head -n 1 | cut -d: -f1) ||
      pkg=$(dpkg -S "$lib" 2>/dev/null | head -n 1 | cut -d: -f1) || fail "no package has $lib"
    [ -n "$pkg" ] || fail "no package has $lib"
    case $pkg in libasan*|libubsan*|libgcc-s*) continue ;; esac
    re="(^|[ ,|])$pkg([ ,(]|\$)"
    [[ $depends =~ $re ]] || fail "$name ($pkg) is not in Depends: $depends"
  done
done
[[ $depends == *systemd* ]] || fail "Depends lacks systemd"
mkdir "$tmp/control"
dpkg-deb -e "$deb" "$tmp/control"
grep -qx /etc/edgeca/edgeca.conf "$tmp/control/conffiles" || fail "edgeca.conf is not a conffile"
for s in postinst prerm postrm; do [ -x "$tmp/control/$s" ] || fail "no $s"; done
grep -q 'systemd-sysusers' "$tmp/control/postinst" && grep -q 'systemd-tmpfiles --create' "$tmp/control/postinst" \
  && grep -q 'daemon-reload' "$tmp/control/postinst" || fail "postinst lacks sysusers, tmpfiles or daemon-reload"
if grep -E -q 'systemctl +(start|restart|enable)|deb-systemd-invoke' "$tmp/control/postinst"; then
  fail "postinst starts or enables a service"
fi
ok "Debian package: $(basename "$deb"), Depends: $depends"

if [ "$(id -u)" -ne 0 ]; then
  echo "not root: the package's users and directories and the signer's socket are not tried"
  exit 0
fi

# ---- what postinst makes, in a scratch root ------------------------------------------
root=$tmp/root
dpkg-deb -x "$deb" "$root"
systemd-sysusers --root="$root" edgeca.conf >/dev/null 2>&1 || fail "systemd-sysusers --root"
systemd-tmpfiles --root="$root" --create edgeca.conf >/dev/null 2>&1 || fail "systemd-tmpfiles --root"
uid_of() { awk -F: -v u="$1" '$1 == u {print $3}' "$root/etc/passwd"; }
gid_of() { awk -F: -v g="$1" '$1 == g {print $3}' "$root/etc/group"; }
s_uid=$(uid_of edgeca) g_uid=$(uid_of edgeca-signer) s_gid=$(gid_of edgeca)
[ -n "$s_uid" ] && [ -n "$g_uid" ] && [ "$s_uid" != "$g_uid" ] || fail "users edgeca, edgeca-signer not made"
[ "$(stat -c '%u %a' "$root/var/lib/edgeca")" = "$s_uid 700" ] || fail "/var/lib/edgeca is not edgeca's, 0700"
[ "$(stat -c '%u %a' "$root/var/lib/edgeca-signer")" = "$g_uid 700" ] || fail "/var/lib/edgeca-signer is not edgeca-signer's, 0700"
[ "$(stat -c '%u %g %a' "$root/etc/edgeca/edgeca.conf")" = "0 $s_gid 640" ] || fail "edgeca.conf is not root:edgeca 0640"
ok "sysusers.d and tmpfiles.d in a scratch root"

# ---- the signer as its unit starts it ---------------------------------------------
. "$src/scripts/lib.sh"
ensure_users   # edgeca and edgeca-signer: the same names as the package's
run=$tmp/run state=$tmp/signer-state
chmod 755 "$tmp"
install -d -m 700 -o "$EDGECA_SERVER_USER" -g "$EDGECA_SERVER_USER" "$run"     # RuntimeDirectory=
install -d -m 700 -o "$EDGECA_SIGNER_USER" -g "$EDGECA_SIGNER_USER" "$state"   # tmpfiles.d
"$p/bin/edgeca-signer" --state-dir "$state" --socket "$run/signer.sock" \
  --user "$EDGECA_SIGNER_USER" --allow-uid "$EDGECA_SERVER_USER" >"$tmp/signer.log" 2>&1 &
signer_pid=$!
wait_for_socket "$run/signer.sock" 30 || { cat "$tmp/signer.log"; fail "the signer did not start"; }
# the socket is bound before the signer drops its privileges: give it a moment
for _ in $(seq 100); do
  [ "$(stat -c %U "/proc/$signer_pid")" = "$EDGECA_SIGNER_USER" ] && break
  sleep 0.1
done
[ "$(stat -c %U "/proc/$signer_pid")" = "$EDGECA_SIGNER_USER" ] || fail "the signer did not drop to $EDGECA_SIGNER_USER"
# PING (type 0x01, empty payload): an answer is a frame of the protocol; a
# refused peer's connection is closed (or reset) unanswered
ping='import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
    s.sendall(b"ES\x02\x01\x00\x00\x00\x00")
    reply = s.recv(8)
except (ConnectionResetError, BrokenPipeError):
    reply = b""
except OSError as e:
    print("error:", e.strerror); sys.exit(0)
print("answered" if reply[:3] == b"ES\x02" else "closed")'
out=$(runuser -u "$EDGECA_SERVER_USER" -- python3 -c "$ping" "$run/signer.sock")
[ "$out" = answered ] || fail "the server's user got no answer: $out"
out=$(python3 -c "$ping" "$run/signer.sock")
[ "$out" = closed ] || fail "root was not refused: $out"
out=$(runuser -u nobody -- python3 -c "$ping" "$run/signer.sock")
[[ $out == "error: Permission denied" ]] || fail "another user reached the socket: $out"
ok "the signer answers the server's user only"

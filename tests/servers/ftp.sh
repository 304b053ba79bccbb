#!/usr/bin/env bash
# Part of the inet test harness (tests/src/servers.rs runs it); keep it runnable by hand too.
# proftpd on 127.0.0.1:FTP_PORT; user inetftp/inetftp (read-write) + anonymous (read-only), both chrooted
# to STATE_DIR/ftp; passive ports FTP_PASV_MIN..FTP_PASV_MAX on 127.0.0.1. Needs root (system user, chroot).
# FTPS: explicit AUTH TLS on the same port (optional for clients), certificate for localhost/127.0.0.1 signed
# by a throwaway CA at STATE_DIR/tls/ca.crt; proftpd's default demands that each data connection resumes the
# control connection's TLS session (curl does this; a client that cannot gets "450/522 ... reuse required").
# usage: ftp.sh [start] [STATE_DIR] [FTP_PORT] [FTP_PASV_MIN]
#        (env STATE_DIR, FTP_PORT, FTP_PASV_MIN, FTP_PASV_MAX; a FTP_PASV_MIN argument gives a range of 20)
#        ftp.sh stop STATE_DIR
# Writes STATE_DIR/{server.pid,env,proftpd.conf,logs/,ftp/}. Prints "READY ftp PORT STATE_DIR".
set -euo pipefail
cmd=start; case "${1:-}" in start|stop) cmd=$1; shift ;; esac
S=${1:-${STATE_DIR:-}}; PORT=${2:-${FTP_PORT:-18021}}
if [ -n "${3:-}" ]; then PMIN=$3; PMAX=$(( $3 + 19 )); else PMIN=${FTP_PASV_MIN:-18100}; PMAX=${FTP_PASV_MAX:-18199}; fi
PATH=$PATH:/usr/sbin:/sbin
EXE=proftpd

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ "$cmd" = stop ]; then
  [ -n "$S" ] || { echo "usage: $0 stop STATE_DIR" >&2; exit 2; }
  stop_server
  if [ -f "$S/ftp-root" ]; then r=$(cat "$S/ftp-root"); case $r in /tmp/inet-ftp-root.*) rm -rf -- "$r" ;; esac; rm -f "$S/ftp-root"; fi
  echo "STOPPED $S"; exit 0
fi

[ "$(id -u)" = 0 ] || { echo "ftp.sh must run as root" >&2; exit 1; }
install_once proftpd proftpd-basic
# useradd serves one client at a time too: the same lock as apt
flock /tmp/inet-tests-apt.lock bash -c '
  # passwd home is unused: DefaultRoot below chroots every login into STATE_DIR/ftp (no usermod per run)
  id inetftp >/dev/null 2>&1 || { useradd -M -d /nonexistent -s /usr/sbin/nologin inetftp; echo inetftp:inetftp | chpasswd; }
  id ftp >/dev/null 2>&1 || useradd -r -M -d /nonexistent -s /usr/sbin/nologin ftp'
[ -n "$S" ] || S=$(mktemp -d)
# a root linked in /tmp by an earlier run and removed by its stop: start afresh
[ -L "$S/ftp" ] && [ ! -e "$S/ftp" ] && rm -f "$S/ftp"
mkdir -p "$S"/{logs,ftp,tls}; S=$(cd "$S" && pwd -P); chmod 755 "$S"
# The FTP root is STATE_DIR/ftp, unless user ftp (anonymous sessions switch to it before chroot)
# cannot reach it because a parent directory is closed to others: then a world-reachable directory
# in /tmp, linked as STATE_DIR/ftp (so STATE_DIR/ftp/data still works) and removed on stop.
ROOT=$(cd "$S/ftp" && pwd -P)
if ! runuser -u ftp -- test -x "$ROOT"; then
  ROOT=$(mktemp -d /tmp/inet-ftp-root.XXXXXX); chmod 755 "$ROOT"
  rm -rf "$S/ftp"; ln -s "$ROOT" "$S/ftp"; echo "$ROOT" > "$S/ftp-root"
fi
if srvpid >/dev/null; then echo "READY ftp $(sed -n 's/^FTP_PORT=//p' "$S/env") $S"; exit 0; fi   # already running
port_open "$PORT" && { echo "port $PORT already in use" >&2; exit 1; }
[ -f "$ROOT/welcome.txt" ] || echo "Hello from ftp" > "$ROOT/welcome.txt"
if [ ! -f "$S/tls/server.crt" ]; then (cd "$S/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=inet test CA" -keyout ca.key -out ca.crt \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
  printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
    "keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" > server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 8)" \
    -days 825 -extfile server.ext -out server.crt 2>/dev/null); fi
chmod 600 "$S/tls/server.key"
chown -R inetftp: "$ROOT"
# anonymous sessions switch to user ftp before chroot, so every parent of STATE_DIR must be searchable by it
runuser -u ftp -- test -x "$ROOT" || { echo "user ftp cannot reach $ROOT: chmod o+x its parents" >&2; exit 1; }

cat > "$S/proftpd.conf" <<CONF
ServerType standalone
ServerName "inet test ftp"
# listen on 127.0.0.1 only; PASV replies carry 127.0.0.1 and a port from PassivePorts
DefaultAddress 127.0.0.1
SocketBindTight on
UseIPv6 off
Port $PORT
PassivePorts $PMIN $PMAX
User nobody
Group nogroup
PidFile $S/proftpd.pid
ScoreboardFile $S/proftpd.scoreboard
SystemLog $S/logs/proftpd.log
TransferLog $S/logs/xferlog
WtmpLog off
UseReverseDNS off
DelayEngine off
# /etc/shadow directly (no PAM); nologin shell is fine; chroot to the state dir, not the passwd home
AuthOrder mod_auth_unix.c
UseFtpUsers off
RequireValidShell off
DefaultRoot $ROOT
Umask 022
AllowOverwrite on
AllowStoreRestart on
AllowRetrieveRestart on
MaxInstances 50
ModulePath /usr/lib/proftpd
LoadModule mod_tls.c
<IfModule mod_tls.c>
  TLSEngine on
  TLSRequired off
  TLSProtocol TLSv1.2 TLSv1.3
  TLSRSACertificateFile $S/tls/server.crt
  TLSRSACertificateKeyFile $S/tls/server.key
  TLSLog $S/logs/tls.log
  TLSVerifyClient off
  # Client certificates are not asked for, but without a CA file of its own every session (a forked
  # child) parses the system's whole CA bundle before its greeting: ~35 ms of server CPU each.
  TLSCACertificateFile $S/tls/ca.crt
</IfModule>
<Anonymous $ROOT>
  User ftp
  Group nogroup
  UserAlias anonymous ftp
  RequireValidShell off
  <Limit WRITE SITE_CHMOD>
    DenyAll
  </Limit>
</Anonymous>
CONF
proftpd -t -c "$S/proftpd.conf" >"$S/logs/configtest.log" 2>&1 || { cat "$S/logs/configtest.log" >&2; exit 1; }
proftpd -n -c "$S/proftpd.conf" </dev/null >>"$S/logs/proftpd.out" 2>&1 &
echo $! > "$S/server.pid"
printf 'FTP_PORT=%s\nFTP_USER=inetftp\nFTP_PASS=inetftp\nFTP_ROOT=%s\nFTP_PASV=%s-%s\nFTP_CA_CERT=%s\n' "$PORT" "$ROOT" "$PMIN" "$PMAX" "$S/tls/ca.crt" > "$S/env"
for _ in $(seq 100); do
  srvpid >/dev/null || { echo "proftpd died:" >&2; tail -5 "$S/logs/proftpd.out" >&2; exit 1; }
  port_open "$PORT" && { echo "READY ftp $PORT $S"; exit 0; }
  sleep 0.1; done
echo "proftpd not listening after 10s" >&2; exit 1

#!/usr/bin/env bash
# Part of the inet test harness (tests/src/servers.rs runs it); keep it runnable by hand too.
# Gopher on 127.0.0.1:GOPHER_PORT serving STATE_DIR/gopher. GOPHER_SERVER picks the server:
#   gophernicus (default): plain Gopher, run per connection by socat; menus end with a "." line, text is
#     sent as it is (LF becomes CRLF; no "." line, no dot-stuffing); type 7 search at /search.
#   pygopherd (gopher-plus.sh): Gopher+ (a "+" fifth field on menu lines, "+-2"/"+N" reply headers,
#     "!" and "$" attribute requests, "--2" errors); menus have no "." line; text is sent as it is (LF).
# Serves: gophermap with i lines, 0 /hello.txt, 0 /dots.txt (lines starting with "."), 1 /dir, 9 /bin.dat
#   (64 KiB, the same bytes on every run), 7 /search (gophernicus only), h URL: link; and whatever
#   mkdata.sh puts in gopher/data.
# usage: gopher.sh [start] [STATE_DIR] [GOPHER_PORT]     (env STATE_DIR, GOPHER_PORT, GOPHER_SERVER)
#        gopher.sh stop STATE_DIR
# Writes STATE_DIR/{server.pid,env,logs/,gopher/}. Prints "READY gopher PORT STATE_DIR".
# Both servers drop to user nobody when started as root (gophernicus refuses root): when nobody cannot
# reach STATE_DIR/gopher, the root is a world-readable directory in /tmp linked as STATE_DIR/gopher and
# removed on stop. STATE_DIR must not contain spaces, ':' or ',' (socat's address syntax).
set -euo pipefail
cmd=start; case "${1:-}" in start|stop) cmd=$1; shift ;; esac
S=${1:-${STATE_DIR:-}}; PORT=${2:-${GOPHER_PORT:-18070}}; SERVER=${GOPHER_SERVER:-gophernicus}
PATH=$PATH:/usr/sbin:/sbin
if [ "$cmd" = stop ] && [ -n "$S" ] && [ -f "$S/env" ]; then SERVER=$(sed -n 's/^GOPHER_SERVER=//p' "$S/env"); fi
case $SERVER in gophernicus) EXE=socat ;; pygopherd) EXE=python3 ;;
  *) echo "GOPHER_SERVER must be gophernicus or pygopherd" >&2; exit 2 ;; esac

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ "$cmd" = stop ]; then
  [ -n "$S" ] || { echo "usage: $0 stop STATE_DIR" >&2; exit 2; }
  stop_server
  if [ -f "$S/gopher-root" ]; then r=$(cat "$S/gopher-root"); case $r in /tmp/inet-gopher-root.*) rm -rf -- "$r" ;; esac; rm -f "$S/gopher-root"; fi
  echo "STOPPED $S"; exit 0
fi

if [ "$SERVER" = gophernicus ]; then install_once gophernicus gophernicus; install_once socat socat
else install_once pygopherd pygopherd; fi
install_once openssl openssl
[ -n "$S" ] || S=$(mktemp -d)
case $S in *[[:space:]:,]*) echo "STATE_DIR must not contain spaces, ':' or ',': $S" >&2; exit 1 ;; esac
# a root linked in /tmp by an earlier run and removed by its stop: start afresh
[ -L "$S/gopher" ] && [ ! -e "$S/gopher" ] && rm -f "$S/gopher"
mkdir -p "$S/logs" "$S/gopher"; S=$(cd "$S" && pwd -P); chmod 755 "$S"
if srvpid >/dev/null; then echo "READY gopher $(sed -n 's/^GOPHER_PORT=//p' "$S/env") $S"; exit 0; fi   # already running
port_open "$PORT" && { echo "port $PORT already in use" >&2; exit 1; }
G=$(cd "$S/gopher" && pwd -P)
su=; asroot=()
if [ "$(id -u)" = 0 ]; then
  su=,su=nobody; asroot=(-e "s|^#setuid = .*|setuid = nobody|" -e "s|^#setgid = .*|setgid = nogroup|")
  if ! runuser -u nobody -- test -x "$G"; then
    G=$(mktemp -d /tmp/inet-gopher-root.XXXXXX); chmod 755 "$G"
    rm -rf "$S/gopher"; ln -s "$G" "$S/gopher"; echo "$G" > "$S/gopher-root"
  fi
fi

mkdir -p "$G/dir/sub" "$G/search"
echo "Hello, gopher!" > "$G/hello.txt"
printf '%s\n' "line one" ".dot line" "..two dots" "." "after the lone dot" > "$G/dots.txt"
echo "nested file" > "$G/dir/nested.txt"; echo "deeper file" > "$G/dir/sub/deep.txt"
[ "$(stat -c %s "$G/bin.dat" 2>/dev/null)" = 65536 ] ||
  head -c 65536 /dev/zero | openssl enc -aes-128-ctr -nosalt -K 676f70686572676f70686572676f7068 \
    -iv 00000000000000000000000000000000 > "$G/bin.dat"
printf '%s\n' "Welcome to the inet test gopher server." "This line and the one above are type i info lines." \
  $'0Hello text\t/hello.txt' $'0Lines starting with a dot\t/dots.txt' $'1A directory\t/dir' \
  $'9Binary file (64 KiB)\t/bin.dat' $'7Search (gophernicus only)\t/search' \
  $'hWeb link\tURL:http://127.0.0.1:18080/hello.txt' > "$G/gophermap"
# gophernicus executes an executable gophermap; the search terms arrive in $SEARCHREQUEST
printf '%s\n' '#!/bin/sh' 'echo "You searched for: $SEARCHREQUEST"' \
  'printf "0Hello text\t/hello.txt\n"' > "$G/search/gophermap"
chmod -R a+rX "$G"; chmod 755 "$G/search/gophermap"
touch "$S/logs/access.log"
if [ -n "$su" ]; then
  chown nobody "$S/logs/access.log"
  runuser -u nobody -- test -r "$G/hello.txt" || { echo "user nobody cannot read $G/hello.txt" >&2; exit 1; }
fi

if [ "$SERVER" = gophernicus ]; then
  # Through sh, exiting 0: gophernicus exits 1 after an error reply ("Error: File or directory not
  # found!"), and socat, seeing a child fail, quit without passing on what it wrote — about one
  # error reply in four arrived empty.
  socat "TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork" \
    "SYSTEM:gophernicus -h 127.0.0.1 -p $PORT -r $G -l $S/logs/access.log -nv -nm -ns -nf -nd -nu; exit 0$su" \
    </dev/null >>"$S/logs/server.out" 2>&1 &
  PLUS=0
else
  sed -e "s|^pidfile = .*|pidfile = $S/logs/pygopherd.pid|" -e "s|^port = .*|port = $PORT|" \
      -e "s|^# interface = .*|interface = 127.0.0.1|" -e "s|^# servername = .*|servername = 127.0.0.1|" \
      -e "s|^usechroot = .*|usechroot = no|" -e "s|^root = .*|root = $G|" -e "s|^logmethod = .*|logmethod = file|" \
      "${asroot[@]}" /etc/pygopherd/pygopherd.conf > "$S/pygopherd.conf"
  # Debian's python3: pygopherd's modules are installed for it (a python3 earlier in PATH may lack them)
  /usr/bin/python3 /usr/sbin/pygopherd "$S/pygopherd.conf" </dev/null >>"$S/logs/server.out" 2>&1 &
  PLUS=1
fi
echo $! > "$S/server.pid"
printf 'GOPHER_PORT=%s\nGOPHER_SERVER=%s\nGOPHER_ROOT=%s\nGOPHER_PLUS=%s\n' "$PORT" "$SERVER" "$G" "$PLUS" > "$S/env"
for _ in $(seq 100); do
  srvpid >/dev/null || { echo "$SERVER died:" >&2; tail -5 "$S/logs/server.out" >&2; exit 1; }
  port_open "$PORT" && { echo "READY gopher $PORT $S"; exit 0; }
  sleep 0.1; done
echo "$SERVER not listening after 10s" >&2; exit 1

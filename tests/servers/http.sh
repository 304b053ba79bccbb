#!/usr/bin/env bash
# Part of the inet test harness (tests/src/servers.rs runs it); keep it runnable by hand too.
# nginx on 127.0.0.1: HTTP on HTTP_PORT, HTTPS on HTTPS_PORT (cert signed by a throwaway CA).
# usage: http.sh [start] [STATE_DIR] [HTTP_PORT] [HTTPS_PORT]    (env STATE_DIR, HTTP_PORT, HTTPS_PORT)
#        http.sh stop STATE_DIR
# Writes STATE_DIR/{server.pid,env,logs/,www/,tls/ca.crt}. Prints "READY http|https PORT STATE_DIR".
set -euo pipefail
cmd=start; case "${1:-}" in start|stop) cmd=$1; shift ;; esac
S=${1:-${STATE_DIR:-}}; HTTP_PORT=${2:-${HTTP_PORT:-18080}}; HTTPS_PORT=${3:-${HTTPS_PORT:-18443}}
PATH=$PATH:/usr/sbin:/sbin
EXE=nginx

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ "$cmd" = stop ]; then
  [ -n "$S" ] || { echo "usage: $0 stop STATE_DIR" >&2; exit 2; }
  stop_server
  echo "STOPPED $S"; exit 0
fi

install_once nginx nginx
[ -n "$S" ] || S=$(mktemp -d)
mkdir -p "$S"/{logs,tmp,tls,www/basic,www/upload}; S=$(cd "$S" && pwd -P); chmod 755 "$S"
if srvpid >/dev/null; then   # already running: report the ports it was started with
  echo "READY http $(sed -n 's/^HTTP_PORT=//p' "$S/env") $S"; echo "READY https $(sed -n 's/^HTTPS_PORT=//p' "$S/env") $S"; exit 0; fi
for p in "$HTTP_PORT" "$HTTPS_PORT"; do port_open "$p" && { echo "port $p already in use" >&2; exit 1; }; done

# TLS: CA (trust anchor for clients) + leaf for localhost/127.0.0.1 (rustls rejects a CA:TRUE leaf)
if [ ! -f "$S/tls/server.crt" ]; then (cd "$S/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=inet test CA" -keyout ca.key -out ca.crt \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
  printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
    "keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" > server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 8)" \
    -days 825 -extfile server.ext -out server.crt 2>/dev/null); fi
echo "user:$(openssl passwd -apr1 pass)" > "$S/htpasswd"
echo "Hello, world!" > "$S/www/hello.txt"
echo "<html><body>index</body></html>" > "$S/www/index.html"
echo "secret" > "$S/www/basic/secret.txt"
for i in $(seq 2000); do echo "line $i: the quick brown fox jumps over the lazy dog"; done > "$S/www/text.txt"

cat > "$S/nginx.conf" <<CONF
$([ "$(id -u)" = 0 ] && echo "user root;")
worker_processes 1;
pid $S/tmp/nginx.pid;
error_log $S/logs/error.log info;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log $S/logs/access.log;
  client_body_temp_path $S/tmp/body; proxy_temp_path $S/tmp/proxy; fastcgi_temp_path $S/tmp/fastcgi;
  uwsgi_temp_path $S/tmp/uwsgi; scgi_temp_path $S/tmp/scgi;
  keepalive_timeout 65; keepalive_requests 1000; sendfile on;
  gzip on; gzip_vary on; gzip_types text/plain text/css text/xml application/json application/javascript;
  server {
    listen 127.0.0.1:$HTTP_PORT;
    listen 127.0.0.1:$HTTPS_PORT ssl;
    server_name localhost;
    ssl_certificate $S/tls/server.crt; ssl_certificate_key $S/tls/server.key;
    root $S/www;
    location = /redirect { return 302 /hello.txt; }
    location /basic/ { auth_basic "inet test"; auth_basic_user_file $S/htpasswd; }
    # sub_filter drops Content-Length, so every response here is Transfer-Encoding: chunked
    location /chunked/ { alias $S/www/; sub_filter_types *; sub_filter_once off; sub_filter "@@never@@" ""; }
    location /upload/ { dav_methods PUT DELETE MKCOL; create_full_put_path on; client_max_body_size 0; }
  }
}
CONF
nginx -t -q -p "$S/" -e "$S/logs/error.log" -c "$S/nginx.conf"
nginx -p "$S/" -e "$S/logs/error.log" -c "$S/nginx.conf" -g "daemon off;" </dev/null >>"$S/logs/nginx.out" 2>&1 &
echo $! > "$S/server.pid"
printf 'HTTP_PORT=%s\nHTTPS_PORT=%s\nCA_CERT=%s\nDOCROOT=%s\nBASIC_AUTH=user:pass\n' \
  "$HTTP_PORT" "$HTTPS_PORT" "$S/tls/ca.crt" "$S/www" > "$S/env"
for _ in $(seq 100); do
  srvpid >/dev/null || { echo "nginx died:" >&2; tail -5 "$S/logs/error.log" >&2; exit 1; }
  port_open "$HTTP_PORT" && port_open "$HTTPS_PORT" && { echo "READY http $HTTP_PORT $S"; echo "READY https $HTTPS_PORT $S"; exit 0; }
  sleep 0.1; done
echo "nginx not listening after 10s" >&2; exit 1

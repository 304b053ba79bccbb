# Part of the inet test harness: what the server scripts beside it share. Sourced, after the
# script has set S (its state directory) and EXE (the server's executable name).

# srvpid: the pid in $S/server.pid, only if it is still a live (non-zombie) $EXE process
srvpid() { local p; p=$(cat "$S/server.pid" 2>/dev/null) || return 1
  [[ $(readlink "/proc/$p/exe" 2>/dev/null) == *"$EXE"* && $(awk '{print $3}' "/proc/$p/stat") != Z ]] && echo "$p"; }

# port_open PORT: something accepts on 127.0.0.1:PORT
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# stop_server: SIGTERM the server, SIGKILL if it is still there after 10 s; forget its pid
stop_server() { local p
  if p=$(srvpid); then kill "$p"; for _ in $(seq 100); do srvpid >/dev/null || break; sleep 0.1; done
    if srvpid >/dev/null; then kill -9 "$p"; fi; fi
  rm -f "$S/server.pid"; }

# install_once COMMAND PACKAGE: apt-get install PACKAGE unless COMMAND exists. apt/dpkg serve one
# client at a time: parallel test processes queue on a lock (util-linux flock).
install_once() { command -v "$1" >/dev/null || DEBIAN_FRONTEND=noninteractive flock /tmp/inet-tests-apt.lock bash -c '
  command -v "$1" >/dev/null || apt-get install -y --no-install-recommends "$2" >&2 ||
  { apt-get update >&2 && apt-get install -y --no-install-recommends "$2" >&2; }' install_once "$1" "$2"; }

#!/usr/bin/env bash
# A current Docker engine (Debian trixie's docker.io) for the end-to-end tests, run from a debootstrapped
# tree on this host, each engine with its own socket, data root and (optionally) network namespace.
#
#   engine.sh start NAME [NETNS]   start engine NAME; prints its socket (unix://…)
#   engine.sh stop NAME            stop it (SIGTERM, then wait)
#   engine.sh restart NAME         a clean restart of its dockerd (SIGTERM, then the same dockerd again)
#   engine.sh socket NAME          print its socket
#
# Each engine reads /run/daemon.json in its tree (STATE/NAME/run/daemon.json, {} at start) for the
# settings Docker reloads on SIGHUP, such as live-restore: with it, `restart` leaves the containers running.
#
# The tree is entered with pivot_root in a mount namespace of its own, not chroot: under chroot
# `docker exec` (and so every healthcheck) runs with the host's files, so a container could look healthy
# with an image that lacks its own probe tool. A second or third engine in its own network namespace
# is a second or third Swarm node; it is started with nsenter --net (ip netns exec remounts /sys and
# hides the cgroup mounts). MCP_ENGINE_ARGS adds dockerd flags (e.g. --registry-mirror=…).
set -euo pipefail

CACHE=${MCP_CI_CACHE:-/var/cache/mcp-platform-ci}
ROOT=${MCP_ENGINE_ROOT:-$CACHE/engine/trixie-root}
STATE=${MCP_ENGINE_STATE:-/var/lib/mcp-platform-e2e}

usage() { echo "usage: $0 start NAME [NETNS] | stop NAME | restart NAME | socket NAME" >&2; exit 2; }

name_ok() { [[ $1 =~ ^[a-z][a-z0-9-]{0,20}$ ]] || { echo "engine name must be a short lowercase word, got '$1'" >&2; exit 2; }; }

socket_of() { echo "unix://$STATE/$1/run/docker.sock"; }

start() {
  local name=$1 netns=${2:-}
  name_ok "$name"
  [[ -x $ROOT/usr/sbin/dockerd ]] || { echo "no engine tree at $ROOT (run .ci/toolchain/install.sh)" >&2; exit 1; }
  local dir=$STATE/$name
  mkdir -p "$dir/run" "$dir/data" "$dir/tmp"
  if [[ -S $dir/run/docker.sock ]] && docker -H "$(socket_of "$name")" version >/dev/null 2>&1; then
    socket_of "$name"; return 0
  fi
  # A namespace left from an engine that died holds its mounts: let it go.
  if [[ -f $dir/run/holder.pid ]]; then kill -TERM "$(cat "$dir/run/holder.pid")" 2>/dev/null || true; fi
  rm -f "$dir/run/docker.sock" "$dir/run/docker.pid" "$dir/run/holder.pid"
  echo '{}' >"$dir/run/daemon.json"
  local enter=()
  if [[ -n $netns ]]; then
    [[ -e /var/run/netns/$netns ]] || { ip netns add "$netns"; ip -n "$netns" link set lo up; }
    enter=(nsenter "--net=/var/run/netns/$netns")
  fi
  # Extra dockerd flags, split on spaces (flags carry no spaces).
  local extra=()
  read -r -a extra <<<"${MCP_ENGINE_ARGS:-}"
  # Each engine gets its own bridge subnet so engines in one network namespace never collide.
  local bip=${MCP_ENGINE_BIP:-172.30.$((RANDOM % 200 + 20)).1/24}
  # The mount namespace: the tree bound onto itself (pivot_root needs a mount point), the kernel's
  # filesystems, and this engine's own run, data and tmp directories; then the tree becomes /.
  # shellcheck disable=SC2016 # the inner script expands its own positional arguments
  "${enter[@]}" unshare --mount --fork bash -c '
    set -e
    root=$1 dir=$2 bip=$3
    shift 3
    mount --make-rprivate /
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount --rbind /dev "$root/dev"
    mount --bind "$dir/run" "$root/run"
    mkdir -p "$root/var/lib/docker"
    mount --bind "$dir/data" "$root/var/lib/docker"
    mount --bind "$dir/tmp" "$root/tmp"
    cd "$root"
    mkdir -p oldroot
    pivot_root . oldroot
    umount -l /oldroot
    # A process that holds this mount namespace (and the network namespaces Docker mounts in it) while
    # dockerd restarts: `restart` starts the new dockerd in here, where the running containers live.
    sleep infinity </dev/null >/dev/null 2>&1 &
    echo $! >/run/holder.pid
    set -- -H unix:///run/docker.sock --pidfile /run/docker.pid --exec-root /run/docker-exec \
      --data-root /var/lib/docker --bip "$bip" --log-level warn --config-file /run/daemon.json "$@"
    printf "%s\n" "$@" >/run/dockerd.args
    exec dockerd "$@"
  ' _ "$ROOT" "$dir" "$bip" "${extra[@]}" >"$dir/dockerd.log" 2>&1 &
  echo $! >"$dir/launcher.pid"
  local sock; sock=$(socket_of "$name")
  for _ in $(seq 1 150); do
    if docker -H "$sock" version >/dev/null 2>&1; then echo "$sock"; return 0; fi
    if ! kill -0 "$(cat "$dir/launcher.pid")" 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "engine $name did not start; its log:" >&2
  tail -n 30 "$dir/dockerd.log" >&2
  exit 1
}

# SIGTERM to the engine's dockerd, and wait for it to exit (30 s, then SIGKILL).
stop_dockerd() {
  local dir=$1 pid=""
  # The pid file is written inside the engine's namespace, but its pid is the host's (same pid namespace).
  [[ -f $dir/run/docker.pid ]] && pid=$(cat "$dir/run/docker.pid")
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  fi
  return 0
}

restart() {
  local name=$1 dir=$STATE/$1
  name_ok "$name"
  local holder=""
  [[ -f $dir/run/holder.pid ]] && holder=$(cat "$dir/run/holder.pid")
  if [[ -z $holder ]] || ! kill -0 "$holder" 2>/dev/null; then echo "engine $name is not running (engine.sh start $name)" >&2; exit 1; fi
  stop_dockerd "$dir"
  rm -f "$dir/run/docker.sock" "$dir/run/docker.pid"
  local args=()
  mapfile -t args <"$dir/run/dockerd.args"
  # The same dockerd, in the namespaces (mount, network) and root of the first one.
  nsenter -t "$holder" -m -n -r -w dockerd "${args[@]}" >>"$dir/dockerd.log" 2>&1 &
  local sock; sock=$(socket_of "$name")
  for _ in $(seq 1 300); do
    if docker -H "$sock" version >/dev/null 2>&1; then echo "$sock"; return 0; fi
    sleep 0.2
  done
  echo "engine $name did not come back; its log:" >&2
  tail -n 30 "$dir/dockerd.log" >&2
  exit 1
}

stop() {
  local name=$1 dir=$STATE/$1
  name_ok "$name"
  stop_dockerd "$dir"
  if [[ -f $dir/run/holder.pid ]]; then
    kill -TERM "$(cat "$dir/run/holder.pid")" 2>/dev/null || true
    rm -f "$dir/run/holder.pid"
  fi
  if [[ -f $dir/launcher.pid ]]; then
    local launcher; launcher=$(cat "$dir/launcher.pid")
    if kill -0 "$launcher" 2>/dev/null; then kill -TERM "$launcher" 2>/dev/null || true; fi
    rm -f "$dir/launcher.pid"
  fi
  rm -f "$dir/run/docker.sock"
}

case ${1:-} in
  start) [[ $# -ge 2 ]] || usage; start "$2" "${3:-}" ;;
  stop) [[ $# -eq 2 ]] || usage; stop "$2" ;;
  restart) [[ $# -eq 2 ]] || usage; restart "$2" ;;
  socket) [[ $# -eq 2 ]] || usage; socket_of "$2" ;;
  *) usage ;;
esac

#!/bin/sh
# The gateway container's process (POSIX sh: the official haproxy image is Debian slim). It runs HAProxy
# in master-worker mode on the config the platform renders, and reloads it in place when the config
# directory changes: scaling a server or changing a limit rewrites the files, never the container.
# A changed set of files is reloaded once it has stayed the same for one poll (a writer may still be busy)
# and only after `haproxy -c` accepts it; an invalid config is reported and the running one keeps serving.
# On a reload the master starts new workers on the same listening sockets; the old workers finish their
# open requests and SSE streams (up to hard-stop-after) while the new ones take every new connection.
set -eu

CONF_DIR=${MCP_GATEWAY_CONF_DIR:-/usr/local/etc/haproxy/mcp-platform}
POLL_SECONDS=${MCP_GATEWAY_RELOAD_POLL_SECONDS:-2}
HAPROXY=${MCP_GATEWAY_HAPROXY:-haproxy}
CFG=$CONF_DIR/haproxy.cfg

log() { printf 'gateway: %s\n' "$*" >&2; }

# Content of every file of the directory; ls is sorted, so the order is stable.
fingerprint() {
  (cd "$CONF_DIR" && for f in *; do [ -f "$f" ] && printf '%s\n' "$f" && cat "$f"; done) 2>/dev/null | cksum
}

"$HAPROXY" -W -db -f "$CFG" &
master=$!

# shellcheck disable=SC2317 # called by the traps below
stop() {
  # USR1: finish what is in flight, then stop (the image's STOPSIGNAL); TERM: stop now.
  kill "-$1" "$master" 2>/dev/null || true
  status=0
  wait "$master" || status=$?
  exit "$status"
}
trap 'stop USR1' USR1
trap 'stop TERM' TERM INT

loaded=$(fingerprint)
pending=$loaded
while kill -0 "$master" 2>/dev/null; do
  sleep "$POLL_SECONDS" &
  wait $! || true
  now=$(fingerprint)
  if [ "$now" = "$loaded" ]; then
    pending=$now
    continue
  fi
  if [ "$now" != "$pending" ]; then
    pending=$now
    continue
  fi
  if out=$("$HAPROXY" -c -q -f "$CFG" 2>&1); then
    log "config changed: reloading in place"
    kill -USR2 "$master"
  else
    log "config changed but is invalid; still serving the previous one:"
    printf '%s\n' "$out" >&2
  fi
  loaded=$now
done

status=0
wait "$master" || status=$?
log "haproxy exited with status $status"
exit "$status"

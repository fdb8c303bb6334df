#!/bin/sh
# Swarm mode wrapper for a server that stops at once on SIGTERM (graphiti's uvicorn): it runs the server
# and, when the task is told to stop, keeps it serving MCP_PLATFORM_DRAIN_SECONDS more before passing the
# signal on. Swarm takes a stopping task's address out of DNS before it signals the task; meanwhile the
# gateways resolve the replica's name again and move to its successor, and the requests the old task holds
# finish. Exits with the server's status.
set -u
# Set by the platform from the service's drainSeconds: no default here to drift from the config's.
if [ -z "${MCP_PLATFORM_DRAIN_SECONDS+set}" ]; then
  echo "drain: MCP_PLATFORM_DRAIN_SECONDS is not set (the platform sets it from the service's drainSeconds)" >&2
  exit 2
fi
drain=$MCP_PLATFORM_DRAIN_SECONDS
case $drain in '' | *[!0-9]*)
  echo "drain: MCP_PLATFORM_DRAIN_SECONDS must be a whole number of seconds, not '$drain'" >&2
  exit 2
  ;;
esac
unset MCP_PLATFORM_DRAIN_SECONDS

"$@" &
server=$!

stopping=
stop() {
  # A second signal while draining does not shorten the drain: Swarm sends one, then SIGKILL at the end
  # of the task's stop grace period.
  [ -n "$stopping" ] && return
  stopping=1
  echo "drain: $1 received; serving ${drain} s more before passing it on" >&2
  sleep "$drain"
  kill "-$1" "$server" 2>/dev/null
}
trap 'stop TERM' TERM
trap 'stop INT' INT

# `wait` returns early when a trapped signal arrives; wait again until the server itself has exited.
while :; do
  wait "$server"
  status=$?
  kill -0 "$server" 2>/dev/null || exit "$status"
done

#!/usr/bin/env bash
# HAProxy of the line prod pins (3.2 LTS) for the gateway tests and the benchmark. Debian bookworm ships
# 2.6; sid carries 3.2. Its binary needs a newer glibc than this host's, so it runs from a small
# debootstrapped sid tree, through that tree's own dynamic loader, by a wrapper that also survives
# HAProxy's master-worker re-exec. Cached under $CACHE; prints the wrapper's path.
set -euo pipefail

CACHE=${MCP_CI_CACHE:-/var/cache/mcp-platform-ci}
DIR=$CACHE/haproxy
ROOT=$DIR/sid-root
BIN=$DIR/bin/haproxy

log() { printf '[haproxy] %s\n' "$*" >&2; }

if [[ ! -x $ROOT/usr/sbin/haproxy || ! -f $DIR/complete ]]; then
  command -v debootstrap >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
  log "debootstrapping Debian sid with haproxy (about a minute)"
  rm -rf "$ROOT" "$DIR/complete"; mkdir -p "$DIR"
  debootstrap --variant=minbase --include=haproxy sid "$ROOT" http://deb.debian.org/debian >"$DIR/debootstrap.log" 2>&1 \
    || { tail -n 20 "$DIR/debootstrap.log" >&2; exit 1; }
  touch "$DIR/complete"
fi

mkdir -p "$DIR/bin"
cat >"$BIN.tmp" <<WRAPPER
#!/bin/sh
# HAProxy from $ROOT with that tree's loader and libraries; --argv0 keeps this wrapper as argv[0], which
# the master process re-executes on a reload.
R=$ROOT
exec "\$R/lib64/ld-linux-x86-64.so.2" --library-path "\$R/usr/lib/x86_64-linux-gnu:\$R/lib/x86_64-linux-gnu" --argv0 "\$0" "\$R/usr/sbin/haproxy" "\$@"
WRAPPER
chmod 755 "$BIN.tmp"; mv "$BIN.tmp" "$BIN"
"$BIN" -v | sed -n 1p >&2  # sed reads it all: head could leave haproxy a SIGPIPE, fatal under pipefail
echo "$BIN"

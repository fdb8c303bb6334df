#!/usr/bin/env bash
# Docker Compose v2 for the end-to-end comparison of `pulumi up` with `docker compose up -d --wait` of the
# same containers (test/e2e/drills.e2e.ts). Debian trixie's docker-compose package is Compose v2; its
# binary is fetched with apt-get inside the trixie engine tree (install.sh's engine_tree) and unpacked
# from the package into $CACHE/compose-<version>, not installed into the tree, which running engines use.
# Idempotent: a cached binary is reused. Prints the binary's path (it runs on the host, standalone, with
# DOCKER_HOST naming the engine).
set -euo pipefail

CACHE=${MCP_CI_CACHE:-/var/cache/mcp-platform-ci}
ROOT=${1:-${MCP_ENGINE_ROOT:-$CACHE/engine/trixie-root}}

log() { printf '[compose] %s\n' "$*" >&2; }

found=$(find "$CACHE" -maxdepth 2 -path "$CACHE/compose-*/docker-compose" -type f -perm -u+x 2>/dev/null | sort | tail -n 1)
if [[ -z $found ]]; then
  [[ -x $ROOT/usr/bin/apt-get ]] || { echo "no Debian tree at $ROOT to fetch docker-compose with (install.sh builds it)" >&2; exit 1; }
  log "fetching Debian trixie's docker-compose (Compose v2)"
  # apt-get download writes into its working directory; /var/tmp of the tree is used by nothing else.
  dl=/var/tmp/mcp-compose-download
  rm -rf "${ROOT:?}$dl"; mkdir -p "$ROOT$dl"; chmod 777 "$ROOT$dl"
  chroot "$ROOT" apt-get update -qq >/dev/null
  chroot "$ROOT" sh -c "cd $dl && apt-get download -qq docker-compose" >/dev/null
  deb=$(find "$ROOT$dl" -name 'docker-compose_*.deb' | head -n 1)
  [[ -n $deb ]] || { echo "apt-get download docker-compose left no package" >&2; exit 1; }
  version=$(dpkg-deb -f "$deb" Version)
  out=$CACHE/compose-$version
  rm -rf "$out.tmp"; mkdir -p "$out.tmp"
  dpkg-deb -x "$deb" "$out.tmp/pkg"
  bin=$(find "$out.tmp/pkg" -type f -name docker-compose -perm -u+x | head -n 1)
  [[ -n $bin ]] || { echo "no docker-compose binary in $deb" >&2; exit 1; }
  mv "$bin" "$out.tmp/docker-compose"
  rm -rf "$out.tmp/pkg" "${ROOT:?}$dl"
  rm -rf "$out"; mv "$out.tmp" "$out"
  found=$out/docker-compose
fi
"$found" version >&2
echo "$found"

#!/usr/bin/env bash
# Installs the CI toolchain on a fresh Debian machine, cached by version outside the clone so that a
# second run on the same machine rebuilds nothing:
#   - Pulumi CLI 3.248.0 and the nodejs language host, built from the Go module proxy;
#   - the docker provider 5.2.0, bridged here from its upstream Terraform provider;
#   - a current Docker engine (Debian trixie's docker.io) in a debootstrapped tree (see engine.sh), and
#     Docker Compose v2 (trixie's docker-compose, compose.sh) for the comparison with `pulumi up`;
#   - the host tools the tests run generated artefacts with.
# No registry here serves Pulumi's official binaries or plugins. Users install Pulumi the official way;
# this is CI tooling only. Prints nothing on success but a summary; writes $CACHE/toolchain.env.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${MCP_CI_CACHE:-/var/cache/mcp-platform-ci}
mkdir -p "$CACHE"

PULUMI_VERSION=3.248.0
LANGUAGE_HOST_VERSION=3.68.0
DOCKER_PROVIDER_VERSION=5.2.0
ACTIONLINT_VERSION=1.7.12

# Go's own module and build caches (~/go, ~/.cache/go-build) live outside the clone and are kept.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod GOSUMDB=off

log() { printf '[toolchain] %s\n' "$*" >&2; }

# A key that changes when a module's definition changes, so an edited go.mod rebuilds.
key_of() { cat "$@" | sha256sum | cut -c1-12; }

apt_tools() {
  local want=(debootstrap docker-registry nginx-light shellcheck restic rclone openssl jq iptables iproute2 ca-certificates haproxy util-linux busybox-static chromium python3-prometheus-client wrk time)
  local missing=()
  for p in "${want[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
  if ((${#missing[@]})); then
    log "apt: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # Debian starts services on install; the tests run their own instances on their own ports.
  for s in nginx haproxy docker-registry; do (service "$s" stop || true) >/dev/null 2>&1; done
}

build_cli() {
  local dir=$HERE/pulumi-cli k; k=$(key_of "$dir/go.mod" "$dir/go.sum")
  local out=$CACHE/pulumi-$PULUMI_VERSION-$k
  if [[ ! -x $out/pulumi ]]; then
    log "building Pulumi CLI $PULUMI_VERSION (about 5 minutes cold)"
    (cd "$dir" && go build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      -o "$out.tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
    rm -rf "$out"; mv "$out.tmp" "$out"
  fi
  PULUMI_BIN=$out/pulumi
}

build_language_host() {
  local dir=$HERE/language-nodejs k; k=$(key_of "$dir/go.mod" "$dir/go.sum")
  local out=$CACHE/language-nodejs-$LANGUAGE_HOST_VERSION-$k
  if [[ ! -x $out/pulumi-language-nodejs ]]; then
    log "building the nodejs language host $LANGUAGE_HOST_VERSION"
    (cd "$dir" && go build -trimpath -o "$out.tmp/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
    rm -rf "$out"; mv "$out.tmp" "$out"
  fi
  LANGUAGE_HOST_DIR=$out
}

build_docker_provider() {
  local dir=$HERE/docker-provider k
  k=$(cd "$dir" && key_of go.mod go.sum info/*.go cmd/*/*.go)
  local out=$CACHE/docker-$DOCKER_PROVIDER_VERSION-$k
  if [[ ! -x $out/pulumi-resource-docker ]]; then
    log "building the docker provider $DOCKER_PROVIDER_VERSION from the Terraform provider (about 5 minutes cold)"
    rm -rf "$out.tmp"; mkdir -p "$out.tmp"
    cp -r "$dir" "$out.tmp/src"
    (cd "$out.tmp/src" && go build -trimpath -o "$out.tmp/pulumi-tfgen-docker" ./cmd/pulumi-tfgen-docker)
    (cd "$out.tmp" && ./pulumi-tfgen-docker schema --out . >/dev/null)
    cp "$out.tmp/schema.json" "$out.tmp/src/cmd/pulumi-resource-docker/schema.json"
    (cd "$out.tmp/src" && go build -trimpath -o "$out.tmp/pulumi-resource-docker" ./cmd/pulumi-resource-docker)
    rm -rf "$out.tmp/src" "$out.tmp/pulumi-tfgen-docker" "$out.tmp/Pulumi.yaml"
    rm -rf "$out"; mv "$out.tmp" "$out"
  fi
  DOCKER_PROVIDER_DIR=$out
}

# actionlint checks the GitHub workflow (test/github): a tagged release from the Go module proxy.
build_actionlint() {
  local out=$CACHE/actionlint-$ACTIONLINT_VERSION
  if [[ ! -x $out/actionlint ]]; then
    log "building actionlint $ACTIONLINT_VERSION"
    GOBIN=$out.tmp go install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION"
    rm -rf "$out"; mv "$out.tmp" "$out"
  fi
  ACTIONLINT_BIN=$out/actionlint
}

# A Debian tree with its docker.io, run by engine.sh: trixie's Docker 26 (API 1.45) for the suite, and
# bookworm's Docker 20.10 (API 1.41), the oldest engine the platform supports, for the test of what it
# leaves out there.
engine_tree() { # suite -> prints the tree
  local suite=$1 out=$CACHE/engine/$1-root
  if [[ ! -x $out/usr/sbin/dockerd || ! -f $out.complete ]]; then
    log "debootstrapping Debian $suite with docker.io (about 2 minutes)"
    rm -rf "$out" "$out.complete"; mkdir -p "$CACHE/engine"
    debootstrap --variant=minbase --include=ca-certificates,docker.io,iptables "$suite" "$out" http://deb.debian.org/debian >"$out.log" 2>&1 \
      || { tail -n 20 "$out.log" >&2; exit 1; }
    touch "$out.complete"
  fi
  echo "$out"
}

apt_tools
# The three Go builds share the module cache; run them one after another (2 cores).
build_cli
build_language_host
build_docker_provider
build_actionlint
ENGINE_ROOT=$(engine_tree trixie)
OLD_ENGINE_ROOT=$(engine_tree bookworm)
COMPOSE_BIN=$(bash "$HERE/compose.sh" "$ENGINE_ROOT")
# HAProxy 3.2 (the gateway's line) from a sid tree.
HAPROXY_BIN=$(bash "$HERE/haproxy.sh")

cat >"$CACHE/toolchain.env" <<EOF
# Written by .ci/toolchain/install.sh: where the CI toolchain is.
MCP_PULUMI_BIN=$PULUMI_BIN
MCP_LANGUAGE_HOST_DIR=$LANGUAGE_HOST_DIR
MCP_DOCKER_PROVIDER_DIR=$DOCKER_PROVIDER_DIR
MCP_DOCKER_PROVIDER_VERSION=$DOCKER_PROVIDER_VERSION
MCP_ENGINE_ROOT=$ENGINE_ROOT
MCP_OLD_ENGINE_ROOT=$OLD_ENGINE_ROOT
MCP_ACTIONLINT_BIN=$ACTIONLINT_BIN
MCP_HAPROXY_BIN=$HAPROXY_BIN
MCP_COMPOSE_BIN=$COMPOSE_BIN
EOF
log "ready: $CACHE/toolchain.env"

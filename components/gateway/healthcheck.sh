#!/bin/bash
# The gateway container's Docker healthcheck: a running HAProxy worker answers /healthz on the internal
# metrics port. The official image has no curl or wget; bash's /dev/tcp makes the one plain HTTP request.
set -euo pipefail
port=${1:?usage: healthcheck.sh <metrics port>}
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
IFS= read -r -t 5 status <&3
[[ $status == HTTP/1.?" 200"* ]]

#!/bin/sh
# Swarm mode entrypoint: Docker Swarm hands secrets to a task as files under /run/secrets, never as
# environment variables. For images that read a secret only from the environment, this reads each file
# named in MCP_PLATFORM_SECRET_ENV ("VAR=/run/secrets/file VAR2=/run/secrets/file2") into its variable,
# then replaces itself with the service's command.
set -eu
for pair in ${MCP_PLATFORM_SECRET_ENV:-}; do
  name=${pair%%=*}
  file=${pair#*=}
  if [ ! -r "$file" ]; then
    echo "secret-env: $file for $name is missing or unreadable" >&2
    exit 1
  fi
  value=$(cat "$file")
  export "$name=$value"
done
unset MCP_PLATFORM_SECRET_ENV
exec "$@"

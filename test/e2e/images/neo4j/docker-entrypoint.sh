#!/bin/bash
# The parts of the official image's entrypoint this program relies on:
# - each NEO4J_<setting> variable becomes a neo4j.conf line (`__` is `_`, `_` is `.`); apoc.* settings go
#   to apoc.conf; defaults only where unset (page cache 512M, listen on all addresses);
# - NEO4J_AUTH=neo4j/<password> sets the initial password before the first start (NEO4J_AUTH_PATH: read
#   from that file);
# - NEO4J_PLUGINS='["apoc"]' copies APOC core from labs/ into plugins/ and allows its procedures.
# Run as the neo4j user (the program's `user`), as the official entrypoint supports without gosu.
set -euo pipefail

conf=$NEO4J_HOME/conf/neo4j.conf
apoc_conf=$NEO4J_HOME/conf/apoc.conf
: >"$conf"
: >"$apoc_conf"

for dir in /data /logs; do
  if [[ ! -w $dir ]]; then
    echo "Folder $dir is not accessible for user: $(id -u) or group $(id -g). This is commonly a file permissions issue on the mounted folder." >&2
    exit 1
  fi
done

setting() { # name value file
  echo "$1=$2" >>"$3"
}

skip='^(AUTH|AUTH_PATH|PLUGINS|EDITION|HOME|DEBUG|ACCEPT_LICENSE_AGREEMENT|CONF)$'
while IFS='=' read -r -d '' name value; do
  [[ $name == NEO4J_* ]] || continue
  key=${name#NEO4J_}
  [[ $key =~ $skip || $key == *_FILE ]] && continue
  key=$(sed 's|_|.|g; s|\.\.|_|g' <<<"$key")
  if [[ $key == apoc.* ]]; then setting "$key" "$value" "$apoc_conf"; else setting "$key" "$value" "$conf"; fi
done < <(env -0)

grep -q '^server.memory.pagecache.size=' "$conf" || setting server.memory.pagecache.size 512M "$conf"
grep -q '^server.default_listen_address=' "$conf" || setting server.default_listen_address 0.0.0.0 "$conf"
setting server.directories.data /data "$conf"
setting server.directories.logs /logs "$conf"
setting server.directories.run "$NEO4J_HOME/run" "$conf"
setting server.directories.plugins "$NEO4J_HOME/plugins" "$conf"

if [[ ${NEO4J_PLUGINS:-} == *apoc* ]]; then
  cp "$NEO4J_HOME"/labs/apoc/*.jar "$NEO4J_HOME/plugins/"
  grep -q '^dbms.security.procedures.unrestricted=' "$conf" || setting dbms.security.procedures.unrestricted 'apoc.*' "$conf"
fi

# As the official image: NEO4J_AUTH_PATH names a file holding NEO4J_AUTH (a Swarm or Kubernetes secret).
if [[ -n ${NEO4J_AUTH_PATH:-} ]]; then
  [[ -r $NEO4J_AUTH_PATH ]] || { echo "The password file '$NEO4J_AUTH_PATH' does not exist or cannot be read" >&2; exit 1; }
  NEO4J_AUTH=$(cat "$NEO4J_AUTH_PATH")
fi

if [[ -n ${NEO4J_AUTH:-} && ${1:-} == neo4j ]]; then
  if [[ $NEO4J_AUTH == none ]]; then
    setting dbms.security.auth_enabled false "$conf"
  else
    user=${NEO4J_AUTH%%/*} password=${NEO4J_AUTH#*/}
    if [[ $user != neo4j ]]; then echo "Invalid admin username, it must be neo4j." >&2; exit 1; fi
    if [[ $password == neo4j ]]; then echo "Invalid value for password. It cannot be 'neo4j', which is the default." >&2; exit 1; fi
    # Only takes effect before the first start, as in the official image.
    neo4j-admin dbms set-initial-password "$password" >/dev/null
  fi
fi

if [[ ${1:-} == neo4j ]]; then
  exec neo4j console
fi
exec "$@"

#!/usr/bin/env bash
# mcp-platform recovery from the stack's restic repository. Run on the Docker host (it uses your
# docker CLI), from the repository (components/backup/restore.sh); the steps run in helper containers
# of the backup image with the backup container's volumes, and the repository password never leaves them.
#
#   restore.sh [options] full               everything: Neo4j from its export, every data volume
#   restore.sh [options] service NAME       one service: neo4j, gmail, rag or a data service
#   restore.sh [options] drill              the restore drill now (in the backup container): the
#                                           latest snapshot into a scratch Neo4j, compared with its record
#   restore.sh [options] snapshots          the stack's snapshots and the status file
#   restore.sh [options] offline-dump       maintenance: stop Neo4j, neo4j-admin dump neo4j and system
#                                           into the neo4j-data volume (dumps/), start it again
# options: --stack NAME (default dev)  --snapshot ID|latest  --dry-run (checks the repository, changes
#          nothing)  --from-dump (neo4j: load the offline dumps instead of the export)
# Before anything is stopped or written: the repository must open with the stack's password, pass
# `restic check --read-data`, hold a snapshot of this stack, and restore (restic restore --verify)
# into a staging directory on the backups volume. Containers are found by their labels,
# environment=<stack> unless RESTORE_ENVIRONMENT says otherwise.
#
# Run inside helper containers (the backup image, no network) by the commands above, and by the tests:
#   restore.sh precheck STACK SNAPSHOT      prints the snapshot's full id, or refuses
#   restore.sh stage SNAPSHOT DIR PATH…     restores PATHs of SNAPSHOT into DIR, verified
#   restore.sh swap SOURCE TARGET OLD       TARGET's contents moved to OLD, SOURCE copied in (owners kept)
set -euo pipefail
shopt -s inherit_errexit

log() { printf 'restore: %s\n' "$*" >&2; }
die() {
  printf 'restore: error: %s\n' "$*" >&2
  exit 1
}

# Where the backup container keeps what a restore takes from it (components/backup/spec.ts): the
# snapshots hold these paths. The tests, whose snapshots hold other paths, set the same variables.
BACKUP_DIR=${BACKUP_DIR:-/backups}
EXPORT_PATH=$BACKUP_DIR/export/neo4j
VOLUMES_DIR=${BACKUP_VOLUMES_DIR:-/volumes}
SECRETS_DIR=/run/backup-secrets
SHARE_DIR=/opt/backup
# The replay's cypher-shell JVM: the options backup.sh gives its own (C1 only, serial collector), and
# the same override.
CYPHER_SHELL_JAVA_OPTIONS=${BACKUP_CYPHER_SHELL_JAVA_OPTIONS-"-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}

# ---- inside a helper container (or a test): restic against $RESTIC_REPOSITORY ----

cmd_precheck() {
  local stack=$1 want=$2 err
  err=$(mktemp)
  if ! restic --no-cache cat config >/dev/null 2>"$err"; then
    if grep -qiE 'wrong password|no key found' "$err"; then
      die "refusing to restore: the repository $RESTIC_REPOSITORY does not open with stack $stack's password (a foreign repository?); nothing was changed"
    fi
    die "refusing to restore: no readable restic repository at $RESTIC_REPOSITORY ($(tail -n 1 "$err")); nothing was changed"
  fi
  log "restic check --read-data: every pack of $RESTIC_REPOSITORY read back and verified"
  if ! restic --no-cache check --read-data >"$err" 2>&1; then
    die "refusing to restore: the repository $RESTIC_REPOSITORY is damaged (restic check: $(grep -iE 'error|fail|invalid|mismatch' "$err" | head -n 1)); nothing was changed"
  fi
  local snapshots id
  snapshots=$(restic --no-cache snapshots --json --host "mcp-$stack")
  if [[ $want == latest ]]; then
    id=$(jq -r 'sort_by(.time) | .[-1].id // empty' <<<"$snapshots")
    [[ -n $id ]] || die "refusing to restore: the repository holds no snapshot of stack $stack (host mcp-$stack); nothing was changed"
  else
    id=$(jq -r --arg w "$want" '[.[] | select(.id | startswith($w))] | if length == 1 then .[0].id else empty end' <<<"$snapshots")
    [[ -n $id ]] || die "refusing to restore: no single snapshot $want of stack $stack in the repository; nothing was changed"
  fi
  rm -f "$err"
  printf '%s\n' "$id"
}

cmd_stage() {
  local snapshot=$1 dir=$2
  shift 2
  local -a include=()
  local p
  for p in "$@"; do include+=(--include "$p"); done
  mkdir -p "$dir"
  restic --no-cache restore "$snapshot" --target "$dir" "${include[@]}" --verify >&2 ||
    die "refusing to restore: snapshot ${snapshot:0:8} did not restore and verify cleanly into staging; nothing was changed"
  for p in "$@"; do [[ -e $dir$p ]] || die "refusing to restore: snapshot ${snapshot:0:8} holds no $p; nothing was changed"; done
}

cmd_swap() {
  local src=$1 target=$2 old=$3
  [[ -d $src && -d $target ]] || die "swap needs two directories"
  if [[ -n $(find "$target" -mindepth 1 -maxdepth 1 -print -quit) ]]; then
    mkdir -p "$old"
    find "$target" -mindepth 1 -maxdepth 1 -exec mv -t "$old" {} +
    log "moved the current contents of $target to $old"
  fi
  cp -a "$src/." "$target/"
}

# ---- host commands (docker CLI) ----

STACK=dev
ENVIRONMENT=""
SNAPSHOT=latest
DRY_RUN=false
FROM_DUMP=false
HEALTH_WAIT_SECONDS=${RESTORE_HEALTH_WAIT_SECONDS:-300}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
STAGING="$BACKUP_DIR/restore/$STAMP"

# Every change goes through run: a dry run prints the exact command instead.
run() {
  if $DRY_RUN; then
    printf 'would run: %s\n' "$*"
  else
    log "$*"
    "$@"
  fi
}
step() { printf '== %s\n' "$*"; }

backup_volume() { printf 'mcp-%s-backups\n' "$STACK"; }
volume_name() { printf 'mcp-%s-%s\n' "$STACK" "$1"; }

# Containers of a service (all replicas), found by the platform's labels; never the one-shot volume-init.
containers_of() {
  local id
  for id in $(docker ps -a -q --filter "label=service=$1" --filter "label=environment=$ENVIRONMENT"); do
    [[ $(docker inspect -f '{{index .Config.Labels "component"}}' "$id") == volume-init ]] || printf '%s\n' "$id"
  done
}
neo4j_container() {
  local c
  c=$(containers_of neo4j | head -n 1)
  [[ -n $c ]] || die "no Neo4j container with labels service=neo4j, environment=$ENVIRONMENT: deploy the stack first (pulumi up)"
  printf '%s\n' "$c"
}
backup_container() {
  local c
  c=$(containers_of backup | head -n 1)
  [[ -n $c ]] || die "no backup container with labels service=backup, environment=$ENVIRONMENT: deploy the stack first (pulumi up; the protected backups volume is kept)"
  printf '%s\n' "$c"
}

# Helper containers: the backup container's image (restic, cypher-shell, neo4j-admin) with its volumes
# (--volumes-from: the backups volume, every stateful volume read-only, its scripts and the repository
# password file), so nothing of this host is mounted and a remote Docker host works the same. No
# network; root with only the file capabilities a faithful copy needs.
HELPER_FLAGS=(--rm --network none --security-opt no-new-privileges --user 0:0 --cap-drop ALL
  --cap-add CHOWN --cap-add DAC_OVERRIDE --cap-add FOWNER --entrypoint bash)
# helper_bash [-v MOUNT]… ARGS: bash ARGS in a helper.
helper_bash() {
  local -a mounts=()
  while [[ $1 == -v ]]; do
    mounts+=(-v "$2")
    shift 2
  done
  docker run "${HELPER_FLAGS[@]}" --volumes-from "$BACKUP_CONTAINER" -e RESTIC_REPOSITORY="$BACKUP_DIR/restic" \
    -e RESTIC_PASSWORD_FILE="$SECRETS_DIR/restic-password" "${mounts[@]}" "$IMAGE" "$@"
}
# helper [-v MOUNT]… ARGS: this script's ARGS in a helper (the copy the backup container carries).
helper() {
  local -a mounts=()
  while [[ $1 == -v ]]; do
    mounts+=(-v "$2")
    shift 2
  done
  helper_bash "${mounts[@]}" "$SHARE_DIR/restore.sh" "$@"
}

wait_healthy() {
  local c status deadline
  $DRY_RUN && { printf 'would wait until healthy: %s\n' "$*"; return 0; }
  deadline=$((SECONDS + HEALTH_WAIT_SECONDS))
  for c in "$@"; do
    while :; do
      status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$c")
      [[ $status == healthy || $status == running ]] && break
      ((SECONDS < deadline)) || die "container $c is $status after ${HEALTH_WAIT_SECONDS}s: see docker logs $c"
      sleep 2
    done
    log "$c is $status"
  done
}

# The checks and the staging, before anything is stopped: a refusal here changes nothing.
prepare() {
  step "check the repository in $(backup_volume) (password, restic check --read-data, a snapshot of stack $STACK)"
  SNAPSHOT=$(helper precheck "$STACK" "$SNAPSHOT")
  step "snapshot ${SNAPSHOT:0:8}: restore $* into $STAGING on the backups volume, verified"
  run helper stage "$SNAPSHOT" "$STAGING" "$@"
}

restore_volume_service() {
  local name=$1 key="$1-data" vol
  vol=$(volume_name "$key")
  mapfile -t cs < <(containers_of "$name")
  step "$name: stop ${#cs[@]} container(s), load $VOLUMES_DIR/$key into $vol (its files move to pre-restore/$STAMP/), start, wait until healthy"
  ((${#cs[@]} == 0)) || run docker stop "${cs[@]}"
  run helper -v "$vol:/target" \
    swap "$STAGING$VOLUMES_DIR/$key" /target "$BACKUP_DIR/pre-restore/$STAMP/$key"
  ((${#cs[@]} == 0)) || run docker start "${cs[@]}"
  ((${#cs[@]} == 0)) || wait_healthy "${cs[@]}"
}

restore_neo4j() {
  local c vol
  c=$(neo4j_container)
  vol=$(volume_name neo4j-data)
  step "neo4j: stop, move the current store aside (neo4j-data: pre-restore-$STAMP/), load, start, verify"
  run docker stop "$c"
  run docker run --rm --network none --security-opt no-new-privileges --user 7474:7474 --entrypoint bash \
    -v "$vol:/data" "$IMAGE" -c "mkdir -p /data/pre-restore-$STAMP && for d in databases transactions; do if [ -e /data/\$d ]; then mv /data/\$d /data/pre-restore-$STAMP/; fi; done"
  if $FROM_DUMP; then
    step "neo4j: load the offline dumps (neo4j and system, with users and password hashes)"
    run helper_bash -v "$vol:/data" -c \
      "neo4j-admin database load system --from-path=$STAGING$VOLUMES_DIR/neo4j-data/dumps --overwrite-destination=true && neo4j-admin database load neo4j --from-path=$STAGING$VOLUMES_DIR/neo4j-data/dumps --overwrite-destination=true && chown -R 7474:7474 /data"
    run docker start "$c"
    wait_healthy "$c"
  else
    # A new, empty store: NEO4J_AUTH sets the password at first start, then the export is replayed.
    run docker start "$c"
    wait_healthy "$c"
    step "neo4j: replay the snapshot's export through cypher-shell"
    if $DRY_RUN; then
      printf 'would run: docker run … cat %s/neo4j.cypher | docker exec -i %s cypher-shell -d neo4j\n' "$STAGING$EXPORT_PATH" "$c"
    else
      helper_bash -c "cat '$STAGING$EXPORT_PATH/neo4j.cypher'" |
        docker exec -i -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 -e JAVA_TOOL_OPTIONS="$CYPHER_SHELL_JAVA_OPTIONS" "$c" sh -c 'NEO4J_PASSWORD="${NEO4J_AUTH#*/}" exec cypher-shell -u neo4j -d neo4j --format plain' >/dev/null ||
        die "replaying the export into Neo4j failed: the old store is in neo4j-data/pre-restore-$STAMP"
    fi
  fi
  step "neo4j: compare the graph with the snapshot's record (counts per label and type, schema, content hash)"
  if ! $DRY_RUN && ! $FROM_DUMP; then
    local want got
    want=$(helper_bash -c "jq -S . '$STAGING$EXPORT_PATH/graph.json'")
    got=$(docker exec "$(backup_container)" bash "$SHARE_DIR/backup.sh" record | jq -S .)
    if [[ $want != "$got" ]]; then
      die "Neo4j does not hold what snapshot ${SNAPSHOT:0:8} recorded: $(jq -rn --argjson w "$want" --argjson g "$got" '"\($g.nodes) nodes and \($g.relationships) relationships restored, \($w.nodes) and \($w.relationships) recorded; content hash \($g.contentHash[0:12]) vs \($w.contentHash[0:12])"')"
    fi
    log "Neo4j holds what the snapshot recorded: $(jq -r '"\(.nodes) nodes, \(.relationships) relationships, content \(.contentHash[0:12])"' <<<"$got")"
  fi
}

offline_dump() {
  local c vol
  c=$(neo4j_container)
  vol=$(volume_name neo4j-data)
  step "neo4j: stop, neo4j-admin database dump neo4j and system into $vol:/dumps, start (the next backup run snapshots them)"
  run docker stop "$c"
  run docker run --rm --network none --security-opt no-new-privileges --user 7474:7474 --entrypoint bash -v "$vol:/data" "$IMAGE" -c \
    "mkdir -p /data/dumps && neo4j-admin database dump system --to-path=/data/dumps --overwrite-destination=true && neo4j-admin database dump neo4j --to-path=/data/dumps --overwrite-destination=true"
  run docker start "$c"
  wait_healthy "$c"
}

volume_services() {
  # The stack's backed-up volumes other than Neo4j's: <service>-data.
  docker volume ls -q --filter "label=dev.mcp-platform.stack=$STACK" --filter "label=dev.mcp-platform.backup=true" |
    sed -n "s/^mcp-$STACK-\(.*\)-data\$/\1/p" | grep -vx neo4j || true
}

full_restore() {
  local -a apps=() services=() paths=("$EXPORT_PATH")
  local s
  mapfile -t services < <(volume_services)
  for s in "${services[@]}"; do paths+=("$VOLUMES_DIR/$s-data"); done
  $FROM_DUMP && paths+=("$VOLUMES_DIR/neo4j-data/dumps")
  prepare "${paths[@]}"
  for s in $(docker ps -q --filter "label=environment=$ENVIRONMENT" --filter "label=component=mcp-server") \
    $(docker ps -q --filter "label=environment=$ENVIRONMENT" --filter "label=component=health-monitor"); do apps+=("$s"); done
  step "full recovery of stack $STACK from snapshot ${SNAPSHOT:0:8}: Neo4j, then ${services[*]:-no data volumes}"
  step "stop the MCP servers and the monitor (${#apps[@]} containers) so nothing writes during the restore"
  ((${#apps[@]} == 0)) || run docker stop "${apps[@]}"
  restore_neo4j
  for s in "${services[@]}"; do restore_volume_service "$s"; done
  step "start the MCP servers and the monitor, wait until healthy"
  ((${#apps[@]} == 0)) || run docker start "${apps[@]}"
  ((${#apps[@]} == 0)) || wait_healthy "${apps[@]}"
}

host_main() {
  local cmd=""
  local -a args=()
  while (($#)); do
    case $1 in
    --stack) STACK=$2; shift 2 ;;
    --snapshot) SNAPSHOT=$2; shift 2 ;;
    --dry-run) DRY_RUN=true; shift ;;
    --from-dump) FROM_DUMP=true; shift ;;
    -*) die "unknown option $1" ;;
    *) if [[ -z $cmd ]]; then cmd=$1; else args+=("$1"); fi; shift ;;
    esac
  done
  [[ $STACK =~ ^[A-Za-z0-9._-]+$ ]] || die "bad stack name $STACK"
  [[ $SNAPSHOT =~ ^(latest|[0-9a-f]{8,64})$ ]] || die "--snapshot must be latest or a snapshot id (restore.sh snapshots lists them)"
  ENVIRONMENT=${RESTORE_ENVIRONMENT:-$STACK}
  command -v docker >/dev/null || die "the docker CLI is needed on the host for ${cmd:-a restore}"
  $DRY_RUN && printf 'dry run: the repository is checked; nothing is stopped, written or started\n'
  BACKUP_CONTAINER=$(backup_container)
  IMAGE=$(docker inspect -f '{{.Config.Image}}' "$BACKUP_CONTAINER")
  case $cmd in
  drill)
    if $DRY_RUN; then
      printf 'would run: docker exec %s bash %s/backup.sh drill\n' "$BACKUP_CONTAINER" "$SHARE_DIR"
    else
      docker exec "$BACKUP_CONTAINER" bash "$SHARE_DIR/backup.sh" drill
    fi
    ;;
  snapshots) helper_bash -c "restic --no-cache snapshots --host 'mcp-$STACK' && cat '$BACKUP_DIR/status.json'" ;;
  offline-dump) offline_dump ;;
  service)
    local name=${args[0]:-}
    [[ $name =~ ^[a-z][a-z0-9-]*$ ]] || die "service needs a name: neo4j, gmail, rag or a data service"
    if [[ $name == neo4j ]]; then
      if $FROM_DUMP; then prepare "$VOLUMES_DIR/neo4j-data/dumps"; else prepare "$EXPORT_PATH"; fi
      restore_neo4j
    else
      prepare "$VOLUMES_DIR/$name-data"
      restore_volume_service "$name"
    fi
    ;;
  full) full_restore ;;
  *) die "unknown command ${cmd:-(none)}: full, service NAME, drill, snapshots, offline-dump (see the top of this file)" ;;
  esac
  if ! $DRY_RUN && [[ $cmd == service || $cmd == full ]]; then
    step "remove the staging directory $STAGING"
    helper_bash -c "rm -rf '$STAGING'" >/dev/null 2>&1 || true
  fi
  step "done"
}

case ${1:-} in
precheck) cmd_precheck "${2:?precheck STACK SNAPSHOT}" "${3:?SNAPSHOT}" ;;
stage) cmd_stage "${2:?stage SNAPSHOT DIR PATH…}" "${3:?DIR}" "${@:4}" ;;
swap) cmd_swap "${2:?swap SOURCE TARGET OLD}" "${3:?TARGET}" "${4:?OLD}" ;;
*) host_main "$@" ;;
esac

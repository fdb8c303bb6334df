#!/usr/bin/env bash
# mcp-platform recovery. Run on the Docker host (it uses your docker CLI), from the repository
# (components/backup/restore.sh) or from an archive's config/ directory.
#
#   restore.sh [options] full                 everything: Neo4j from its export, every data volume
#   restore.sh [options] service NAME         one service: neo4j, gmail, rag or a data service
#   restore.sh [options] offline-dump         maintenance: stop Neo4j, neo4j-admin dump neo4j and system
#                                             into the neo4j-data volume (dumps/), start it again
#   restore.sh list                           the archives in the stack's backup volume
# options: --stack NAME (default dev)  --archive NAME|latest (an archive in the backup volume's
#          archives/)  --dry-run  --from-dump (neo4j: load the offline dumps instead of the export)
# Containers are found by their labels, environment=<stack> unless RESTORE_ENVIRONMENT says otherwise.
#
# Used by the host commands in a helper container, by the backup itself, and by the tests:
#   restore.sh verify ARCHIVE                 checksum, clean listing, every file's checksum
#   restore.sh extract ARCHIVE ITEM TARGET [--replace OLD]   verified ITEM (e.g. volumes/gmail-data)
#                                             into TARGET; existing files move to OLD first
#   restore.sh cat ARCHIVE FILE               one verified file to stdout (e.g. neo4j/neo4j.cypher)
#   restore.sh items ARCHIVE                  the volumes an archive holds
# An encrypted archive (.enc) needs BACKUP_ENCRYPTION_KEY in the environment:
#   export BACKUP_ENCRYPTION_KEY=$(pulumi config get backupEncryptionKey)
set -euo pipefail
shopt -s inherit_errexit

log() { printf 'restore: %s\n' "$*" >&2; }
die() {
  printf 'restore: error: %s\n' "$*" >&2
  exit 1
}

# ---- archive checks (run where the archive is: in a helper container, the backup container, tests) ----

STAGING=""
cleanup() { [[ -n $STAGING ]] && rm -rf "$STAGING"; return 0; }
trap cleanup EXIT

# verify_into ARCHIVE: verifies it completely and leaves it extracted in $TOP (under $STAGING, removed
# on exit). Not called in $(…): the exit trap must see STAGING.
TOP=""
verify_into() {
  local archive=$1 dir name tarball top
  [[ -f $archive ]] || die "no archive at $archive"
  dir=$(cd "$(dirname "$archive")" && pwd)
  name=$(basename "$archive")
  [[ -f $dir/$name.sha256 ]] || die "refusing to restore: $name has no checksum file ($name.sha256)"
  (cd "$dir" && sha256sum --quiet --status -c "$name.sha256") ||
    die "refusing to restore: $name does not match its checksum: the archive is corrupted or truncated; nothing was changed"
  STAGING=$(mktemp -d "${RESTORE_SCRATCH:-${TMPDIR:-/tmp}}/restore.XXXXXX")
  tarball="$dir/$name"
  if [[ $name == *.enc ]]; then
    [[ -n ${BACKUP_ENCRYPTION_KEY:-} ]] || die "$name is encrypted: set BACKUP_ENCRYPTION_KEY to the key in backup.encryption (pulumi config get <key>)"
    openssl enc -d -aes-256-cbc -pbkdf2 -iter 200000 -pass env:BACKUP_ENCRYPTION_KEY -in "$dir/$name" -out "$STAGING/archive.tar.gz" 2>/dev/null ||
      die "refusing to restore: $name does not decrypt with this key; nothing was changed"
    tarball="$STAGING/archive.tar.gz"
  fi
  tar -tzf "$tarball" >"$STAGING/listing" 2>/dev/null ||
    die "refusing to restore: $name does not list cleanly (damaged gzip or tar); nothing was changed"
  mkdir "$STAGING/x"
  tar -xzf "$tarball" -C "$STAGING/x" 2>/dev/null || die "refusing to restore: $name does not extract cleanly; nothing was changed"
  [[ $tarball == "$STAGING/archive.tar.gz" ]] && rm -f "$tarball"
  top=$(find "$STAGING/x" -mindepth 1 -maxdepth 1)
  [[ -n $top && $(wc -l <<<"$top") -eq 1 && -f $top/MANIFEST.sha256 ]] ||
    die "refusing to restore: $name is not a platform backup (no single directory with MANIFEST.sha256)"
  (cd "$top" && sha256sum --quiet --status -c MANIFEST.sha256) ||
    die "refusing to restore: a file in $name does not match the manifest; nothing was changed"
  # Nothing unlisted either: every file present is in the manifest.
  local listed present
  listed=$(cut -d' ' -f3- "$top/MANIFEST.sha256" | sort)
  present=$(cd "$top" && find . -type f ! -name MANIFEST.sha256 | sort)
  [[ $listed == "$present" ]] || die "refusing to restore: $name holds files its manifest does not list; nothing was changed"
  TOP=$top
}

cmd_verify() {
  verify_into "$1"
  log "$(basename "$1") verified: $(wc -l <"$TOP/MANIFEST.sha256") files match the manifest"
}

cmd_extract() {
  local archive=$1 item=$2 target=$3 old="" top src
  [[ ${4:-} == --replace ]] && old=${5:?--replace needs a directory for the files it moves aside}
  [[ $item != *..* && $item != /* ]] || die "bad item $item"
  [[ -d $target ]] || die "target $target is not a directory"
  verify_into "$archive"
  top=$TOP
  src="$top/$item"
  [[ -d $src ]] || die "refusing to restore: $(basename "$archive") holds no $item; nothing was changed"
  if [[ -n $(find "$target" -mindepth 1 -maxdepth 1 -print -quit) ]]; then
    [[ -n $old ]] || die "target $target is not empty: pass --replace DIR to move its files to DIR first"
    mkdir -p "$old"
    find "$target" -mindepth 1 -maxdepth 1 -exec mv -t "$old" {} +
    log "moved the current contents of $target to $old"
  fi
  cp -a "$src/." "$target/"
  # Owners as recorded at backup time (the backup may have run as a user that could not keep them).
  local owners="$top/ownership/${item#volumes/}" owner rel
  if [[ $item == volumes/* && -f $owners && $EUID -eq 0 ]]; then
    while IFS=$'\t' read -r -d '' owner rel; do
      chown -h "$owner" "$target/$rel"
    done <"$owners"
  fi
  log "restored $item into $target"
}

cmd_cat() {
  local top
  verify_into "$1"
  top=$TOP
  [[ -f $top/$2 && $2 != *..* ]] || die "$(basename "$1") holds no $2"
  cat "$top/$2"
}

cmd_items() {
  local top
  verify_into "$1"
  top=$TOP
  [[ -d $top/volumes ]] && find "$top/volumes" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort
  [[ -d $top/neo4j/offline ]] && echo "neo4j-offline-dump"
  return 0
}

# ---- host commands (docker CLI) ----

STACK=dev
ENVIRONMENT=""
ARCHIVE=latest
DRY_RUN=false
FROM_DUMP=false
SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
HEALTH_WAIT_SECONDS=${RESTORE_HEALTH_WAIT_SECONDS:-300}

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
# The image the helper containers run: the backup container's (it has bash, tar, openssl, neo4j-admin).
helper_image() {
  local c
  c=$(docker ps -a -q --filter "label=component=backup" --filter "label=environment=$ENVIRONMENT" | head -n 1)
  [[ -n $c ]] || c=$(neo4j_container)
  docker inspect -f '{{.Config.Image}}' "$c"
}

# Helper containers: no network, only the mounts they are given, root with only the file capabilities a
# faithful copy needs (reading any file, keeping owners and modes).
HELPER_FLAGS=(--rm --network none --security-opt no-new-privileges --user 0:0 --cap-drop ALL
  --cap-add CHOWN --cap-add DAC_OVERRIDE --cap-add FOWNER --entrypoint bash)
helper() {
  local -a mounts=()
  while [[ $1 == -v ]]; do
    mounts+=(-v "$2")
    shift 2
  done
  run docker run "${HELPER_FLAGS[@]}" \
    -e BACKUP_ENCRYPTION_KEY -e RESTORE_SCRATCH=/scratch -v /scratch \
    -v "$SELF:/opt/restore/restore.sh:ro" "${mounts[@]}" "$IMAGE" /opt/restore/restore.sh "$@"
}

resolve_archive() {
  if [[ $ARCHIVE == latest ]]; then
    if $DRY_RUN; then
      ARCHIVE="<latest archive in $(backup_volume)>"
      return
    fi
    ARCHIVE=$(docker run "${HELPER_FLAGS[@]}" -v "$(backup_volume):/backups:ro" "$IMAGE" -c \
      'ls -1 /backups/archives 2>/dev/null | grep -E "\.tar\.gz(\.enc)?$" | sort | tail -n 1')
    [[ -n $ARCHIVE ]] || die "the backup volume $(backup_volume) holds no archive yet"
  fi
  ARCHIVE=$(basename "$ARCHIVE")
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
      sleep 5
    done
    log "$c is $status"
  done
}

verify_archive_on_host() {
  step "verify $ARCHIVE (checksum, listing, manifest) before changing anything"
  helper -v "$(backup_volume):/backups:ro" verify "/backups/archives/$ARCHIVE"
}

restore_volume_service() {
  local name=$1 key="$1-data" vol stamp
  vol=$(volume_name "$key")
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  mapfile -t cs < <(containers_of "$name")
  step "$name: stop ${#cs[@]} container(s), load volumes/$key into $vol, start, wait until healthy"
  ((${#cs[@]} == 0)) || run docker stop "${cs[@]}"
  helper -v "$(backup_volume):/backups" -v "$vol:/target" \
    extract "/backups/archives/$ARCHIVE" "volumes/$key" /target --replace "/backups/pre-restore/$stamp/$key"
  ((${#cs[@]} == 0)) || run docker start "${cs[@]}"
  ((${#cs[@]} == 0)) || wait_healthy "${cs[@]}"
}

neo4j_cypher() {
  # cypher-shell reads NEO4J_PASSWORD: the password never appears on a command line.
  docker exec -i "$1" sh -c 'NEO4J_PASSWORD="${NEO4J_AUTH#*/}" exec cypher-shell -u neo4j -d neo4j --format plain'
}

restore_neo4j() {
  local c vol stamp
  c=$(neo4j_container)
  vol=$(volume_name neo4j-data)
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  step "neo4j: stop, move the current store aside (neo4j-data: pre-restore-$stamp/), load, start, verify"
  run docker stop "$c"
  run docker run --rm --network none --security-opt no-new-privileges --user 7474:7474 --entrypoint bash \
    -v "$vol:/data" "$IMAGE" -c "mkdir -p /data/pre-restore-$stamp && for d in databases transactions; do if [ -e /data/\$d ]; then mv /data/\$d /data/pre-restore-$stamp/; fi; done"
  if $FROM_DUMP; then
    step "neo4j: load the offline dumps (neo4j and system, with users and password hashes)"
    run docker run "${HELPER_FLAGS[@]}" -e BACKUP_ENCRYPTION_KEY -e RESTORE_SCRATCH=/scratch -v /scratch \
      -v "$SELF:/opt/restore/restore.sh:ro" -v "$(backup_volume):/backups:ro" -v "$vol:/data" "$IMAGE" -c \
      "mkdir -p /scratch/dumps && bash /opt/restore/restore.sh extract /backups/archives/$ARCHIVE neo4j/offline /scratch/dumps && neo4j-admin database load system --from-path=/scratch/dumps --overwrite-destination=true && neo4j-admin database load neo4j --from-path=/scratch/dumps --overwrite-destination=true && chown -R 7474:7474 /data"
    run docker start "$c"
    wait_healthy "$c"
  else
    # A new, empty store: NEO4J_AUTH sets the password at first start, then the export is replayed.
    run docker start "$c"
    wait_healthy "$c"
    step "neo4j: replay neo4j/neo4j.cypher from the archive through cypher-shell"
    if $DRY_RUN; then
      printf 'would run: docker run … restore.sh cat /backups/archives/%s neo4j/neo4j.cypher | docker exec -i %s cypher-shell -d neo4j\n' "$ARCHIVE" "$c"
    else
      docker run "${HELPER_FLAGS[@]}" -e BACKUP_ENCRYPTION_KEY -e RESTORE_SCRATCH=/scratch -v /scratch \
        -v "$SELF:/opt/restore/restore.sh:ro" -v "$(backup_volume):/backups:ro" "$IMAGE" \
        /opt/restore/restore.sh cat "/backups/archives/$ARCHIVE" neo4j/neo4j.cypher | neo4j_cypher "$c" >/dev/null
    fi
  fi
  step "neo4j: verify the node count against the archive's backup.json"
  if ! $DRY_RUN; then
    local want got
    want=$(docker run "${HELPER_FLAGS[@]}" -e BACKUP_ENCRYPTION_KEY -e RESTORE_SCRATCH=/scratch -v /scratch \
      -v "$SELF:/opt/restore/restore.sh:ro" -v "$(backup_volume):/backups:ro" "$IMAGE" \
      /opt/restore/restore.sh cat "/backups/archives/$ARCHIVE" backup.json | sed -nE 's/.*"nodes": *([0-9]+).*/\1/p')
    got=$(echo 'MATCH (n) RETURN count(n) AS nodes;' | neo4j_cypher "$c" | tail -n 1)
    [[ $want == "$got" ]] || die "Neo4j holds $got nodes after the restore, the archive recorded $want"
    log "Neo4j holds $got nodes, as recorded"
  fi
}

offline_dump() {
  local c vol
  c=$(neo4j_container)
  vol=$(volume_name neo4j-data)
  step "neo4j: stop, neo4j-admin database dump neo4j and system into $vol:/dumps, start (the next backup run archives them)"
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
  local -a apps=() services=()
  local s
  mapfile -t services < <(volume_services)
  for s in $(docker ps -q --filter "label=environment=$ENVIRONMENT" --filter "label=component=mcp-server") \
    $(docker ps -q --filter "label=environment=$ENVIRONMENT" --filter "label=component=health-monitor"); do apps+=("$s"); done
  step "full recovery of stack $STACK from $ARCHIVE: Neo4j, then ${services[*]:-no data volumes}"
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
    --archive) ARCHIVE=$2; shift 2 ;;
    --dry-run) DRY_RUN=true; shift ;;
    --from-dump) FROM_DUMP=true; shift ;;
    -*) die "unknown option $1" ;;
    *) if [[ -z $cmd ]]; then cmd=$1; else args+=("$1"); fi; shift ;;
    esac
  done
  [[ $STACK =~ ^[A-Za-z0-9._-]+$ ]] || die "bad stack name $STACK"
  ENVIRONMENT=${RESTORE_ENVIRONMENT:-$STACK}
  command -v docker >/dev/null || die "the docker CLI is needed on the host for $cmd"
  $DRY_RUN && printf 'dry run: nothing is stopped, written or started\n'
  IMAGE=$(helper_image)
  case $cmd in
  list)
    docker run "${HELPER_FLAGS[@]}" -v "$(backup_volume):/backups:ro" "$IMAGE" -c 'ls -lh /backups/archives; cat /backups/status.json'
    ;;
  offline-dump) offline_dump ;;
  service)
    local name=${args[0]:-}
    [[ $name =~ ^[a-z][a-z0-9-]*$ ]] || die "service needs a name: neo4j, gmail, rag or a data service"
    resolve_archive
    verify_archive_on_host
    if [[ $name == neo4j ]]; then restore_neo4j; else restore_volume_service "$name"; fi
    ;;
  full)
    resolve_archive
    verify_archive_on_host
    full_restore
    ;;
  *) die "unknown command ${cmd:-(none)}: full, service NAME, offline-dump, list (see the top of this file)" ;;
  esac
  step "done"
}

case ${1:-} in
verify) cmd_verify "${2:?verify ARCHIVE}" ;;
extract) cmd_extract "${2:?extract ARCHIVE ITEM TARGET}" "${3:?ITEM}" "${4:?TARGET}" "${5:-}" "${6:-}" ;;
cat) cmd_cat "${2:?cat ARCHIVE FILE}" "${3:?FILE}" ;;
items) cmd_items "${2:?items ARCHIVE}" ;;
*) host_main "$@" ;;
esac

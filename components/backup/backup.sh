#!/usr/bin/env bash
# mcp-platform backup: runs inside the backup container (no Docker socket) on the cron schedules in
# BACKUP_SCHEDULES, and writes one verified archive per run to the backup volume.
#
#   backup.sh schedule            run forever: a backup at every minute a schedule matches (UTC)
#   backup.sh run [LABEL]         one backup now
#   backup.sh prune               apply retention to the archives
#   backup.sh health              container healthcheck: the scheduler is alive
#   backup.sh check               exit 1 when the last verified backup is older than the RPO
#   backup.sh cron-match EXPR T…  for each epoch second T, "T 1" when the 5-field cron EXPR matches it
#                                 (UTC), "T 0" when not
#
# Each run: Neo4j exported online through cypher-shell and APOC (Community edition has no online
# backup, and neo4j-admin dumps only a stopped database), users and roles from the system database,
# the newest offline dumps the maintenance command left in neo4j-data/dumps, every other mounted
# volume, and the platform's rendered, non-secret config. Then a sha256 manifest, one .tar.gz
# (encrypted when BACKUP_ENCRYPTION_KEY is set), a full verification of that archive, retention, the
# optional copy to the off-host directory, and the status file the health monitor reads.
set -euo pipefail
shopt -s inherit_errexit
umask 027

BACKUP_DIR=${BACKUP_DIR:-/backups}
VOLUMES_DIR=${BACKUP_VOLUMES_DIR:-/volumes}
SHARE_DIR=${BACKUP_SHARE_DIR:-/opt/backup}
OFFSITE_DIR=${BACKUP_OFFSITE_DIR:-}
STACK=${BACKUP_STACK:-dev}
RPO_MINUTES=${BACKUP_RPO_MINUTES:-60}
KEEP_HOURLY=${BACKUP_KEEP_HOURLY:-24}
KEEP_DAILY=${BACKUP_KEEP_DAILY:-7}
KEEP_WEEKLY=${BACKUP_KEEP_WEEKLY:-4}
HEARTBEAT=${BACKUP_HEARTBEAT_FILE:-/tmp/backup-heartbeat}
RUNNING=${BACKUP_RUNNING_FILE:-/tmp/backup-running}
NEO4J_URI=${NEO4J_URI:-bolt://neo4j:7687}
NEO4J_USERNAME=${NEO4J_USERNAME:-neo4j}
# The live Neo4j store is never copied as files (that copy would not be consistent): the online export
# covers it, and only its dumps/ directory (written while Neo4j was stopped) is taken.
NEO4J_DATA_VOLUME=${BACKUP_NEO4J_DATA_VOLUME:-neo4j-data}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ARCHIVES="$BACKUP_DIR/archives"
STATUS="$BACKUP_DIR/status.json"

log() { printf '%s backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# "Now" as epoch seconds; BACKUP_NOW makes it injectable (tests simulate days of runs).
now() { printf '%s\n' "${BACKUP_NOW:-$(date -u +%s)}"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# mcp-dev-20261123T220000Z.tar.gz[.enc] -> epoch seconds
archive_epoch() {
  local stamp
  stamp=$(basename "$1" | sed -E 's/^.*-([0-9]{8})T([0-9]{2})([0-9]{2})([0-9]{2})Z\.tar\.gz(\.enc)?$/\1 \2:\3:\4/')
  date -u -d "$stamp" +%s
}
json_string() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "${s//$'\n'/ }"
}

# ---- cron matching (5 fields: minute hour day-of-month month day-of-week; numbers, * , - /) ----

# field_match VALUE SPEC MIN MAX
field_match() {
  local value=$1 spec=$2 min=$3 max=$4 part range step lo hi
  local -a parts
  IFS=, read -ra parts <<<"$spec"
  for part in "${parts[@]}"; do
    step=1
    range=${part%%/*}
    [[ $part == */* ]] && step=${part#*/}
    if [[ $range == "*" ]]; then
      lo=$min hi=$max
    elif [[ $range == *-* ]]; then
      lo=${range%-*} hi=${range#*-}
    else
      lo=$range
      if [[ $part == */* ]]; then hi=$max; else hi=$range; fi
    fi
    if ((10#$value >= 10#$lo && 10#$value <= 10#$hi && (10#$value - 10#$lo) % 10#$step == 0)); then return 0; fi
  done
  return 1
}

# cron_matches "EXPR" EPOCH: Vixie-cron semantics, as cron-parser (which validated EXPR) applies them:
# when both day fields are restricted, either may match.
cron_matches() {
  local minute hour dom month dow extra
  read -r minute hour dom month dow extra <<<"$1"
  [[ -n $dow && -z $extra ]] || return 2
  local m h d mo w
  read -r m h d mo w <<<"$(date -u -d "@$2" '+%M %H %d %m %w')"
  field_match "$m" "$minute" 0 59 || return 1
  field_match "$h" "$hour" 0 23 || return 1
  field_match "$mo" "$month" 1 12 || return 1
  local dom_ok=1 dow_ok=1
  field_match "$d" "$dom" 1 31 && dom_ok=0
  { field_match "$w" "$dow" 0 7 || { ((10#$w == 0)) && field_match 7 "$dow" 0 7; }; } && dow_ok=0
  if [[ $dom == \** || $dow == \** ]]; then
    ((dom_ok == 0 && dow_ok == 0))
  else
    ((dom_ok == 0 || dow_ok == 0))
  fi
}

# BACKUP_SCHEDULES='[{"name":"hourly","cron":"0 * * * *"}]' -> lines "name<TAB>cron"
schedules() {
  local rest=${BACKUP_SCHEDULES:-[]}
  local re='"name"[[:space:]]*:[[:space:]]*"([^"]+)"[[:space:]]*,[[:space:]]*"cron"[[:space:]]*:[[:space:]]*"([^"]+)"'
  while [[ $rest =~ $re ]]; do
    printf '%s\t%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    rest=${rest#*"${BASH_REMATCH[0]}"}
  done
}

# ---- what goes into an archive ----

cypher() {
  # The password comes from NEO4J_PASSWORD in the environment (a secret env var), never the command line.
  cypher-shell -a "$NEO4J_URI" -u "$NEO4J_USERNAME" --format plain "$@"
}

export_neo4j() {
  local out=$1
  mkdir -p "$out"
  # APOC streams the statements back (no file export, so apoc.export.file.enabled stays off). Each
  # batch is base64-encoded in Cypher so that no quoting rule of cypher-shell's output can alter it.
  cypher -d neo4j "CALL apoc.export.cypher.all(null, {stream: true, format: 'cypher-shell', useOptimizations: {type: 'UNWIND_BATCH', unwindBatchSize: 100}}) YIELD cypherStatements RETURN apoc.text.base64Encode(cypherStatements) AS b64" \
    >"$out/export.raw" || die "the Neo4j export failed (is Neo4j up and APOC enabled?)"
  local line
  : >"$out/neo4j.cypher"
  while IFS= read -r line; do
    line=${line//\"/}
    [[ -z $line || $line == b64 ]] && continue
    printf '%s' "$line" | base64 -d >>"$out/neo4j.cypher" || die "the Neo4j export returned a batch that is not base64"
    printf '\n' >>"$out/neo4j.cypher"
  done <"$out/export.raw"
  rm -f "$out/export.raw"
  local nodes rels
  nodes=$(cypher -d neo4j "MATCH (n) RETURN count(n) AS nodes" | tail -n 1)
  rels=$(cypher -d neo4j "MATCH ()-[r]->() RETURN count(r) AS relationships" | tail -n 1)
  [[ $nodes =~ ^[0-9]+$ && $rels =~ ^[0-9]+$ ]] || die "could not count the Neo4j graph (got '$nodes', '$rels')"
  printf '{"nodes": %s, "relationships": %s}\n' "$nodes" "$rels" >"$out/counts.json"
  # Users and roles. SHOW USERS works on Community; roles and privileges are Enterprise features, so
  # their absence is recorded rather than failing the run. Password hashes are only in the offline dump.
  cypher -d system "SHOW USERS" >"$out/system-users.txt" || die "SHOW USERS on the system database failed"
  cypher -d system "SHOW ROLES" >"$out/system-roles.txt" 2>&1 || echo "(not available on this edition)" >"$out/system-roles.txt"
  cypher -d system "SHOW PRIVILEGES AS COMMANDS" >"$out/system-privileges.cypher" 2>&1 ||
    echo "// (not available on this edition)" >"$out/system-privileges.cypher"
}

copy_volumes() {
  local out=$1 dir name
  mkdir -p "$out"
  [[ -d $VOLUMES_DIR ]] || return 0
  for dir in "$VOLUMES_DIR"/*/; do
    [[ -d $dir ]] || continue
    name=$(basename "$dir")
    if [[ $name == "$NEO4J_DATA_VOLUME" ]]; then
      if [[ -d $dir/dumps ]] && compgen -G "$dir/dumps/*.dump" >/dev/null; then
        mkdir -p "$out/../neo4j/offline"
        cp -p "$dir"/dumps/*.dump "$out/../neo4j/offline/"
      fi
      continue
    fi
    mkdir -p "$out/$name" "$out/../ownership"
    # -a keeps modes and times (and owners when run as root), so a restore gives the service back exactly
    # its files. Owners are also recorded, because a non-root backup user cannot keep them in the copy.
    cp -a "$dir/." "$out/$name/" || die "could not read the $name volume (check the backup user can read it: backup.user)"
    (cd "$dir" && find . -printf '%U:%G\t%P\0') >"$out/../ownership/$name"
  done
}

write_manifest() {
  local root=$1
  local list
  list=$(mktemp)
  (cd "$root" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum >"$list")
  mv "$list" "$root/MANIFEST.sha256"
}

encrypt() {
  openssl enc -aes-256-cbc -pbkdf2 -iter 200000 -salt -pass env:BACKUP_ENCRYPTION_KEY -in "$1" -out "$2"
}

write_status() {
  local ok=$1 ts=$2 label=$3 archive=$4 error=$5 offsite=$6
  local last_epoch="" last_archive="" last_label=""
  if [[ $ok == true ]]; then
    last_epoch=$ts last_archive=$archive last_label=$label
  elif [[ -f $STATUS ]]; then
    last_epoch=$(sed -nE 's/.*"lastVerifiedBackupEpoch": *([0-9]+).*/\1/p' "$STATUS")
    last_archive=$(sed -nE 's/.*"lastArchive": *"([^"]*)".*/\1/p' "$STATUS")
    last_label=$(sed -nE 's/.*"lastSchedule": *"([^"]*)".*/\1/p' "$STATUS")
  fi
  local tmp="$STATUS.tmp.$$"
  {
    printf '{\n'
    printf '  "stack": %s,\n' "$(json_string "$STACK")"
    printf '  "rpoMinutes": %s,\n' "$RPO_MINUTES"
    if [[ -n $last_epoch ]]; then
      printf '  "lastVerifiedBackup": "%s",\n' "$(iso "$last_epoch")"
      printf '  "lastVerifiedBackupEpoch": %s,\n' "$last_epoch"
    else
      printf '  "lastVerifiedBackup": null,\n  "lastVerifiedBackupEpoch": null,\n'
    fi
    printf '  "lastArchive": %s,\n' "$(json_string "$last_archive")"
    printf '  "lastSchedule": %s,\n' "$(json_string "$last_label")"
    printf '  "lastRun": {"time": "%s", "ok": %s, "error": %s},\n' "$(iso "$ts")" "$ok" "$(json_string "$error")"
    printf '  "offsite": %s\n' "$offsite"
    printf '}\n'
  } >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$STATUS"
}

# ---- retention: keep the newest archive of each of the last N hours, days and ISO weeks ----

prune() {
  local dir=${1:-$ARCHIVES}
  [[ -d $dir ]] || return 0
  local -a files=()
  local f
  while IFS= read -r f; do files+=("$f"); done < <(find "$dir" -maxdepth 1 -type f \( -name '*.tar.gz' -o -name '*.tar.gz.enc' \) -printf '%f\n' | sort -r)
  local -A keep=()
  local rule n fmt last count t bucket
  for rule in "hourly:$KEEP_HOURLY:%Y-%m-%dT%H" "daily:$KEEP_DAILY:%Y-%m-%d" "weekly:$KEEP_WEEKLY:%G-W%V"; do
    IFS=: read -r _ n fmt <<<"$rule"
    last="" count=0
    for f in "${files[@]}"; do
      ((count < n)) || break
      t=$(archive_epoch "$f")
      bucket=$(date -u -d "@$t" "+$fmt")
      if [[ $bucket != "$last" ]]; then
        keep[$f]=1
        last=$bucket
        count=$((count + 1))
      fi
    done
  done
  # The newest archive is always kept, whatever the settings.
  [[ ${#files[@]} -gt 0 ]] && keep[${files[0]}]=1
  for f in "${files[@]}"; do
    if [[ -z ${keep[$f]:-} ]]; then
      rm -f "$dir/$f" "$dir/$f.sha256"
      log "retention: removed $f"
    fi
  done
}

# ---- off-host copy: a directory backed by an NFS volume (or any mount the user gives) ----

copy_offsite() {
  local archive=$1 name dest
  name=$(basename "$archive")
  dest="$OFFSITE_DIR/$STACK"
  mkdir -p "$dest" || return 1
  cp "$archive" "$dest/$name.part" && cp "$archive.sha256" "$dest/$name.sha256" || return 1
  mv -f "$dest/$name.part" "$dest/$name"
  # Checked where it landed: the copy counts only once it matches its checksum there.
  (cd "$dest" && sha256sum --quiet -c "$name.sha256") || return 1
  prune "$dest"
}

run_backup() {
  local label=${1:-manual} ts stamp id work root file
  ts=$(now)
  stamp=$(date -u -d "@$ts" +%Y%m%dT%H%M%SZ)
  id="mcp-$STACK-$stamp"
  mkdir -p "$ARCHIVES"
  work=$(mktemp -d "$BACKUP_DIR/.work-$stamp.XXXXXX")
  # shellcheck disable=SC2064 # expand now: the trap must remove this run's directory
  trap "rm -rf '$work'" EXIT
  root="$work/$id"
  mkdir -p "$root/neo4j" "$root/config"
  log "run $id ($label)"
  local tool
  for tool in tar gzip sha256sum base64 cypher-shell; do
    command -v "$tool" >/dev/null || die "$tool is not in this image: set backup.image to one that has it (the Neo4j image does)"
  done
  if [[ -n ${BACKUP_ENCRYPTION_KEY:-} ]] && ! command -v openssl >/dev/null; then
    die "backup.encryptionKey is set but this image has no openssl: set backup.image to an image with openssl and cypher-shell"
  fi

  export_neo4j "$root/neo4j"
  copy_volumes "$root/volumes"
  [[ -f $SHARE_DIR/platform-config.json ]] && cp "$SHARE_DIR/platform-config.json" "$root/config/"
  # The restore tooling travels with the data: an archive alone is enough to recover.
  for f in restore.sh backup.sh; do [[ -f $SCRIPT_DIR/$f ]] && cp "$SCRIPT_DIR/$f" "$root/config/"; done
  {
    printf '{\n  "id": %s,\n  "stack": %s,\n' "$(json_string "$id")" "$(json_string "$STACK")"
    printf '  "time": "%s",\n  "schedule": %s,\n' "$(iso "$ts")" "$(json_string "$label")"
    printf '  "neo4j": %s' "$(cat "$root/neo4j/counts.json")"
    printf '}\n'
  } >"$root/backup.json"
  write_manifest "$root"

  tar -C "$work" -czf "$work/$id.tar.gz" "$id"
  file="$id.tar.gz"
  if [[ -n ${BACKUP_ENCRYPTION_KEY:-} ]]; then
    encrypt "$work/$id.tar.gz" "$work/$id.tar.gz.enc" || die "encryption failed (is openssl in the image?)"
    rm -f "$work/$id.tar.gz"
    file="$id.tar.gz.enc"
  fi
  (cd "$work" && sha256sum "$file" >"$file.sha256")

  # Verified before it counts: checksum, listing, extraction and every file's checksum.
  RESTORE_SCRATCH=$work bash "$SCRIPT_DIR/restore.sh" verify "$work/$file" >/dev/null ||
    die "the new archive $file failed verification; it was not kept"
  mv -f "$work/$file" "$ARCHIVES/$file"
  mv -f "$work/$file.sha256" "$ARCHIVES/$file.sha256"
  chmod 0640 "$ARCHIVES/$file" "$ARCHIVES/$file.sha256"
  log "verified $file ($(du -h "$ARCHIVES/$file" | cut -f1))"

  prune "$ARCHIVES"
  local offsite='{"enabled": false}'
  if [[ -n $OFFSITE_DIR ]]; then
    if copy_offsite "$ARCHIVES/$file"; then
      offsite="{\"enabled\": true, \"ok\": true, \"time\": \"$(iso "$ts")\", \"archive\": $(json_string "$file")}"
    else
      log "off-host copy to $OFFSITE_DIR failed"
      offsite="{\"enabled\": true, \"ok\": false, \"time\": \"$(iso "$ts")\", \"error\": \"copy or its checksum failed\"}"
    fi
  fi
  write_status true "$ts" "$label" "$file" "" "$offsite"
  printf '%s\n' "$ARCHIVES/$file"
}

# A failed run leaves the last verified backup in the status file, and says why it failed.
run_and_record() {
  local label=$1 err
  touch "$RUNNING"
  err=$(mktemp)
  # A process of its own: inside this if, bash would ignore set -e in a subshell, and a failed command
  # must end the run. The log goes to stderr and to $err (read below once tee is done).
  if { bash "${BASH_SOURCE[0]}" run-once "$label" 2>&1 1>&3 | tee "$err" >&2; } 3>&1; then
    rm -f "$RUNNING" "$err"
    return 0
  fi
  write_status false "$(now)" "$label" "" "$(grep 'error:' "$err" | tail -n 1 | sed 's/.*error: //')" '{"enabled": false}' || true
  rm -f "$RUNNING" "$err"
  return 1
}

schedule_loop() {
  local -a names=() crons=()
  local name cron
  while IFS=$'\t' read -r name cron; do
    names+=("$name")
    crons+=("$cron")
  done < <(schedules)
  ((${#names[@]} > 0)) || die "BACKUP_SCHEDULES names no schedule"
  for i in "${!names[@]}"; do log "schedule ${names[$i]}: ${crons[$i]} (UTC)"; done
  touch "$HEARTBEAT"
  # After a restart, catch up at once when the last verified backup is older than the RPO.
  local last
  last=""
  if [[ -f $STATUS ]]; then last=$(sed -nE 's/.*"lastVerifiedBackupEpoch": *([0-9]+).*/\1/p' "$STATUS"); fi
  if [[ -z $last ]] || (($(date -u +%s) - last > RPO_MINUTES * 60)); then
    run_and_record "catch-up" || log "catch-up backup failed"
  fi
  local last_minute=$(($(date -u +%s) / 60)) minute m due
  while true; do
    touch "$HEARTBEAT"
    sleep $((60 - $(date -u +%s) % 60))
    minute=$(($(date -u +%s) / 60))
    due=()
    # Every minute since the last check (a long run may have spanned several), at most an hour back.
    for ((m = (minute - last_minute > 60 ? minute - 60 : last_minute + 1); m <= minute; m++)); do
      for i in "${!names[@]}"; do
        if cron_matches "${crons[$i]}" $((m * 60)) && [[ " ${due[*]} " != *" ${names[$i]} "* ]]; then due+=("${names[$i]}"); fi
      done
    done
    last_minute=$minute
    if ((${#due[@]} > 0)); then
      touch "$HEARTBEAT"
      run_and_record "${due[*]}" || log "backup for ${due[*]} failed"
    fi
  done
}

# The RPO check the health monitor (or a cron job on the host, through docker exec) runs: exit 1 when
# the last verified backup is older than the RPO, or there is none.
check_rpo() {
  local last age
  last=""
  if [[ -f $STATUS ]]; then last=$(sed -nE 's/.*"lastVerifiedBackupEpoch": *([0-9]+).*/\1/p' "$STATUS"); fi
  if [[ -z $last ]]; then
    echo "no verified backup yet (RPO ${RPO_MINUTES} minutes): STALE"
    return 1
  fi
  age=$((($(now) - last) / 60))
  if ((age > RPO_MINUTES)); then
    echo "last verified backup $(iso "$last"), ${age} minutes ago, RPO ${RPO_MINUTES} minutes: STALE"
    return 1
  fi
  echo "last verified backup $(iso "$last"), ${age} minutes ago, RPO ${RPO_MINUTES} minutes: ok"
}

health() {
  [[ -f $RUNNING ]] && exit 0
  [[ -n $(find "$HEARTBEAT" -mmin -3 2>/dev/null) ]] || die "the scheduler has not ticked for 3 minutes"
}

main() {
  local cmd=${1:-}
  shift || true
  case $cmd in
  schedule) schedule_loop ;;
  run) run_and_record "${1:-manual}" ;;
  run-once) run_backup "${1:-manual}" ;;
  prune) prune "${1:-$ARCHIVES}" ;;
  health) health ;;
  check) check_rpo ;;
  cron-match)
    local expr=$1 t
    shift
    for t in "$@"; do
      if cron_matches "$expr" "$t"; then echo "$t 1"; else echo "$t 0"; fi
    done
    ;;
  *)
    sed -n '2,12p' "${BASH_SOURCE[0]}" >&2
    exit 2
    ;;
  esac
}

main "$@"

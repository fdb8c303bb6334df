#!/usr/bin/env bash
# mcp-platform backup: runs inside the backup container (no Docker socket) on the cron schedules in
# BACKUP_SCHEDULES, and snapshots the Neo4j export and every stateful volume into a restic repository.
#
#   backup.sh schedule            run forever: a backup at every minute a schedule matches, a restore
#                                 drill at every minute BACKUP_DRILL_CRON matches (UTC)
#   backup.sh run [LABEL]         one backup now
#   backup.sh drill               one restore drill now: the latest snapshot into a scratch Neo4j
#   backup.sh record              the live graph's record (counts, schema, content hash) as JSON
#   backup.sh health              container healthcheck: the scheduler is alive
#   backup.sh check               exit 1 when the last verified backup is older than the RPO
#   backup.sh cron-match EXPR T…  for each epoch second T, "T 1" when the 5-field cron EXPR matches it
#                                 (UTC), "T 0" when not
#
# Each run: Neo4j exported online through cypher-shell and APOC (Community edition has no online
# backup, and neo4j-admin dumps only a stopped database), the graph's record (node and relationship
# counts per label and type, constraints and indexes, a content hash) taken before and after the
# export, users and roles from the system database, the offline dumps the maintenance command left in
# neo4j-data/dumps, every other mounted volume (read-only), and the platform's rendered config. An
# export that does not hold what the record counts is refused. Then one restic snapshot of all of it,
# `restic check` with a read-data subset, retention (`forget --prune`), the optional copy to the
# off-host repository, and the status file the health monitor reads.
# shellcheck disable=SC2016 # the single-quoted $names are jq's variables, not the shell's
set -euo pipefail
shopt -s inherit_errexit
umask 027
# cypher-shell (Java 17) reads and prints text in the locale's charset: UTF-8, or non-ASCII text is
# mangled on the way (seen in the e2e: "Zürich" replayed as garbage, caught by the content hash).
export LANG=C.UTF-8 LC_ALL=C.UTF-8

BACKUP_DIR=${BACKUP_DIR:-/backups}
VOLUMES_DIR=${BACKUP_VOLUMES_DIR:-/volumes}
SHARE_DIR=${BACKUP_SHARE_DIR:-/opt/backup}
STACK=${BACKUP_STACK:-dev}
RPO_MINUTES=${BACKUP_RPO_MINUTES:-60}
KEEP_HOURLY=${BACKUP_KEEP_HOURLY:-24}
KEEP_DAILY=${BACKUP_KEEP_DAILY:-7}
KEEP_WEEKLY=${BACKUP_KEEP_WEEKLY:-4}
# The share of the repository's pack files `restic check` reads back after each run.
CHECK_SUBSET=${BACKUP_CHECK_READ_DATA_SUBSET:-10%}
DRILL_CRON=${BACKUP_DRILL_CRON:-}
HEARTBEAT=${BACKUP_HEARTBEAT_FILE:-/tmp/backup-heartbeat}
RUNNING=${BACKUP_RUNNING_FILE:-/tmp/backup-running}
NEO4J_URI=${NEO4J_URI:-bolt://neo4j:7687}
NEO4J_USERNAME=${NEO4J_USERNAME:-neo4j}
# Secrets arrive as files (never in the container's environment); restic reads RESTIC_PASSWORD_FILE.
NEO4J_PASSWORD_FILE=${NEO4J_PASSWORD_FILE:-}
export RESTIC_REPOSITORY=${RESTIC_REPOSITORY:-$BACKUP_DIR/restic}
export RESTIC_PASSWORD_FILE=${RESTIC_PASSWORD_FILE:-}
# The off-host repository: a path (an NFS mount), or a file holding its location (a REST server's URL
# with its credentials: a secret, so a file) and optionally the CA certificate that server's TLS uses.
OFFSITE_REPOSITORY=${BACKUP_OFFSITE_REPOSITORY:-}
OFFSITE_REPOSITORY_FILE=${BACKUP_OFFSITE_REPOSITORY_FILE:-}
OFFSITE_CACERT=${BACKUP_OFFSITE_CACERT:-}
# The live Neo4j store is never copied as files (that copy would not be consistent): the online export
# covers it, and only its dumps/ directory (written while Neo4j was stopped) is taken.
NEO4J_DATA_VOLUME=${BACKUP_NEO4J_DATA_VOLUME:-neo4j-data}
# Where the export is staged: the snapshot holds it under this path.
EXPORT_DIR="$BACKUP_DIR/export"
STATUS="$BACKUP_DIR/status.json"
# Rows per query when the content hash is computed, so that cypher-shell never holds the whole graph
# (a relationship's row carries both ends' properties); the queries share one cypher-shell run.
RECORD_CHUNK=${BACKUP_RECORD_CHUNK:-20000}
# The scratch Neo4j of the restore drill: loopback only, its own port, small memory.
DRILL_PORT=${BACKUP_DRILL_BOLT_PORT:-17687}
DRILL_HEAP=${BACKUP_DRILL_HEAP:-512m}
DRILL_PAGECACHE=${BACKUP_DRILL_PAGECACHE:-128m}
DRILL_START_SECONDS=${BACKUP_DRILL_START_SECONDS:-180}
# The JVM options of cypher-shell and of the drill's scratch Neo4j (why: cypher_jvm below).
CYPHER_SHELL_JAVA_OPTIONS=${BACKUP_CYPHER_SHELL_JAVA_OPTIONS-"-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}

log() { printf '%s backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# "Now" as epoch seconds; BACKUP_NOW makes it injectable (tests simulate days of runs).
now() { printf '%s\n' "${BACKUP_NOW:-$(date -u +%s)}"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# ---- cron matching (5 fields: minute hour day-of-month month day-of-week; numbers, * , - /) ----
# The config accepts only what cron-parser validates and what this evaluates (components/backup/schedule.ts).

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
schedules() { jq -r '.[] | "\(.name)\t\(.cron)"' <<<"${BACKUP_SCHEDULES:-[]}"; }

# ---- Neo4j: the export and the graph's record ----

load_neo4j_password() {
  if [[ -z ${NEO4J_PASSWORD:-} ]]; then
    [[ -n $NEO4J_PASSWORD_FILE && -r $NEO4J_PASSWORD_FILE ]] || die "the Neo4j password file NEO4J_PASSWORD_FILE ($NEO4J_PASSWORD_FILE) is not readable"
    NEO4J_PASSWORD=$(<"$NEO4J_PASSWORD_FILE")
  fi
  # cypher-shell reads it from its own environment: never on a command line.
  export NEO4J_PASSWORD
}

# cypher URI DATABASE QUERY: rows in plain format, header line dropped.
cypher() {
  cypher_jvm cypher-shell -a "$1" -u "$NEO4J_USERNAME" -d "$2" --format plain "$3" | tail -n +2
}

# cypher_batch URI DATABASE FILE [OPTION…]: every statement of FILE (one per line) in one cypher-shell
# run, each statement's header line and rows in order. Each cypher-shell run is a JVM start (seconds on a
# busy machine): the record's queries go in one run, not one run each.
cypher_batch() {
  local uri=$1 db=$2 file=$3
  shift 3
  cypher_jvm cypher-shell -a "$uri" -u "$NEO4J_USERNAME" -d "$db" --format plain "$@" <"$file"
}

# A client JVM that starts fast: C1 only (no C2 compiler threads competing for a busy CPU) and the
# serial collector; it runs for seconds, not hours. BACKUP_CYPHER_SHELL_JAVA_OPTIONS overrides.
cypher_jvm() {
  JAVA_TOOL_OPTIONS="$CYPHER_SHELL_JAVA_OPTIONS" "$@" 2> >(grep -v '^Picked up JAVA_TOOL_OPTIONS' >&2)
}

# record URI: the graph's record as JSON on stdout. Counts per label and type, constraints and
# indexes (without their names, which an import may choose differently), and a sha256 over every node
# (sorted labels, sorted properties) and every relationship (type, properties, both ends' content),
# sorted: the same graph gives the same hash whatever its internal ids. Two cypher-shell runs: the
# counts (which size the chunks), then every other query in one batch whose sections a marker row
# ("@@name") starts.
record() {
  local uri=$1 work counts nodes rels max_node max_rel lo
  work=$(mktemp -d)
  counts=$(cypher "$uri" neo4j "MATCH (n) WITH count(n) AS nodes, coalesce(max(id(n)), -1) AS maxNode OPTIONAL MATCH ()-[r]->() RETURN nodes, count(r), maxNode, coalesce(max(id(r)), -1)") ||
    die "could not query Neo4j at $uri (is it up?)"
  IFS=', ' read -r nodes rels max_node max_rel <<<"$counts"
  [[ $nodes =~ ^[0-9]+$ && $rels =~ ^[0-9]+$ && $max_node =~ ^-?[0-9]+$ && $max_rel =~ ^-?[0-9]+$ ]] ||
    die "could not count the graph at $uri (got '$counts')"
  # The content lines, a chunk of internal ids per query (cypher-shell holds a whole result).
  local chunk=$RECORD_CHUNK
  ((chunk > 0)) || die "BACKUP_RECORD_CHUNK must be a positive number"
  local node_line='CALL { WITH n UNWIND labels(n) AS l WITH l ORDER BY l RETURN collect(l) AS ls } CALL { WITH n UNWIND keys(n) AS k WITH n, k ORDER BY k RETURN collect([k, n[k]]) AS ps }'
  local rel_line='CALL { WITH a UNWIND labels(a) AS l WITH l ORDER BY l RETURN collect(l) AS al } CALL { WITH a UNWIND keys(a) AS k WITH a, k ORDER BY k RETURN collect([k, a[k]]) AS ap } CALL { WITH b UNWIND labels(b) AS l WITH l ORDER BY l RETURN collect(l) AS bl } CALL { WITH b UNWIND keys(b) AS k WITH b, k ORDER BY k RETURN collect([k, b[k]]) AS bp } CALL { WITH r UNWIND keys(r) AS k WITH r, k ORDER BY k RETURN collect([k, r[k]]) AS rp }'
  {
    echo "RETURN '@@names' AS mcp_section;"
    echo "MATCH (n) UNWIND labels(n) AS l RETURN 'label' AS k, l AS name, count(*) AS v UNION ALL MATCH ()-[r]->() RETURN 'type' AS k, type(r) AS name, count(*) AS v;"
    echo "RETURN '@@constraints' AS mcp_section;"
    echo "SHOW CONSTRAINTS YIELD type, entityType, labelsOrTypes, properties RETURN type, entityType, labelsOrTypes, properties;"
    echo "RETURN '@@indexes' AS mcp_section;"
    echo "SHOW INDEXES YIELD type, entityType, labelsOrTypes, properties, owningConstraint WHERE type <> 'LOOKUP' AND owningConstraint IS NULL RETURN type, entityType, labelsOrTypes, properties;"
    echo "RETURN '@@content' AS mcp_section;"
    for ((lo = 0; lo <= max_node; lo += chunk)); do
      echo "MATCH (n) WHERE id(n) >= $lo AND id(n) < $((lo + chunk)) $node_line RETURN 'N' AS mcp_row, ls, ps;"
    done
    for ((lo = 0; lo <= max_rel; lo += chunk)); do
      echo "MATCH (a)-[r]->(b) WHERE id(r) >= $lo AND id(r) < $((lo + chunk)) WITH a, r, b $rel_line RETURN 'R' AS mcp_row, type(r), rp, al, ap, bl, bp;"
    done
  } >"$work/queries"
  cypher_batch "$uri" neo4j "$work/queries" >"$work/out" || die "could not read the graph's labels, schema and content at $uri"
  # Sections by their marker rows; the marker statements' headers dropped.
  awk -v dir="$work" '/^"@@[a-z]+"$/ { section = dir "/s-" substr($0, 4, length($0) - 4); printf "" >section; next }
    /^mcp_section$/ { next } section != "" { print >section }' "$work/out"
  local s
  for s in names constraints indexes content; do
    [[ -f $work/s-$s ]] || die "the record's batch at $uri ended before its $s section"
  done
  tagged "$work/s-names" label | LC_ALL=C sort >"$work/labels"
  tagged "$work/s-names" type | LC_ALL=C sort >"$work/types"
  # Rows start with a quoted string (their type); the header does not.
  { grep '^"' "$work/s-constraints" || true; } | LC_ALL=C sort >"$work/constraints"
  { grep '^"' "$work/s-indexes" || true; } | LC_ALL=C sort >"$work/indexes"
  # Each chunk's header line dropped; a string with a newline spans lines in plain format: continuation
  # lines join their row again.
  awk '/^mcp_row, /{ next } /^"[NR]", /{ if (row != "") print row; row = $0; next } { row = row "\\n" $0 } END { if (row != "") print row }' \
    "$work/s-content" >"$work/content"
  local lines hash
  lines=$(wc -l <"$work/content")
  ((lines == nodes + rels)) || die "the content of the graph at $uri came back with $lines rows for $nodes nodes and $rels relationships"
  hash=$(LC_ALL=C sort "$work/content" | sha256sum | cut -d' ' -f1)
  jq -n --argjson nodes "$nodes" --argjson rels "$rels" --arg hash "$hash" \
    --rawfile labels "$work/labels" --rawfile types "$work/types" --rawfile constraints "$work/constraints" --rawfile indexes "$work/indexes" '
    def rows: split("\n") | map(select(length > 0));
    def counts: rows | map(capture("^\"?(?<k>.*?)\"?, (?<v>[0-9]+)$")) | map({(.k): (.v | tonumber)}) | add // {};
    {nodes: $nodes, relationships: $rels, labels: ($labels | counts), types: ($types | counts),
     constraints: ($constraints | rows), indexes: ($indexes | rows), contentHash: $hash}'
  rm -rf "$work"
}

# tagged FILE TAG: the rows of FILE tagged TAG (the first column), without the tag.
tagged() { sed -n "s/^\"$2\", //p" "$1"; }

# export_neo4j DIR: neo4j.cypher (replayable with cypher-shell), graph.json (the record), users and
# roles. Refuses an export whose APOC counts differ from the record, or a graph that changed meanwhile.
export_neo4j() {
  local out=$1 before after
  mkdir -p "$out"
  before=$(record "$NEO4J_URI")
  # APOC streams the statements back (no file export, so apoc.export.file.enabled stays off), 100 rows a
  # statement: a replay plans every statement afresh (its literal list differs), and planning grows faster
  # than the rows (measured in a drill at load 10-20: about 1 s a statement of 100 rows, 26 s for 1,000).
  # Each batch is base64-encoded in Cypher so that no quoting rule of cypher-shell's output can alter it;
  # each row also carries APOC's running count of the nodes and relationships it exported.
  cypher "$NEO4J_URI" neo4j "CALL apoc.export.cypher.all(null, {stream: true, format: 'cypher-shell', useOptimizations: {type: 'UNWIND_BATCH', unwindBatchSize: 100}}) YIELD cypherStatements, nodes, relationships RETURN apoc.text.base64Encode(cypherStatements), nodes, relationships" \
    >"$out/export.rows" || die "the Neo4j export failed (is Neo4j up and APOC enabled?)"
  local b64 n r exported_nodes=0 exported_rels=0 rows=0
  : >"$out/neo4j.cypher"
  while IFS=', ' read -r b64 n r; do
    b64=${b64//\"/}
    [[ -n $b64 ]] || continue
    printf '%s' "$b64" | base64 -d >>"$out/neo4j.cypher" || die "the Neo4j export returned a batch that is not base64"
    printf '\n' >>"$out/neo4j.cypher"
    ((n > exported_nodes)) && exported_nodes=$n
    ((r > exported_rels)) && exported_rels=$r
    rows=$((rows + 1))
  done <"$out/export.rows"
  rm -f "$out/export.rows"
  after=$(record "$NEO4J_URI")
  [[ $before == "$after" ]] || die "the graph changed during the export (recorded before and after differ): not snapshotted, the next run tries again"
  printf '%s\n' "$after" >"$out/graph.json"
  local want_nodes want_rels
  want_nodes=$(jq .nodes <<<"$after")
  want_rels=$(jq .relationships <<<"$after")
  if ((exported_nodes != want_nodes || exported_rels != want_rels)); then
    die "the export does not hold the graph: APOC exported $exported_nodes nodes and $exported_rels relationships in $rows rows, the graph holds $want_nodes and $want_rels; not snapshotted (check APOC and its dependencies in the Neo4j image)"
  fi
  log "exported $want_nodes nodes and $want_rels relationships ($rows rows, $(du -h "$out/neo4j.cypher" | cut -f1))"
  # Users and roles. SHOW USERS works on Community; roles and privileges are Enterprise features, so
  # their absence is recorded rather than failing the run. Password hashes are only in the offline dump.
  # One cypher-shell run for the three, to the end even when one fails (--fail-at-end).
  printf '%s\n' "SHOW USERS;" "SHOW ROLES;" "SHOW PRIVILEGES AS COMMANDS;" >"$out/system.queries"
  cypher_batch "$NEO4J_URI" system "$out/system.queries" --fail-at-end >"$out/system.txt" 2>"$out/system.errors" || true
  rm -f "$out/system.queries"
  grep -q '^user, ' "$out/system.txt" ||
    die "SHOW USERS on the system database failed: $(grep -v '^$' "$out/system.errors" | tail -n 1)"
  # What this edition does not offer (roles and privileges on Community) is kept as its error.
  [[ -s $out/system.errors ]] || rm -f "$out/system.errors"
}

# ---- restic ----

restic_ready() {
  command -v restic >/dev/null || die "restic is not in this image: backup.image must be built from components/backup/image"
  [[ -n $RESTIC_PASSWORD_FILE && -r $RESTIC_PASSWORD_FILE ]] || die "the repository password file RESTIC_PASSWORD_FILE ($RESTIC_PASSWORD_FILE) is not readable"
}

# ensure_repository WHAT [RESTIC_OPTION…] [-- INIT_OPTION…]: the repository the options select opens
# with backup's password, or is created when it does not exist yet. A foreign or damaged repository is
# never overwritten, nor one that cannot be reached (a server down or refusing the credentials). WHAT
# names it in messages: never a location with credentials in it.
ensure_repository() {
  local what=$1
  shift
  local -a repo=()
  while (($#)) && [[ $1 != -- ]]; do
    repo+=("$1")
    shift
  done
  (($#)) && shift
  if restic "${repo[@]}" --no-cache cat config >/dev/null 2>"$BACKUP_DIR/.restic-err"; then return 0; fi
  local why
  why=$(grep -v '^$' "$BACKUP_DIR/.restic-err" | head -n 1)
  if grep -qiE 'wrong password|no key found' "$BACKUP_DIR/.restic-err"; then
    die "the repository $what does not open with backup's password (a foreign repository, or the password changed): $why"
  fi
  # Only a repository that is not there is created (restic: "no such file", a REST server's 404).
  grep -qiE 'no such file or directory|does not exist' "$BACKUP_DIR/.restic-err" ||
    die "the repository $what exists but cannot be read, or cannot be reached: $why"
  log "creating the restic repository $what"
  restic "${repo[@]}" --no-cache init "$@" >/dev/null || die "could not create the restic repository $what"
}

# The off-host repository's restic options, and its name for messages (a REST URL without credentials).
offsite_options() {
  if [[ -n $OFFSITE_REPOSITORY_FILE ]]; then
    printf '%s\n' --repository-file "$OFFSITE_REPOSITORY_FILE"
  else
    printf '%s\n' -r "$OFFSITE_REPOSITORY"
  fi
  [[ -z $OFFSITE_CACERT ]] || printf '%s\n' --cacert "$OFFSITE_CACERT"
}
offsite_name() {
  if [[ -n $OFFSITE_REPOSITORY_FILE ]]; then
    [[ -r $OFFSITE_REPOSITORY_FILE ]] || { echo "(unreadable $OFFSITE_REPOSITORY_FILE)"; return 0; }
    sed -E 's#^(rest:[a-z]+://)[^@/]*@#\1#' "$OFFSITE_REPOSITORY_FILE" | head -n 1
  else
    printf '%s\n' "$OFFSITE_REPOSITORY"
  fi
}

paths_to_back_up() {
  local dir name
  printf '%s\n' "$EXPORT_DIR"
  # The rendered config and the scripts: the restore tooling travels with the data.
  [[ -d $SHARE_DIR ]] && printf '%s\n' "$SHARE_DIR"
  [[ -d $VOLUMES_DIR ]] || return 0
  for dir in "$VOLUMES_DIR"/*/; do
    [[ -d $dir ]] || continue
    name=$(basename "$dir")
    if [[ $name == "$NEO4J_DATA_VOLUME" ]]; then
      [[ -d $dir/dumps ]] && printf '%s\n' "${dir%/}/dumps"
      continue
    fi
    printf '%s\n' "${dir%/}"
  done
}

# ---- the status file (merged with jq: every writer keeps the others' fields) ----

update_status() {
  local tmp="$STATUS.tmp.$$"
  if [[ -f $STATUS ]]; then jq "$@" "$STATUS" >"$tmp"; else jq -n "$@" >"$tmp"; fi
  chmod 0644 "$tmp"
  mv -f "$tmp" "$STATUS"
}

run_backup() {
  local label=${1:-manual} ts start summary snapshot
  ts=$(now)
  start=$(date +%s)
  restic_ready
  command -v cypher-shell >/dev/null || die "cypher-shell is not in this image: backup.image must be built from the stack's Neo4j image"
  load_neo4j_password
  ensure_repository "$RESTIC_REPOSITORY" -r "$RESTIC_REPOSITORY"
  log "run ($label) into $RESTIC_REPOSITORY"
  rm -rf "$EXPORT_DIR"
  mkdir -p "$EXPORT_DIR"
  local phase=$SECONDS
  export_neo4j "$EXPORT_DIR/neo4j"
  log "Neo4j recorded and exported in $((SECONDS - phase))s"
  jq -n --arg stack "$STACK" --arg time "$(iso "$ts")" --arg schedule "$label" --slurpfile graph "$EXPORT_DIR/neo4j/graph.json" \
    '{stack: $stack, time: $time, schedule: $schedule, neo4j: $graph[0]}' >"$EXPORT_DIR/backup.json"

  local -a paths
  mapfile -t paths < <(paths_to_back_up)
  phase=$SECONDS
  summary=$(restic --no-cache backup --json --host "mcp-$STACK" --tag "stack=$STACK" --tag "schedule=${label// /+}" \
    --time "$(date -u -d "@$ts" '+%Y-%m-%d %H:%M:%S')" "${paths[@]}" | jq -c 'select(.message_type == "summary")') ||
    die "restic backup failed"
  snapshot=$(jq -r .snapshot_id <<<"$summary")
  [[ -n $snapshot && $snapshot != null ]] || die "restic backup printed no snapshot id"
  log "snapshot ${snapshot:0:8} taken in $((SECONDS - phase))s"
  # Verified before it counts: the repository's structure, and a subset of its packs read back.
  phase=$SECONDS
  restic --no-cache check --read-data-subset="$CHECK_SUBSET" >"$BACKUP_DIR/.check.log" 2>&1 ||
    die "restic check failed after snapshot ${snapshot:0:8}: $(grep -v '^$' "$BACKUP_DIR/.check.log" | tail -n 1)"
  restic --no-cache forget --host "mcp-$STACK" --keep-last 1 --keep-hourly "$KEEP_HOURLY" --keep-daily "$KEEP_DAILY" \
    --keep-weekly "$KEEP_WEEKLY" --prune >/dev/null || die "restic forget --prune failed"
  log "checked (read-data subset $CHECK_SUBSET) and retention applied in $((SECONDS - phase))s"
  rm -rf "$EXPORT_DIR"

  local offsite='{"enabled": false}'
  if [[ -n $OFFSITE_REPOSITORY || -n $OFFSITE_REPOSITORY_FILE ]]; then
    # In a subshell: a failure there (die included) is reported, and the local snapshot still counts.
    if (copy_offsite "$snapshot"); then
      offsite=$(jq -n --arg t "$(iso "$ts")" --arg s "$snapshot" '{enabled: true, ok: true, time: $t, snapshotId: $s}')
    else
      log "off-host copy to $(offsite_name) failed"
      offsite=$(jq -n --arg t "$(iso "$ts")" '{enabled: true, ok: false, time: $t, error: "restic copy or its check failed"}')
    fi
  fi
  local duration=$(($(date +%s) - start))
  update_status --arg stack "$STACK" --argjson rpo "$RPO_MINUTES" --arg t "$(iso "$ts")" --argjson epoch "$ts" \
    --arg sched "$label" --argjson s "$summary" --argjson d "$duration" --argjson offsite "$offsite" --arg repo "$RESTIC_REPOSITORY" '
    . + {stack: $stack, rpoMinutes: $rpo, repository: $repo, lastVerifiedBackup: $t, lastVerifiedBackupEpoch: $epoch,
         snapshotId: $s.snapshot_id, lastSchedule: $sched, sizeBytes: $s.total_bytes_processed, addedBytes: $s.data_added,
         filesNew: $s.files_new, filesChanged: $s.files_changed, durationSeconds: $d,
         lastRun: {time: $t, ok: true, error: null}, offsite: $offsite}'
  log "snapshot ${snapshot:0:8} verified: $(jq -r '"\(.total_bytes_processed) bytes, \(.data_added) added"' <<<"$summary"), ${duration}s"
  printf '%s\n' "$snapshot"
}

# The snapshot copied into the off-host repository (created with the same chunker parameters, so
# that it deduplicates the same way), checked there, and retention applied there too.
# Runs in a subshell of its own (the caller's): it unsets RESTIC_REPOSITORY, which restic refuses
# together with --repository-file.
copy_offsite() {
  local name from=$RESTIC_REPOSITORY
  local -a off
  mapfile -t off < <(offsite_options)
  name=$(offsite_name)
  unset RESTIC_REPOSITORY
  ensure_repository "$name" "${off[@]}" -- --copy-chunker-params --from-repo "$from" --from-password-file "$RESTIC_PASSWORD_FILE" || return 1
  restic "${off[@]}" --no-cache copy --from-repo "$from" --from-password-file "$RESTIC_PASSWORD_FILE" "$1" >/dev/null || return 1
  restic "${off[@]}" --no-cache check >/dev/null || return 1
  restic "${off[@]}" --no-cache forget --host "mcp-$STACK" --keep-last 1 --keep-hourly "$KEEP_HOURLY" --keep-daily "$KEEP_DAILY" \
    --keep-weekly "$KEEP_WEEKLY" --prune >/dev/null || return 1
  log "snapshot ${1:0:8} copied to $name and checked there"
}

# ---- the restore drill: the latest snapshot into a scratch Neo4j (a process in this container,
# loopback only, its store on the backups volume), compared with the record the snapshot holds ----

DRILL_DIR=""
DRILL_PID=""
drill_cleanup() {
  if [[ -n $DRILL_PID ]]; then
    kill "$DRILL_PID" 2>/dev/null || true
    wait "$DRILL_PID" 2>/dev/null || true
  fi
  [[ -n $DRILL_DIR ]] && rm -rf "$DRILL_DIR"
  return 0
}

run_drill() {
  restic_ready
  command -v neo4j >/dev/null || die "the neo4j server is not in this image: backup.image must be built from the stack's Neo4j image"
  ensure_repository "$RESTIC_REPOSITORY" -r "$RESTIC_REPOSITORY"
  local snapshot
  snapshot=$(restic --no-cache snapshots --json --host "mcp-$STACK" latest | jq -r '.[-1].id // empty')
  [[ -n $snapshot ]] || die "the repository holds no snapshot of stack $STACK yet"
  log "drill: snapshot ${snapshot:0:8} into a scratch Neo4j"
  # The scratch server runs without authentication (loopback only); the real Neo4j is not touched.
  export NEO4J_PASSWORD=drill
  DRILL_DIR="$BACKUP_DIR/drill"
  rm -rf "$DRILL_DIR"
  mkdir -p "$DRILL_DIR"/{restore,conf,data,logs,run,import,plugins,tmp}
  trap drill_cleanup EXIT
  restic --no-cache restore "$snapshot" --target "$DRILL_DIR/restore" --include "$EXPORT_DIR/neo4j" --verify >/dev/null ||
    die "restic restore of snapshot ${snapshot:0:8} failed"
  local export="$DRILL_DIR/restore$EXPORT_DIR/neo4j"
  [[ -f $export/neo4j.cypher && -f $export/graph.json ]] || die "snapshot ${snapshot:0:8} holds no Neo4j export"
  cat >"$DRILL_DIR/conf/neo4j.conf" <<EOF
server.directories.data=$DRILL_DIR/data
server.directories.logs=$DRILL_DIR/logs
server.directories.run=$DRILL_DIR/run
server.directories.import=$DRILL_DIR/import
server.directories.plugins=$DRILL_DIR/plugins
server.default_listen_address=127.0.0.1
server.bolt.listen_address=127.0.0.1:$DRILL_PORT
server.http.enabled=false
server.https.enabled=false
dbms.security.auth_enabled=false
server.memory.heap.initial_size=$DRILL_HEAP
server.memory.heap.max_size=$DRILL_HEAP
server.memory.pagecache.size=$DRILL_PAGECACHE
dbms.usage_report.enabled=false
EOF
  # The container's /tmp is noexec: Neo4j's native libraries (JNA) are unpacked on the backups volume.
  # It lives for minutes, under the container's CPU limit: the C1 compiler only (as cypher-shell), which
  # starts the JVM about twice as fast.
  JAVA_TOOL_OPTIONS="-Djava.io.tmpdir=$DRILL_DIR/tmp -Djna.tmpdir=$DRILL_DIR/tmp $CYPHER_SHELL_JAVA_OPTIONS" NEO4J_CONF="$DRILL_DIR/conf" \
    neo4j console >"$DRILL_DIR/logs/console.log" 2>&1 &
  DRILL_PID=$!
  local uri="bolt://127.0.0.1:$DRILL_PORT" deadline=$((SECONDS + DRILL_START_SECONDS))
  # Its log says "Started." when it serves (a grep a second); only then a cypher-shell (a JVM) to confirm.
  until grep -qs 'Started\.' "$DRILL_DIR/logs/console.log" && cypher_jvm cypher-shell -a "$uri" -u neo4j --format plain "RETURN 1" >/dev/null 2>&1; do
    kill -0 "$DRILL_PID" 2>/dev/null || die "the scratch Neo4j exited: $(tail -n 3 "$DRILL_DIR/logs/console.log" | tr '\n' ' ')"
    ((SECONDS < deadline)) || die "the scratch Neo4j did not answer in ${DRILL_START_SECONDS}s"
    sleep 1
  done
  log "drill: scratch Neo4j up in $((SECONDS + DRILL_START_SECONDS - deadline))s"
  local replay_start=$SECONDS
  cypher_jvm cypher-shell -a "$uri" -u neo4j -d neo4j --format plain <"$export/neo4j.cypher" >/dev/null ||
    die "replaying the export of snapshot ${snapshot:0:8} into the scratch Neo4j failed"
  log "drill: export replayed in $((SECONDS - replay_start))s"
  local got want
  local compare_start=$SECONDS
  got=$(record "$uri")
  log "drill: restored graph recorded in $((SECONDS - compare_start))s"
  want=$(jq -S . "$export/graph.json")
  got=$(jq -S . <<<"$got")
  if [[ $got != "$want" ]]; then
    die "the restored graph differs from snapshot ${snapshot:0:8}'s record: $(graph_difference "$want" "$got")"
  fi
  log "drill: snapshot ${snapshot:0:8} restored and identical to its record ($(jq -r '"\(.nodes) nodes, \(.relationships) relationships"' <<<"$want"))"
  # The short id, as restic backup reports it and the status file records it.
  printf '%s\n' "${snapshot:0:8}"
}

# The first few differences between two records, in words.
graph_difference() {
  jq -rn --argjson want "$1" --argjson got "$2" '
    [ (["nodes", "relationships"][] as $k | select($want[$k] != $got[$k]) | "\($k): \($want[$k]) recorded, \($got[$k]) restored"),
      (["labels", "types"][] as $k | (($want[$k] | keys) + ($got[$k] | keys) | unique[]) as $n
        | select($want[$k][$n] != $got[$k][$n]) | "\($k) \($n): \($want[$k][$n] // 0) recorded, \($got[$k][$n] // 0) restored"),
      (["constraints", "indexes"][] as $k | select($want[$k] != $got[$k]) | "\($k) differ"),
      (select($want.contentHash != $got.contentHash) | "content hash \($want.contentHash[0:12]) recorded, \($got.contentHash[0:12]) restored")
    ] | .[0:4] | join("; ")'
}

# ---- runs, recorded in the status file whatever their outcome ----

# A run in a process of its own (inside this `if`, bash would ignore set -e in a function), its log on
# stderr and kept for the status file's error.
# One run at a time (scheduled, manual or drill): the next waits for the lock, which a subshell holds
# only for its run (the scheduler's own shell must not keep it).
recorded() {
  (
    exec 9>"$BACKUP_DIR/.lock"
    flock 9
    recorded_locked "$@"
  )
}

recorded_locked() {
  local kind=$1 label=$2 err ts start out
  touch "$RUNNING"
  err=$(mktemp)
  ts=$(now)
  start=$(date +%s)
  if out=$({ bash "${BASH_SOURCE[0]}" "$kind-once" "$label" 2>&1 1>&3 | tee "$err" >&2; } 3>&1); then
    if [[ $kind == drill ]]; then
      update_status --arg t "$(iso "$ts")" --arg s "$out" --argjson d $(($(date +%s) - start)) \
        '. + {lastRestoreDrill: {time: $t, ok: true, error: null, snapshotId: $s, durationSeconds: $d}}'
    fi
    [[ -n $out ]] && printf '%s\n' "$out"
    rm -f "$RUNNING" "$err"
    return 0
  fi
  local why
  why=$(grep 'error:' "$err" | tail -n 1 | sed 's/.*error: //' || true)
  [[ -n $why ]] || why="exited with an error: $(tail -n 1 "$err")"
  if [[ $kind == drill ]]; then
    update_status --arg t "$(iso "$ts")" --arg e "$why" --argjson d $(($(date +%s) - start)) \
      '. + {lastRestoreDrill: {time: $t, ok: false, error: $e, durationSeconds: $d}}' || true
  else
    update_status --arg stack "$STACK" --argjson rpo "$RPO_MINUTES" --arg t "$(iso "$ts")" --arg e "$why" \
      '{lastVerifiedBackup: null, lastVerifiedBackupEpoch: null} + . + {stack: $stack, rpoMinutes: $rpo, lastRun: {time: $t, ok: false, error: $e}}' || true
  fi
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
  [[ -n $DRILL_CRON ]] && log "restore drill: $DRILL_CRON (UTC)"
  touch "$HEARTBEAT"
  # After a restart, catch up at once when the last verified backup is older than the RPO.
  local last=""
  [[ -f $STATUS ]] && last=$(jq -r '.lastVerifiedBackupEpoch // empty' "$STATUS" 2>/dev/null || true)
  if [[ -z $last ]] || (($(date -u +%s) - last > RPO_MINUTES * 60)); then
    recorded run "catch-up" >/dev/null || log "catch-up backup failed"
  fi
  local last_minute=$(($(date -u +%s) / 60)) minute m drill
  local -a due
  while true; do
    touch "$HEARTBEAT"
    sleep $((60 - $(date -u +%s) % 60))
    minute=$(($(date -u +%s) / 60))
    due=()
    drill=false
    # Every minute since the last check (a long run may have spanned several), at most an hour back.
    for ((m = (minute - last_minute > 60 ? minute - 60 : last_minute + 1); m <= minute; m++)); do
      for i in "${!names[@]}"; do
        if cron_matches "${crons[$i]}" $((m * 60)) && [[ " ${due[*]} " != *" ${names[$i]} "* ]]; then due+=("${names[$i]}"); fi
      done
      if [[ -n $DRILL_CRON ]] && cron_matches "$DRILL_CRON" $((m * 60)); then drill=true; fi
    done
    last_minute=$minute
    if ((${#due[@]} > 0)); then
      touch "$HEARTBEAT"
      recorded run "${due[*]}" >/dev/null || log "backup for ${due[*]} failed"
    fi
    if $drill; then
      touch "$HEARTBEAT"
      recorded drill scheduled >/dev/null || log "restore drill failed"
    fi
  done
}

# The RPO check: exit 1 when the last verified backup is older than the RPO, or there is none.
check_rpo() {
  local last="" age
  [[ -f $STATUS ]] && last=$(jq -r '.lastVerifiedBackupEpoch // empty' "$STATUS")
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
  run) recorded run "${1:-manual}" ;;
  run-once) run_backup "${1:-manual}" ;;
  drill) recorded drill "${1:-manual}" ;;
  drill-once) run_drill ;;
  record)
    load_neo4j_password
    record "$NEO4J_URI"
    ;;
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
    sed -n '2,14p' "${BASH_SOURCE[0]}" >&2
    exit 2
    ;;
  esac
}

main "$@"

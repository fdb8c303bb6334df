#!/bin/sh
# The one-shot init of a workload on one Docker host. It runs before the workload, as root with CAP_CHOWN
# as its only capability and no network, from the workload's own image:
# 1. it hands each writable volume's mount point to the workload's user (Docker creates a new volume's
#    mount point owned by root);
# 2. it fills each files volume with the files staged in its own root filesystem. Docker refuses to copy
#    files into a container whose root is read-only, so the workload cannot receive them directly: it
#    mounts the files volume read-only at the files' directory instead.
# Each file is written under a temporary name and renamed into place, so a workload that watches its
# files never reads half of one; files a previous run wrote that are no longer wanted are removed.
#
# Environment: INIT_OWNER (uid:gid of the workload), INIT_CHOWN (space-separated mount points), INIT_ROOT
# (default /mcp-platform). $INIT_ROOT/manifest: one line per file: "<volume index> <file name> <mode>";
# the file is staged at $INIT_ROOT/files/<index>/<name> and its volume is mounted at $INIT_ROOT/out/<index>.
set -eu

owner=${INIT_OWNER:-0:0}
root=${INIT_ROOT:-/mcp-platform}
manifest=$root/manifest

for dir in ${INIT_CHOWN:-}; do
  chown "$owner" "$dir"
done

[ -f "$manifest" ] || exit 0

while read -r index name mode; do
  src=$root/files/$index/$name
  dst=$root/out/$index/$name
  cp "$src" "$dst.new"
  chmod "$mode" "$dst.new"
  chown "$owner" "$dst.new"
  mv -f "$dst.new" "$dst"
done <"$manifest"

# Whether the manifest lists file $2 in volume $1.
wanted() {
  while read -r i n _; do
    if [ "$i" = "$1" ] && [ "$n" = "$2" ]; then return 0; fi
  done <"$manifest"
  return 1
}

# Remove what is no longer in the manifest (a file dropped from the config, a leftover .new).
for out in "$root"/out/*; do
  [ -d "$out" ] || continue
  index=${out##*/}
  for f in "$out"/* "$out"/.[!.]*; do
    [ -e "$f" ] || continue
    wanted "$index" "${f##*/}" || rm -rf "$f"
  done
done
echo "init: $(wc -l <"$manifest") file(s) in place for $owner"

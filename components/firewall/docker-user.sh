#!/usr/bin/env bash
# Keeps the platform's allowlist in Docker's DOCKER-USER chain (iptables, filter table) on the Docker host.
# Docker DNATs published ports before the filter table sees them, so rules match the port the client
# asked for through conntrack (--ctorigdstport), not the container's port.
#
#   docker-user.sh apply  CHAIN INTERFACE TAG DESTINATION PORT=CIDR...
#   docker-user.sh remove CHAIN TAG
#
# apply: at the top of CHAIN, in this order: return established/related traffic to Docker's own rules,
#   return new connections arriving on INTERFACE for each PORT from its CIDR (and, unless DESTINATION is
#   "any", only to that address), drop everything else arriving on INTERFACE. Nothing changes when the
#   rules are already in place; otherwise the rules tagged TAG are replaced, so a changed allowlist leaves
#   no stale rule behind.
# remove: deletes exactly the rules tagged TAG (an iptables comment) and nothing else.
set -euo pipefail

IPTABLES=${IPTABLES:-iptables}

ipt() { "$IPTABLES" -w 10 "$@"; }

fail() {
  echo "docker-user.sh: $*" >&2
  exit 64
}

check_word() { # name value regex
  [[ $2 =~ $3 ]] || fail "invalid $1: '$2'"
}

chain_exists() { ipt -S "$CHAIN" >/dev/null 2>&1; }

# Numbers of the rules carrying our tag, highest first (deleting in that order keeps the rest valid).
# `iptables -S CHAIN` prints the chain's -N line first, then one line per rule in order.
tagged_rule_numbers() {
  ipt -S "$CHAIN" | tail -n +2 | grep -n -F -e "--comment $TAG " -e "--comment \"$TAG\" " | cut -d: -f1 | sort -rn || true
}

# The desired rules, one per line, as iptables arguments after the chain name.
desired_rules() {
  local pair port cidr dest=""
  [ "$DESTINATION" = any ] || dest="--ctorigdst $DESTINATION"
  echo "-m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment $TAG -j RETURN"
  for pair in "${ALLOW[@]}"; do
    port=${pair%%=*}
    cidr=${pair#*=}
    echo "-i $INTERFACE -s $cidr -p tcp -m conntrack $dest --ctorigdstport $port --ctdir ORIGINAL -m comment --comment $TAG -j RETURN"
  done
  echo "-i $INTERFACE -m comment --comment $TAG -j DROP"
}

remove_tagged() {
  local n
  for n in $(tagged_rule_numbers); do ipt -D "$CHAIN" "$n"; done
}

# True when exactly the desired rules, and no other tagged rule, sit at the top of the chain in order
# (first the established rule, last the drop).
in_place() {
  local -a numbers args
  local rule i
  mapfile -t numbers < <(tagged_rule_numbers | sort -n)
  [ "${#numbers[@]}" -eq "${#RULES[@]}" ] || return 1
  for i in "${!numbers[@]}"; do [ "${numbers[$i]}" -eq $((i + 1)) ] || return 1; done
  for rule in "${RULES[@]}"; do
    read -ra args <<<"$rule"
    ipt -C "$CHAIN" "${args[@]}" 2>/dev/null || return 1
  done
  ipt -S "$CHAIN" 1 | grep -q -e "--ctstate RELATED,ESTABLISHED" || return 1
  ipt -S "$CHAIN" "${#RULES[@]}" | grep -q -e "-j DROP" || return 1
}

apply() {
  local -a args
  local i
  chain_exists || ipt -N "$CHAIN"
  mapfile -t RULES < <(desired_rules)
  if in_place; then
    echo "$CHAIN: the ${#RULES[@]} rules tagged $TAG are in place; nothing to change"
    return
  fi
  remove_tagged
  # Inserting at position 1 from the last rule to the first leaves them at the top in order.
  for ((i = ${#RULES[@]} - 1; i >= 0; i--)); do
    read -ra args <<<"${RULES[$i]}"
    ipt -I "$CHAIN" 1 "${args[@]}"
  done
  echo "$CHAIN: applied ${#RULES[@]} rules tagged $TAG"
  ipt -S "$CHAIN"
}

remove() {
  if ! chain_exists; then
    echo "$CHAIN does not exist; nothing to remove"
    return
  fi
  remove_tagged
  echo "$CHAIN: removed the rules tagged $TAG"
}

ACTION=${1:-}
CHAIN=${2:-}
check_word chain "$CHAIN" '^[A-Za-z0-9_-]{1,28}$'
case "$ACTION" in
  apply)
    [ $# -ge 5 ] || fail "usage: $0 apply CHAIN INTERFACE TAG DESTINATION PORT=CIDR..."
    INTERFACE=$3
    TAG=$4
    DESTINATION=$5
    shift 5
    ALLOW=("$@")
    check_word interface "$INTERFACE" '^[A-Za-z0-9_.:-]{1,15}$'
    check_word tag "$TAG" '^[A-Za-z0-9_.:-]{1,200}$'
    check_word destination "$DESTINATION" '^(any|[0-9]{1,3}(\.[0-9]{1,3}){3})$'
    for pair in "${ALLOW[@]}"; do
      check_word allow "$pair" '^[0-9]{1,5}=[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$'
    done
    apply
    ;;
  remove)
    [ $# -eq 3 ] || fail "usage: $0 remove CHAIN TAG"
    TAG=$3
    check_word tag "$TAG" '^[A-Za-z0-9_.:-]{1,200}$'
    remove
    ;;
  *) fail "usage: $0 apply CHAIN INTERFACE TAG DESTINATION PORT=CIDR... | remove CHAIN TAG" ;;
esac

#!/usr/bin/env bash
# A network namespace to run the end-to-end suite in, away from this machine's own network stack: its own
# loopback (the suite's registry and the ports the stacks publish), its own iptables (the engines' chains,
# the firewall tests), and a NATed uplink so image builds still reach the package registries.
#
#   netns.sh up NAME      create it (idempotent); NAME gets 10.96.N.2/30, the host side 10.96.N.1
#   netns.sh down NAME    remove it and its uplink rules
#   netns.sh exec NAME CMD...   run CMD in it (nsenter --net: keeps /sys and the cgroup mounts)
set -euo pipefail

usage() { echo "usage: $0 up NAME | down NAME | exec NAME CMD..." >&2; exit 2; }
[[ $# -ge 2 ]] || usage
op=$1 name=$2
[[ $name =~ ^[a-z][a-z0-9-]{0,10}$ ]] || { echo "namespace name must be a short lowercase word, got '$name'" >&2; exit 2; }
# A stable /30 per name, so two namespaces never share addresses.
n=$(( $(printf '%s' "$name" | cksum | cut -d' ' -f1) % 250 + 1 ))
host_if="nsh-$name" ns_if="nsn-$name"
host_ip=10.96.$n.1 ns_ip=10.96.$n.2 net=10.96.$n.0/30

rules() { # -A or -D
  iptables -t nat "$1" POSTROUTING -s "$net" ! -o "$host_if" -j MASQUERADE -m comment --comment "mcp-e2e-$name"
  iptables "$1" FORWARD -i "$host_if" -j ACCEPT -m comment --comment "mcp-e2e-$name"
  iptables "$1" FORWARD -o "$host_if" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT -m comment --comment "mcp-e2e-$name"
}

case $op in
  up)
    if [[ ! -e /var/run/netns/$name ]]; then
      ip netns add "$name"
      ip -n "$name" link set lo up
    fi
    if ! ip link show "$host_if" >/dev/null 2>&1; then
      ip link add "$host_if" type veth peer name "$ns_if"
      ip link set "$ns_if" netns "$name"
      ip addr add "$host_ip/30" dev "$host_if"
      ip link set "$host_if" up
      ip -n "$name" addr add "$ns_ip/30" dev "$ns_if"
      ip -n "$name" link set "$ns_if" up
      ip -n "$name" route add default via "$host_ip"
    fi
    sysctl -qw net.ipv4.ip_forward=1
    # Inserted first: a Docker engine on the host sets FORWARD's policy to DROP.
    iptables -C FORWARD -i "$host_if" -j ACCEPT -m comment --comment "mcp-e2e-$name" 2>/dev/null || {
      iptables -t nat -A POSTROUTING -s "$net" ! -o "$host_if" -j MASQUERADE -m comment --comment "mcp-e2e-$name"
      iptables -I FORWARD 1 -i "$host_if" -j ACCEPT -m comment --comment "mcp-e2e-$name"
      iptables -I FORWARD 1 -o "$host_if" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT -m comment --comment "mcp-e2e-$name"
    }
    ;;
  down)
    rules -D 2>/dev/null || true
    ip link del "$host_if" 2>/dev/null || true
    ip netns del "$name" 2>/dev/null || true
    ;;
  exec)
    shift 2
    [[ $# -ge 1 ]] || usage
    exec nsenter "--net=/var/run/netns/$name" "$@"
    ;;
  *) usage ;;
esac

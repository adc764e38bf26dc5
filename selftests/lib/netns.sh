# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# netns.sh - network namespaces for atcp's selftests (source it after
# common.sh, which provides cleanup_push).
#
#   netns_pair_create   two namespaces $NS_A and $NS_B joined by a veth
#                       pair $VETH_A <-> $VETH_B, $ADDR_A=10.253.0.1/24 and
#                       $ADDR_B=10.253.0.2/24, lo up in both
#   netns_lo_create     one namespace $NS_LO with only lo (127.0.0.1) up
#   in_ns NS CMD...     run CMD in NS (NS empty: the current namespace)
#   netns_destroy NS... delete namespaces (done automatically at exit)
#
# Names carry the pid and a random tag, so tests running at the same time
# never collide.  Only namespaced addresses are ever configured.

ADDR_A=10.253.0.1
ADDR_B=10.253.0.2

# Sets NETNS_TAG: pid, random, and a counter, so that successive calls in
# one test differ too (called directly, not in $(...): a subshell would not
# advance $RANDOM or the counter in this shell).
_NETNS_SEQ=0
_netns_tag() {
	_NETNS_SEQ=$((_NETNS_SEQ + 1))
	NETNS_TAG=$(printf '%04x%02x%02x' $(($$ & 0xffff)) $((RANDOM & 0xff)) $((_NETNS_SEQ & 0xff)))
}

in_ns() {
	local ns=$1
	shift
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@"
	else
		"$@"
	fi
}

netns_destroy() {
	local ns
	for ns in "$@"; do
		ip netns del "$ns" 2>/dev/null || true
	done
}

netns_lo_create() {
	_netns_tag
	NS_LO="atcp-lo-$NETNS_TAG"
	ip netns add "$NS_LO" || return 1
	cleanup_push "netns_destroy '$NS_LO'"
	ip -n "$NS_LO" link set lo up
}

netns_pair_create() {
	_netns_tag
	NS_A="atcp-a-$NETNS_TAG"
	NS_B="atcp-b-$NETNS_TAG"
	VETH_A="va$NETNS_TAG"
	VETH_B="vb$NETNS_TAG"
	ip netns add "$NS_A" || return 1
	cleanup_push "netns_destroy '$NS_A'"
	ip netns add "$NS_B" || return 1
	cleanup_push "netns_destroy '$NS_B'"
	ip link add "$VETH_A" netns "$NS_A" type veth peer name "$VETH_B" netns "$NS_B" || return 1
	ip -n "$NS_A" link set lo up
	ip -n "$NS_B" link set lo up
	ip -n "$NS_A" addr add "$ADDR_A/24" dev "$VETH_A"
	ip -n "$NS_B" addr add "$ADDR_B/24" dev "$VETH_B"
	ip -n "$NS_A" link set "$VETH_A" up
	ip -n "$NS_B" link set "$VETH_B" up
	# Wait for both ends to be up (veth carrier comes with the peer).
	wait_for 5 _netns_veth_up || return 1
}

_netns_veth_up() {
	ip -n "$NS_A" -o link show "$VETH_A" | grep -q 'state UP' &&
		ip -n "$NS_B" -o link show "$VETH_B" | grep -q 'state UP'
}

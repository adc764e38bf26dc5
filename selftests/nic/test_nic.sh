#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_nic.sh - transfers between two guests over a virtio-net link
# (scripts/vm-pair; run by selftests/nic/run, `make check-nic`).  Runs in
# guest A; guest B runs selftests/nic/agent.py, which this drives with
# selftests/nic/remote.
#
# The link is QEMU's virtio-net over a dgram netdev: no TSO, no checksum
# offload, no scatter-gather.  Super-segments are cut into real segments
# by atcp's own gso_segment, with checksums computed in software, before
# the NIC; GRO on the receiving NIC merges TCP's segments (atcp has no GRO
# handler).  For atcp and, as a reference, Linux TCP, 1 MiB goes each way,
# verified byte for byte and by hash at both ends, with generic
# segmentation on and off on both NICs, GRO on and off, MTU 1500 and 9000,
# and 1% loss on each NIC (netem); TCP with generic segmentation and GRO
# on, with and without loss.  A capture on A's NIC checks that no frame A
# sent there is longer than the MTU (real segments on the link), atcp's
# OutSuperSegs shows whether super-segments were built (and cut), and the
# receivers' DropBadChecksum stays 0.

. "$(dirname "$0")/../lib/common.sh"

need_root
need_cmd ethtool tc tcpdump
need_bin xfer
XFER="$SELFTESTS/progs/xfer"
REMOTE="$SELFTESTS/nic/remote"
IF=${ATCP_PAIR_IF:-eth0}
A=${ATCP_PAIR_ADDR_A:-10.254.0.1}
B=${ATCP_PAIR_ADDR_B:-10.254.0.2}
SIZE=$((1 << 20))
PORT=9000

if ! "$REMOTE" ready 300; then
	tap_skip_all "no agent on the far guest ($B)"
fi

# both CMD: run CMD here and on B (with $IF for the NIC).
both() {
	"$@" >/dev/null && "$REMOTE" run "$*" >/dev/null
}

# frame_max FILE FILTER: the longest frame of the protocol matching FILTER.
frame_max() {
	tcpdump -r "$1" -nn -e "ip proto $proto and $2" 2>/dev/null |
		sed -nE 's/.*, length ([0-9]+): .*/\1/p' | sort -n | tail -1
}

# super: atcp's super-segments sent here so far.
super() {
	awk '$1 == "OutSuperSegs" { print $2 }' /proc/net/atcp_stat
}

badsum() {
	local here there
	here=$(awk '$1 == "DropBadChecksum" { print $2 }' /proc/net/atcp_stat)
	there=$("$REMOTE" run "awk '\$1 == \"DropBadChecksum\" { print \$2 }' /proc/net/atcp_stat")
	echo $((here + there))
}

# nic_case NAME PROTO MTU "ETHTOOL -K ARGS" "NETEM ARGS" [SUPER]: SUPER
# yes or no: whether atcp must have built super-segments.
nic_case() {
	local name=$1 proto=$2 mtu=$3 features=$4 netem=$5 want=${6:-}
	local id src crc=0 cap="$T/$name.pcap" bad0 bad1 max rmax out sup0

	both ip link set "$IF" mtu "$mtu"
	# shellcheck disable=SC2086
	[ -z "$features" ] || both ethtool -K "$IF" $features ||
		tap_diag "$name: ethtool -K $features failed"
	tc qdisc del dev "$IF" root 2>/dev/null
	"$REMOTE" run "tc qdisc del dev $IF root" >/dev/null 2>&1
	if [ -n "$netem" ]; then
		# shellcheck disable=SC2086
		both tc qdisc add dev "$IF" root netem $netem
	fi
	bad0=$(badsum)
	sup0=$(super)
	tcpdump -i "$IF" -nn -s 96 -U -Z root -w "$cap" "ip proto $proto" \
		>"$cap.out" 2>"$cap.err" &
	local cap_pid=$!
	wait_for 20 grep -q 'listening on' "$cap.err"

	id=$("$REMOTE" bg "$XFER server -q -t 120 -P $proto -a $B -p $PORT -n $SIZE")
	"$XFER" client -q -t 120 -P "$proto" -a "$B" -p "$PORT" -n "$SIZE" -c 30000 \
		>"$T/$name.cli" 2>&1 || crc=$?
	out=$("$REMOTE" wait "$id" 180)
	src=$?
	kill "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
	bad1=$(badsum)
	tap_diag "$out" "$(cat "$T/$name.cli")"
	tap_ok $((src || crc)) "$name: 2 MiB each way over the link, both ends verified every byte (server exit $src, client exit $crc)"
	xfer_hashes_agree "$out" "$(cat "$T/$name.cli")" >/dev/null
	tap_ok $? "$name: both ends agree on both directions' hashes"
	max=$(frame_max "$cap" "src host $A")
	rmax=$(frame_max "$cap" "dst host $A")
	tap_diag "$name: longest frame received ${rmax:-none} bytes (after GRO, if on)"
	[ -n "$max" ] && [ "$max" -le $((mtu + 14)) ]
	tap_ok $? "$name: real segments on the link: longest frame sent ${max:-none} bytes, MTU $mtu"
	if [ "$proto" != 6 ]; then
		tap_is $((bad1 - bad0)) 0 "$name: no segment dropped for its checksum"
		case $want in
		yes)
			[ "$(super)" -gt "$sup0" ]
			tap_ok $? "$name: super-segments built, cut before the NIC (OutSuperSegs +$(($(super) - sup0)))" ;;
		no)
			tap_is $(($(super) - sup0)) 0 "$name: no super-segment built" ;;
		esac
	fi
	PORT=$((PORT + 1))
}

nic_case atcp-gso "$PROTO" 1500 "gso on gro off" "" yes
nic_case atcp-gso-off "$PROTO" 1500 "gso off gro off" "" no
nic_case atcp-gro "$PROTO" 1500 "gso on gro on" "" yes
nic_case atcp-jumbo "$PROTO" 9000 "gso on gro off" "" yes
nic_case atcp-loss1 "$PROTO" 1500 "gso on gro on" "loss 1%" yes
nic_case tcp-gro 6 1500 "gso on gro on" ""
nic_case tcp-loss1 6 1500 "gso on gro on" "loss 1%"
"$REMOTE" exit
tap_done

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
# handler).  For atcp and, as a reference, Linux TCP, 2 MiB go each way,
# verified byte for byte and by hash at both ends, with generic
# segmentation on and off on both NICs, GRO off, MTU 1500 and 9000, and 1%
# loss on each NIC (netem).  A capture on A's NIC checks that no frame
# there is longer than the MTU (real segments on the link), and the
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
SIZE=$((2 << 20))
PORT=9000

if ! "$REMOTE" ready 300; then
	tap_skip_all "no agent on the far guest ($B)"
fi

# both CMD: run CMD here and on B (with $IF for the NIC).
both() {
	"$@" && "$REMOTE" run "$*" >/dev/null
}

badsum() {
	local here there
	here=$(awk '$1 == "DropBadChecksum" { print $2 }' /proc/net/atcp_stat)
	there=$("$REMOTE" run "awk '\$1 == \"DropBadChecksum\" { print \$2 }' /proc/net/atcp_stat")
	echo $((here + there))
}

# nic_case NAME PROTO MTU "ETHTOOL -K ARGS" "NETEM ARGS"
nic_case() {
	local name=$1 proto=$2 mtu=$3 features=$4 netem=$5
	local id src crc=0 cap="$T/$name.pcap" bad0 bad1 max s c out

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
	s=$(sed -n 's/^server: rx [0-9]* bytes hash \([0-9a-f]*\)  tx [a-z]* hash \([0-9a-f]*\) ok$/\1 \2/p' <<<"$out")
	c=$(sed -n 's/^client: tx [0-9]* bytes hash \([0-9a-f]*\)  rx [0-9]* bytes hash \([0-9a-f]*\) ok$/\1 \2/p' "$T/$name.cli")
	[ -n "$s" ] && [ "$s" = "$c" ]
	tap_ok $? "$name: both ends agree on both directions' hashes"
	max=$(tcpdump -r "$cap" -nn -e 2>/dev/null | sed -nE 's/.*, length ([0-9]+): .*/\1/p' | sort -n | tail -1)
	[ -n "$max" ] && [ "$max" -le $((mtu + 14)) ]
	tap_ok $? "$name: real segments on the link: longest frame ${max:-none} bytes, MTU $mtu"
	if [ "$proto" != 6 ]; then
		tap_is $((bad1 - bad0)) 0 "$name: no segment dropped for its checksum"
	fi
	PORT=$((PORT + 1))
}

for proto in "$PROTO" 6; do
	n=$([ "$proto" = 6 ] && echo tcp || echo atcp)
	nic_case "$n-gso" "$proto" 1500 "gso on gro off" ""
	nic_case "$n-gso-off" "$proto" 1500 "gso off gro off" ""
	nic_case "$n-gro" "$proto" 1500 "gso on gro on" ""
	nic_case "$n-jumbo" "$proto" 9000 "gso on gro off" ""
	nic_case "$n-loss1" "$proto" 1500 "gso on gro on" "loss 1%"
done
"$REMOTE" exit
tap_done

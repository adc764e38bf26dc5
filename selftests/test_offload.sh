#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_offload.sh - segmentation offload over a veth pair between two
# namespaces (10.253.0.1 -> 10.253.0.2), with the devices' offloads on and
# off (ethtool -K on both ends), MTU 1500 and 9000, and 1% loss.
#
# Protocol: $ATCP_PROTO (default 253 = atcp; 6 = Linux TCP, to validate:
# TCP's GSO is governed by "tso", atcp's super-segments by
# "tx-sctp-segmentation", see Documentation/offload.rst).  For each case,
# 1 MiB goes each way, verified byte for byte and by hash at both ends, with
# a capture on the client's veth, and asserts:
#   - offloads on: super-segments cross the veth whole: a frame longer than
#     the MTU is seen (and atcp's OutSuperSegs grew);
#   - the segmentation feature off: they are cut before the veth: no frame
#     longer than the MTU, none shorter than a full one but the last of a
#     burst (the cut is by gso_size);
#   - checksum offload off: the segments carry checksums computed in
#     software: every one in the capture is correct for the protocol (a
#     checker of the pcap's own, since tshark's knows protocol 6 only);
#   - generic segmentation off (atcp only): no super-segment is built
#     (OutSuperSegs unchanged), as the device's owner asked;
#   - the receiver dropped no segment for its checksum (DropBadChecksum).

. "$(dirname "$0")/lib/common.sh"
. "$SELFTESTS/lib/netns.sh"
. "$SELFTESTS/lib/capture.sh"

need_root
need_cmd ip
need_cmd ethtool
need_cmd tcpdump
need_cmd tc
need_bin xfer
XFER="$SELFTESTS/progs/xfer"
SIZE=$((1 << 20))

if [ "$PROTO" = 6 ]; then
	SEG_FEATURE=tso
else
	SEG_FEATURE=tx-sctp-segmentation
fi

tap_diag "protocol $PROTO ($PROTO_NAME)"

# stat NS NAME: a counter of /proc/net/atcp_stat in NS (0 for TCP).
stat() {
	[ "$PROTO" = 6 ] && { echo 0; return; }
	in_ns "$1" awk -v n="$2" '$1 == n { print $2 }' /proc/net/atcp_stat
}

# frame_lengths FILE: the lengths of the protocol's frames, one a line.
frame_lengths() {
	tcpdump -r "$1" -nn -e "ip proto $PROTO" 2>/dev/null |
		sed -nE 's/.*, length ([0-9]+): .*/\1/p'
}

# bad_checksums FILE: how many of the protocol's segments in FILE carry a
# wrong checksum (the pseudo-header with the protocol's own number).
bad_checksums() {
	python3 - "$1" "$PROTO" "$SELFTESTS/lib" <<'EOF'
import struct, sys

sys.path.insert(0, sys.argv[3])
from ackstats import packets  # noqa: E402

def fold(s):
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s

def ones(data):
    if len(data) % 2:
        data += b'\0'
    return sum(struct.unpack('!%dH' % (len(data) // 2), data))

path, proto = sys.argv[1], int(sys.argv[2])
bad = checked = 0
for _, ip in packets(path, whole=True):
    if len(ip) < 20 or ip[9] != proto:
        continue
    ihl = (ip[0] & 15) * 4
    tot = struct.unpack('!H', ip[2:4])[0]
    seg = ip[ihl:tot]
    pseudo = ip[12:20] + struct.pack('!BBH', 0, proto, len(seg))
    checked += 1
    if fold(ones(pseudo) + ones(seg)) != 0xffff:
        bad += 1
print(bad if checked else -1)
EOF
}

# offload_case NAME MTU "ETHTOOL -K ARGS" "NETEM ARGS" CHECKS...: one
# transfer each way over a fresh veth pair set up so, then CHECKS among:
# whole (a frame longer than the MTU), cut (none longer), csum (every
# checksum right), nosuper (no super-segment built).
offload_case() {
	local name=$1 mtu=$2 features=$3 netem=$4
	shift 4
	local fifo port spid src=0 crc=0 cap="$T/$name.pcap"
	local super0 super1 bad0 bad1 max

	if ! netns_pair_create; then
		for _ in "$@" x x x; do tap_ok 1 "$name: could not create namespaces"; done
		return
	fi
	ip -n "$NS_A" link set "$VETH_A" mtu "$mtu"
	ip -n "$NS_B" link set "$VETH_B" mtu "$mtu"
	if [ -n "$features" ]; then
		# shellcheck disable=SC2086
		in_ns "$NS_A" ethtool -K "$VETH_A" $features &&
			in_ns "$NS_B" ethtool -K "$VETH_B" $features ||
			tap_diag "$name: ethtool -K $features failed"
	fi
	if [ -n "$netem" ]; then
		# shellcheck disable=SC2086
		in_ns "$NS_A" tc qdisc add dev "$VETH_A" root netem $netem
	fi
	super0=$(stat "$NS_A" OutSuperSegs)
	bad0=$(($(stat "$NS_A" DropBadChecksum) + $(stat "$NS_B" DropBadChecksum)))
	capture_start "$NS_A" "$VETH_A" "$cap" "ip proto $PROTO" || true

	fifo=$(ready_fifo "$name.ready")
	in_ns "$NS_B" "$XFER" server -q -t 60 -a "$ADDR_B" -n $SIZE -R "$fifo" \
		>"$T/$name.srv" 2>&1 &
	spid=$!
	cleanup_push "kill $spid"
	if port=$(read_ready "$fifo" 15 "$spid"); then
		in_ns "$NS_A" "$XFER" client -q -t 60 -a "$ADDR_B" -p "$port" -n $SIZE \
			>"$T/$name.cli" 2>&1 || crc=$?
		wait "$spid" || src=$?
	else
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		src=1 crc=1
	fi
	capture_stop "$ADDR_B"
	tap_diag "$(cat "$T/$name.srv" "$T/$name.cli")"
	tap_ok $((src || crc)) "$name: 1 MiB each way, both ends verified every byte (server exit $src, client exit $crc)"
	xfer_hashes_agree "$(cat "$T/$name.srv")" "$(cat "$T/$name.cli")" >/dev/null
	tap_ok $? "$name: both ends agree on both directions' hashes"
	bad1=$(($(stat "$NS_A" DropBadChecksum) + $(stat "$NS_B" DropBadChecksum)))
	tap_ok $((bad1 != bad0)) "$name: no segment dropped for its checksum ($((bad1 - bad0)))"

	max=$(frame_lengths "$cap" | sort -n | tail -1)
	super1=$(stat "$NS_A" OutSuperSegs)
	tap_diag "$name: longest frame ${max:-none} bytes, MTU $mtu; OutSuperSegs +$((super1 - super0))"
	for check in "$@"; do
		case $check in
		whole)
			[ -n "$max" ] && [ "$max" -gt $((mtu + 14)) ] &&
				{ [ "$PROTO" = 6 ] || [ "$super1" -gt "$super0" ]; }
			tap_ok $? "$name: super-segments cross the veth whole (a frame of $max bytes)"
			;;
		cut)
			[ -n "$max" ] && [ "$max" -le $((mtu + 14)) ] && [ "$max" -gt 1000 ]
			tap_ok $? "$name: cut before the veth: no frame longer than MTU $mtu (longest $max)"
			;;
		csum)
			local n
			n=$(bad_checksums "$cap")
			[ "$n" = 0 ]
			tap_ok $? "$name: every segment in the capture has a correct checksum ($n wrong; -1: none seen)"
			;;
		nosuper)
			[ "$super1" = "$super0" ]
			tap_ok $? "$name: no super-segment built ($((super1 - super0)))"
			;;
		esac
	done
	netns_destroy "$NS_A"
	netns_destroy "$NS_B"
}

offload_case offloads-on 1500 "" "" whole
offload_case seg-off 1500 "$SEG_FEATURE off" "" cut
offload_case csum-off 1500 "tx off" "" cut csum
offload_case seg-off-csum-off 1500 "$SEG_FEATURE off tx off" "" cut csum
if [ "$PROTO" = 6 ]; then
	# TCP segments in software whatever "gso" says: nothing to compare.
	tap_skip "gso-off: atcp's own rule"
else
	offload_case gso-off 1500 "gso off" "" cut nosuper
fi
offload_case jumbo 9000 "" "" whole
offload_case jumbo-seg-off 9000 "$SEG_FEATURE off" "" cut
offload_case loss1 1500 "" "loss 1%"
offload_case loss1-seg-off 1500 "$SEG_FEATURE off" "loss 1%" cut

tap_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_capture.sh - the SPEC section 2 worked example, checked in a capture.
#
# A client connects, writes "hello\n" (6 bytes) and closes; the server reads
# until read() returns 0 and closes.  tcpdump captures it (on lo in a fresh
# namespace, then on a veth between two namespaces), tshark decodes it
# (-d ip.proto==PROTO,tcp, relative numbers) and lib/ladder.py asserts:
# client SYN seq=0; SYN-ACK seq=0 ack=1; ACK seq=1 ack=1; data seq=1 len=6;
# server ack 7; client FIN at seq 7, acked with 8; server FIN at seq 1,
# acked with 2; totals 8 and 2; no RST; relative numbers consistent with the
# raw ones.  The segment count is not asserted: with delayed ACK the
# server's ACK of the FIN may ride on its own FIN (three-way close).
#
# Protocol: $ATCP_PROTO (default 253 = atcp; 6 = Linux TCP, to validate).

. "$(dirname "$0")/lib/common.sh"
. "$SELFTESTS/lib/netns.sh"
. "$SELFTESTS/lib/capture.sh"

need_root
need_cmd ip tcpdump tshark
need_bin closer
CLOSER="$SELFTESTS/progs/closer"

tap_diag "protocol $PROTO ($PROTO_NAME)"

# scenario NAME CAP_NS IFACE SERVER_NS CLIENT_NS SERVER_ADDR MARKER_ADDR
scenario() {
	local name=$1 capns=$2 iface=$3 sns=$4 cns=$5 addr=$6 marker=$7
	local pcap="$T/$name.pcap" fifo port spid src=0 crc=0 line

	if ! capture_start "$capns" "$iface" "$pcap" "ip proto $PROTO"; then
		tap_ok 1 "$name: tcpdump is capturing"
		return
	fi
	fifo=$(ready_fifo "$name.ready")
	in_ns "$sns" "$CLOSER" server -v -t 20 -a "$addr" -R "$fifo" \
		>"$T/$name.srv" 2>&1 &
	spid=$!
	cleanup_push "kill $spid"
	if port=$(read_ready "$fifo" 15 "$spid"); then
		in_ns "$cns" "$CLOSER" client -v -t 20 -a "$addr" -p "$port" \
			-m 'hello\n' >"$T/$name.cli" 2>&1 || crc=$?
	else
		crc=1
	fi
	wait "$spid" || src=$?
	capture_stop "$marker"

	tap_diag "$(cat "$T/$name.cli" "$T/$name.srv")"
	tap_ok $crc "$name: client connected, wrote 6 bytes, closed (exit $crc)"
	tap_ok $src "$name: server read 6 bytes then EOF, closed (exit $src)"
	grep -q 'read 6 bytes then EOF' "$T/$name.srv"
	tap_ok $? "$name: server's read() returned the 6 bytes, then 0"

	CHECKS+=("$name" "$pcap" "$PROTO" "${port:-0}")
}

CHECKS=()
if netns_lo_create; then
	scenario loopback "$NS_LO" lo "$NS_LO" "$NS_LO" 127.0.0.1 127.0.0.1
else
	tap_ok 1 "loopback: could not create a namespace"
fi
if netns_pair_create; then
	scenario veth "$NS_B" "$VETH_B" "$NS_B" "$NS_A" "$ADDR_B" "$ADDR_A"
else
	tap_ok 1 "veth: could not create namespaces"
fi

# One decode (tshark is slow to start in the VM) for all the captures.
if [ ${#CHECKS[@]} -gt 0 ]; then
	"$PYTHON" "$SELFTESTS/lib/ladder.py" hello "${CHECKS[@]}" >"$T/check" 2>&1
	while IFS= read -r line; do
		case "$line" in
		"ok	"*) tap_ok 0 "${line#ok	}" ;;
		"not ok	"*) tap_ok 1 "${line#not ok	}" ;;
		*) echo "$line" | sed 's/^\([^#]\)/# \1/' ;;
		esac
	done <"$T/check"
	grep -q '^\(not \)\?ok	' "$T/check" || tap_ok 1 "captures decoded and checked"
fi

tap_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_transfer.sh - 1 MiB each way, verified byte for byte, over loopback
# (127.0.0.1 in the current namespace) and over a veth pair between two
# network namespaces (10.253.0.1 -> 10.253.0.2).
#
# Protocol: $ATCP_PROTO (default 253 = atcp; 6 = Linux TCP, to validate).
# For each path, asserts: the server exits 0 (it received exactly 1 MiB of
# the expected stream, then EOF, and sent its 1 MiB), the client exits 0
# (same for the reply), and both ends agree on the hashes of both
# directions.  A second run per path echoes the data back without a
# half-close (the server replies after N bytes, then closes).

. "$(dirname "$0")/lib/common.sh"
. "$SELFTESTS/lib/netns.sh"

need_root
need_cmd ip
need_bin xfer
XFER="$SELFTESTS/progs/xfer"
SIZE=$((1 << 20))

tap_plan 12
tap_diag "protocol $PROTO ($PROTO_NAME)"

# xfer_run NAME SERVER_NS CLIENT_NS ADDR "SERVER_OPTS" "CLIENT_OPTS" WHAT
xfer_run() {
	local name=$1 sns=$2 cns=$3 addr=$4 sopts=$5 copts=$6 what=$7
	local fifo port spid src=0 crc=0
	fifo=$(ready_fifo "$name.ready")

	# shellcheck disable=SC2086
	in_ns "$sns" "$XFER" server -q -t 30 -a "$addr" -n $SIZE -R "$fifo" $sopts \
		>"$T/$name.srv" 2>&1 &
	spid=$!
	cleanup_push "kill $spid"
	if ! port=$(read_ready "$fifo" 15 "$spid"); then
		tap_diag "$name: server never became ready"
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		tap_diag "$(cat "$T/$name.srv")"
		tap_ok 1 "$name: server exit status"
		tap_ok 1 "$name: client exit status"
		tap_ok 1 "$name: hashes agree"
		return
	fi
	# shellcheck disable=SC2086
	in_ns "$cns" "$XFER" client -q -t 30 -a "$addr" -p "$port" -n $SIZE $copts \
		>"$T/$name.cli" 2>&1 || crc=$?
	wait "$spid" || src=$?

	tap_diag "$(cat "$T/$name.srv" "$T/$name.cli")"
	tap_ok $src "$name: server exits 0: $what (exit $src)"
	tap_ok $crc "$name: client exits 0: received 1 MiB + EOF, verified (exit $crc)"

	# Both hashes of each direction must agree.
	local what
	if what=$(xfer_hashes_agree "$(cat "$T/$name.srv")" "$(cat "$T/$name.cli")"); then
		tap_ok 0 "$name: both ends agree on both directions' hashes"
	else
		tap_ok 1 "$name: both ends agree on both directions' hashes ($what)"
	fi
}

W_HALF="received 1 MiB + EOF (client's SHUT_WR), verified, sent 1 MiB"
W_ECHO="received 1 MiB, verified, echoed it, closed"
xfer_run loopback "" "" 127.0.0.1 "" "" "$W_HALF"
xfer_run loopback-echo "" "" 127.0.0.1 "-r echo -e" "-x echo -S none" "$W_ECHO"

if netns_pair_create; then
	xfer_run veth "$NS_B" "$NS_A" "$ADDR_B" "" "" "$W_HALF"
	xfer_run veth-echo "$NS_B" "$NS_A" "$ADDR_B" "-r echo -e" "-x echo -S none" "$W_ECHO"
else
	for _ in 1 2 3 4 5 6; do tap_ok 1 "veth: could not create namespaces"; done
fi

tap_done

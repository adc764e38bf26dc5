# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# capture.sh - tcpdump around a test scenario (source it after common.sh
# and netns.sh).
#
#   capture_start NS IFACE FILE FILTER
#       start tcpdump in namespace NS (empty: current) on IFACE, writing
#       FILE; returns once tcpdump reports "listening on", i.e. once the
#       capture socket is open.  The filter is FILTER or the marker below.
#   capture_stop MARKER_ADDR
#       send a UDP datagram to MARKER_ADDR port 9 from NS until it shows up
#       in FILE (so every packet before it has been written), then stop
#       tcpdump (SIGTERM) and wait for it.  MARKER_ADDR must be routed
#       over IFACE (127.0.0.1 for lo, the peer's address for a veth).
#
# tcpdump runs with -U (write each packet as it comes) and -Z root (do not
# drop privileges: the file is in a root-only directory).

CAP_PID=
CAP_NS=
CAP_FILE=

capture_start() {
	local ns=$1 iface=$2 file=$3 filter=$4
	CAP_NS=$ns
	CAP_FILE=$file
	rm -f "$file.err"
	local cmd=(tcpdump -i "$iface" -nn -U -Z root --immediate-mode
		-w "$file" "($filter) or (udp and dst port 9)")
	# Started directly (ip netns exec execs it), so $! is tcpdump itself.
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "${cmd[@]}" >"$file.out" 2>"$file.err" &
	else
		"${cmd[@]}" >"$file.out" 2>"$file.err" &
	fi
	CAP_PID=$!
	cleanup_push "kill $CAP_PID"
	wait_for 20 _capture_listening
	if ! grep -q 'listening on' "$file.err"; then
		tap_diag "tcpdump did not start: $(cat "$file.err")"
		return 1
	fi
}

_capture_listening() {
	# Done waiting when tcpdump is listening, or has died.
	grep -q 'listening on' "$CAP_FILE.err" 2>/dev/null && return 0
	! kill -0 "$CAP_PID" 2>/dev/null
}

_capture_has_marker() {
	tcpdump -r "$CAP_FILE" -nn 'udp and dst port 9' 2>/dev/null | grep -q .
}

capture_stop() {
	local addr=$1 i
	for ((i = 0; i < 100; i++)); do
		in_ns "$CAP_NS" bash -c "echo marker > /dev/udp/$addr/9" 2>/dev/null
		if wait_for 1 _capture_has_marker; then
			break
		fi
	done
	[ $i -lt 100 ] || tap_diag "capture marker never seen in $CAP_FILE"
	# SIGTERM, not SIGINT: a background job of a script ignores SIGINT.
	# tcpdump flushes and closes the file on either.
	kill -TERM "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	CAP_PID=
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_trace.sh - the atcp tracepoints (module/trace.h), read back from
# tracefs while atcp connections open and close.
#
# The events go to a tracefs instance of the test's own, filtered in the
# kernel to the port of each connection, so other tracing on the machine is
# left alone; at exit the events are disabled, the buffer cleared and the
# instance removed (tracefs is mounted first if it is not).
#
# Three connections, each in a namespace of its own (lo only), each the
# threeway experiment: the client sends 19 bytes, the server reads until
# EOF, the client closes, then the server closes.  The script drives the
# steps (closer -W, SIGUSR1) from what the trace shows, never from a sleep:
# the client closes once the server's ACK of the data is in the trace.
#
#   timer      default delack_min/max; the server closes only after the
#              trace shows its delayed-ACK timer fire for the FIN
#   piggyback  delack_min = delack_max = 1000 ms; the server closes as soon
#              as read() returns 0, so its FIN carries the waiting ACK
#   quickack   the same, but the server sets TCP_QUICKACK first (closer -Q),
#              which sends the waiting ACK at once
# 1000 ms is what makes the last two deterministic: the server's close() or
# setsockopt() comes well within it even on a starved VM.
#
# Asserted from the trace, for each connection:
#   atcp_state, atcp_timewait
#               the client goes CLOSE -> SYN_SENT -> ESTABLISHED -> FIN_WAIT1
#               -> FIN_WAIT2; on the server's FIN a TIME_WAIT minisocket
#               starts, for tw_timeout, and the socket goes to CLOSE; the
#               accepted socket goes SYN_RECV -> ESTABLISHED -> CLOSE_WAIT
#               -> LAST_ACK -> CLOSE
#   atcp_ack    the server ACKs the data at once (quickack: quick-ack mode at
#               the start of a connection), then delays the ACK of the FIN
#               (delayed, for one more than the data ACK, delay_ms within
#               [delack_min, delack_max]); that ACK goes out from the timer
#               (delack_timer) or on the FIN (piggybacked), or the
#               TCP_QUICKACK setsockopt sends it (tcp_quickack); the client
#               ACKs the SYN-ACK
#               and the FIN at once (state_change)
#   atcp_timer  the delayed-ACK timer fires once, on the server in
#               CLOSE_WAIT, no sooner than the delay it was armed with, in
#               the timer run, and never in the other two
# and, outside the trace, that /proc/net/atcp shows the client's TIME_WAIT
# entry and /proc/net/atcp_stat counted QuickACKs, DelayedACKs (timer) and
# PiggybackedACKs (piggyback) in the connection's namespace.

. "$(dirname "$0")/lib/common.sh"
. "$SELFTESTS/lib/netns.sh"

need_root
need_cmd ip awk sysctl mount
need_bin closer
[ "$PROTO" != 6 ] || tap_skip_all "the tracepoints are atcp's (ATCP_PROTO=6)"

# tracefs: mounted at /sys/kernel/tracing, or mount it there.
TRACEFS=/sys/kernel/tracing
if [ ! -e "$TRACEFS/instances" ]; then
	mount -t tracefs nodev "$TRACEFS" 2>/dev/null ||
		tap_skip_all "cannot mount tracefs at $TRACEFS"
	cleanup_push "umount '$TRACEFS'"
fi
[ -d "$TRACEFS/events/atcp" ] || {
	echo "Bail out! no atcp events in $TRACEFS/events (is atcp.ko loaded?)"
	exit 1
}

INST=$TRACEFS/instances/atcp-test-$$
mkdir "$INST" || {
	echo "Bail out! cannot create the tracefs instance $INST"
	exit 1
}
cleanup_push "rmdir '$INST'"
cleanup_push "echo > '$INST/trace'"
cleanup_push "echo 0 > '$INST/events/atcp/filter'"
cleanup_push "echo 0 > '$INST/events/atcp/enable'"
echo 512 >"$INST/buffer_size_kb" 2>/dev/null || true
# Timestamps comparable across CPUs.
echo mono >"$INST/trace_clock" 2>/dev/null || echo global >"$INST/trace_clock"

EVENTS=(atcp_state atcp_ack atcp_timer atcp_retransmit atcp_timewait)
missing=''
for e in "${EVENTS[@]}"; do
	[ -d "$INST/events/atcp/$e" ] || missing="$missing $e"
done
tap_is "${missing:-none}" none "tracefs lists the atcp events ${EVENTS[*]}"

# The trace as "EVENT SPORT DPORT TS REST" lines: the "a:p -> b:q" of
# atcp_state and atcp_timewait becomes their ports, the other events'
# sport=/dport= theirs.
trace_lines() {
	awk '
	match($0, / atcp_[a-z]+: /) {
		ev = substr($0, RSTART + 1, RLENGTH - 3)
		rest = substr($0, RSTART + RLENGTH)
		ts = $0
		sub(/: atcp_.*/, "", ts)
		sub(/.* /, "", ts)
		if (ev == "atcp_state" || ev == "atcp_timewait") {
			# 127.0.0.1:40000 -> 127.0.0.1:5555 CLOSE -> SYN_SENT
			# 127.0.0.1:40000 -> 127.0.0.1:5555 start timeout_ms=60000
			split(rest, f, " ")
			sp = f[1]; sub(/.*:/, "", sp)
			dp = f[3]; sub(/.*:/, "", dp)
			if (ev == "atcp_state")
				print ev, sp, dp, ts, f[4] ">" f[6]
			else
				print ev, sp, dp, ts, f[4], f[5]
		} else {
			sp = rest; sub(/.*sport=/, "", sp); sub(/ .*/, "", sp)
			dp = rest; sub(/.*dport=/, "", dp); sub(/ .*/, "", dp)
			sub(/sport=[0-9]+ dport=[0-9]+ /, "", rest)
			print ev, sp, dp, ts, rest
		}
	}' "$INST/trace"
}

# The events of one side of the connection on PORT: "server" is the
# accepted socket (sport PORT, dport not 0), "client" has dport PORT.
side() {
	local who=$1 port=$2
	if [ "$who" = server ]; then
		trace_lines | awk -v p="$port" '$2 == p && $3 != 0'
	else
		trace_lines | awk -v p="$port" '$3 == p'
	fi
}

# Fields of the events EVENT of one side: "TS REST..." per line.
side_events() {
	side "$1" "$2" | awk -v e="$3" '$1 == e { $1 = $2 = $3 = ""; sub(/^ +/, ""); print }'
}

# The state changes of one side, "OLD>NEW" separated by spaces, with the
# TIME_WAIT minisocket's events among them as "timewait:EVENT:TIMEOUT_MS".
states() {
	side "$1" "$2" | awk '
		$1 == "atcp_state" { printf "%s%s", sep, $5; sep = " " }
		$1 == "atcp_timewait" {
			t = $6; sub(/timeout_ms=/, "", t)
			printf "%stimewait:%s:%s", sep, $5, t; sep = " "
		}'
}

has_event() {
	side_events "$1" "$2" "$3" | grep -q -- "$4"
}

# wait_line FILE LINE PID SECS: wait until closer (PID) has written LINE
# (a regex, whole line) to FILE, a regular file: closer writes it with one
# write(), so the line is there whole or not at all.
wait_line() {
	wait_for "$4" _line_or_gone "$1" "$2" "$3" && grep -qx "$2" "$1"
}
_line_or_gone() {
	grep -qx "$2" "$1" 2>/dev/null || ! kill -0 "$3" 2>/dev/null
}

# release_after PID WFILE END EVENT MATCH WHAT: once closer (PID) waits
# (WFILE) and END's trace of $PORT has an EVENT line matching MATCH, let it
# close (SIGUSR1); if not within the time, say WHAT did not happen and let
# it close all the same.
release_after() {
	if wait_line "$2" waiting "$1" 20 &&
		wait_for 10 has_event "$3" "$PORT" "$4" "$5"; then
		kill -USR1 "$1"
	else
		tap_diag "$6"
		kill -USR1 "$1" 2>/dev/null
	fi
}

# run_close MODE NS: one connection in NS; MODE timer, piggyback or quickack.
# Sets PORT; leaves the events in the instance's buffer.
run_close() {
	local mode=$1 ns=$2 spid cpid src=0 crc=0 sargs=()
	local pfile=$T/$mode.port wsrv=$T/$mode.wsrv wcli=$T/$mode.wcli
	rm -f "$pfile" "$wsrv" "$wcli"
	case $mode in
	timer) sargs=(-W "$wsrv") ;;
	quickack) sargs=(-Q) ;;
	esac

	echo >"$INST/trace"
	ip netns exec "$ns" "$SELFTESTS/progs/closer" server -v -P "$PROTO" -a 127.0.0.1 \
		-R "$pfile" "${sargs[@]}" >"$T/$mode.srv" 2>&1 &
	spid=$!
	if ! wait_line "$pfile" '[0-9][0-9]*' "$spid" 20; then
		kill "$spid" 2>/dev/null
		wait "$spid"
		tap_diag "$(cat "$T/$mode.srv")"
		return 1
	fi
	PORT=$(cat "$pfile")
	# Only this connection's events from here on (the client's first
	# change, to SYN_SENT, already has the destination port).
	echo "sport == $PORT || dport == $PORT" >"$INST/events/atcp/filter"
	echo 1 >"$INST/events/atcp/enable"

	ip netns exec "$ns" "$SELFTESTS/progs/closer" client -v -P "$PROTO" -a 127.0.0.1 -p "$PORT" \
		-n 19 -W "$wcli" >"$T/$mode.cli" 2>&1 &
	cpid=$!
	# The data is written; close once the server has ACKed it.
	release_after "$cpid" "$wcli" server atcp_ack ' quickack ' \
		"$mode: no immediate ACK of the data in the trace"
	if [ "$mode" = timer ]; then
		# The server saw EOF; close once its delayed ACK went out.
		release_after "$spid" "$wsrv" server atcp_timer ' timer=delack ' \
			"$mode: the delayed-ACK timer did not fire"
	fi
	wait "$cpid" || crc=$?
	wait "$spid" || src=$?
	# The last changes come with the last two segments, which may still
	# be on their way when the processes are gone.
	wait_for 5 has_event server "$PORT" atcp_state 'LAST_ACK>' || true
	wait_for 5 has_event client "$PORT" atcp_state 'FIN_WAIT2>' || true
	echo 0 >"$INST/events/atcp/enable"
	cp "$INST/trace" "$T/$mode.trace"
	if [ $crc != 0 ] || [ $src != 0 ]; then
		tap_diag "$(cat "$T/$mode.cli" "$T/$mode.srv")"
		return 1
	fi
}

stat_of() {
	in_ns "$1" awk -v n="$2" '$1 == n { print $2 }' /proc/net/atcp_stat
}

# /proc/net/atcp has a TIME_WAIT (st 06) entry whose remote port is PORT.
has_time_wait() {
	in_ns "$1" awk -v p="$(printf '%04X' "$2")" '
		$4 == "06" && $3 ~ (":" p "$") { found = 1 }
		END { exit !found }' /proc/net/atcp
}


# The client's socket is replaced by a TIME_WAIT minisocket (atcp_timewait
# start, with tw_timeout), then goes to CLOSE.
CLIENT_STATES="CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT1 FIN_WAIT1>FIN_WAIT2"
SERVER_STATES="SYN_RECV>ESTABLISHED ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSE"

for mode in timer piggyback quickack; do
	netns_lo_create || { echo "Bail out! cannot create a namespace"; exit 1; }
	ns=$NS_LO
	failed_before=$TAP_FAILED
	if [ "$mode" != timer ]; then
		in_ns "$ns" sysctl -q -w net.atcp.delack_min=1000 net.atcp.delack_max=1000
	fi
	dmin=$(in_ns "$ns" sysctl -n net.atcp.delack_min)
	dmax=$(in_ns "$ns" sysctl -n net.atcp.delack_max)
	tw_ms=$(($(in_ns "$ns" sysctl -n net.atcp.tw_timeout) * 1000))
	if ! run_close "$mode" "$ns"; then
		tap_ok 1 "$mode: client and server complete"
		netns_destroy "$ns"
		continue
	fi
	tap_ok 0 "$mode: client and server complete (port $PORT, delack_min $dmin, delack_max $dmax)"

	got=$(states client "$PORT")
	tap_is "$got" "$CLIENT_STATES timewait:start:$tw_ms FIN_WAIT2>CLOSE" \
		"$mode: client state changes, TIME_WAIT for tw_timeout"
	got=$(states server "$PORT")
	tap_is "$got" "$SERVER_STATES" "$mode: accepted socket's state changes"
	tap_ok "$(has_time_wait "$ns" "$PORT"; echo $?)" \
		"$mode: /proc/net/atcp shows the client in TIME_WAIT"

	# The server's ACK decisions, "REASON ACK DELAY" in order.
	side_events server "$PORT" atcp_ack |
		awk '{ a = $2; sub(/ack=/, "", a); d = $4; sub(/delay_ms=/, "", d)
		       print $3, a, d }' >"$T/$mode.acks"
	mapfile -t acks <"$T/$mode.acks"
	read -r r0 a0 _ <<<"${acks[0]:-}"
	read -r r1 a1 d1 <<<"${acks[1]:-}"
	read -r r2 a2 _ <<<"${acks[2]:-}"
	tap_diag "$mode: server ACK decisions: $(tr '\n' ';' <"$T/$mode.acks")"
	tap_is "$r0" quickack "$mode: server ACKs the data at once (quick-ack mode)"
	tap_is "$r1" delayed "$mode: server delays the ACK of the FIN"
	tap_is "$(((${a1:-0} - ${a0:-0}) & 0xffffffff))" 1 \
		"$mode: the delayed ACK is for the FIN (data ACK + 1)"
	# The delay is computed in jiffies: allow one tick (at most 10 ms) below.
	tap_ok "$([ "${d1:-0}" -ge $((dmin - 10)) ] && [ "${d1:-0}" -le "$dmax" ]; echo $?)" \
		"$mode: delay_ms ${d1:-none} within [delack_min $dmin, delack_max $dmax]"
	fire=$(side_events server "$PORT" atcp_timer |
		awk '{ $1 = ""; sub(/^ /, ""); sub(/ late_ms=[0-9]+$/, ""); print }')
	case $mode in
	timer)
		tap_is "${#acks[@]} $r2 $a2" "3 delack_timer $a1" \
			"$mode: the delayed ACK goes out from the timer"
		tap_is "$fire" "timer=delack state=CLOSE_WAIT" \
			"$mode: one delayed-ACK timer fire, in CLOSE_WAIT"
		# Timestamps of the arming (second ACK decision) and of the fire.
		# The timer runs on jiffies, the trace on the monotonic clock:
		# when the host holds the virtual CPU back, jiffies catch up in
		# a burst and a timer may fire a few ticks early by the clock.
		# Half the delay tells a timer that waited from one that did not.
		armed=$(side_events server "$PORT" atcp_ack | awk 'NR == 2 { print $1 }')
		fired=$(side_events server "$PORT" atcp_timer | awk 'NR == 1 { print $1 }')
		tap_ok "$(awk -v a="$armed" -v f="$fired" -v d="${d1:-0}" \
			'BEGIN { exit !(f != "" && (f - a) * 1000 >= d / 2) }'; echo $?)" \
			"$mode: the timer fired after its delay ($armed -> $fired, ${d1:-?} ms)"
		n=$(stat_of "$ns" DelayedACKs)
		tap_ok "$([ "${n:-0}" -ge 1 ]; echo $?)" "$mode: DelayedACKs counted it ($n)"
		;;
	piggyback)
		tap_is "${#acks[@]} $r2 $a2" "3 piggybacked $a1" \
			"$mode: the server's FIN carries the delayed ACK"
		tap_is "$fire" "" "$mode: no delayed-ACK timer fire"
		n=$(stat_of "$ns" PiggybackedACKs)
		tap_ok "$([ "${n:-0}" -ge 1 ]; echo $?)" "$mode: PiggybackedACKs counted it ($n)"
		;;
	quickack)
		# Neither the timer nor the FIN found the ACK pending: the
		# setsockopt sent it.
		tap_is "$fire" "" "$mode: no delayed-ACK timer fire"
		tap_is "$(grep -c '^piggybacked ' "$T/$mode.acks")" 0 \
			"$mode: the server's FIN carries no pending ACK (TCP_QUICKACK sent it)"
		tap_is "${#acks[@]} $r2 $a2" "3 tcp_quickack $a1" \
			"$mode: the setsockopt sends the held ACK (ack $a1)"
		;;
	esac
	n=$(stat_of "$ns" QuickACKs)
	tap_ok "$([ "${n:-0}" -ge 1 ]; echo $?)" "$mode: QuickACKs counted the data ACK ($n)"

	# The client's own ACKs: of the SYN-ACK and of the server's FIN.
	got=$(side_events client "$PORT" atcp_ack | awk '{ printf "%s%s", sep, $3; sep = " " }')
	tap_is "$got" "state_change state_change" "$mode: client ACKs SYN-ACK and FIN at once"

	if [ "$TAP_FAILED" != "$failed_before" ]; then
		tap_diag "$mode trace:"
		tap_diag "$(grep -v '^#' "$T/$mode.trace")"
	fi
	netns_destroy "$ns"
done

tap_done

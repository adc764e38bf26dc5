#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_timers.sh - TIME_WAIT lasts net.atcp.tw_timeout and an orphaned
# FIN_WAIT_2 lasts net.atcp.fin_timeout (or the socket's TCP_LINGER2), each
# set by sysctl at run time, in two namespaces with different values at the
# same time; then the values are swapped by sysctl and measured again.
#
# Each connection is made and closed by selftests/progs/statewatch, which also
# watches /proc/net/atcp and prints how long it showed the state.  The
# length asserted within one tick is the kernel's own: the time between the
# trace events that start and end the state (atcp_timewait start/end;
# atcp_state FIN_WAIT1 -> FIN_WAIT2 and FIN_WAIT2 -> CLOSE).  Both timers
# live on the kernel's timer wheel, as Linux TCP's do.  A timeout of J
# jiffies armed during jiffy k fires at the first tick of its wheel level's
# granularity at or after k + J: 1 jiffy below 63 jiffies, 8 below 504, 64
# below 4032.  So a state of T ms lasts from T - 1 jiffy to T + one tick
# of that level (at HZ=250: 32 ms for 1 s and 2 s).  SCHED_SLACK_MS allows
# for the host not running the virtual CPU on time (TCG), below.  How late the timer ran after its expiry, the kernel says
# itself (late_ms of the atcp_timer event that ends FIN_WAIT_2, and of the
# atcp_timewait end): a host too busy to run the virtual CPU on time
# delays the end, not the length the timer was armed for, which is what
# is asserted (traced length less late_ms); the lateness is reported.  A
# round with a length out of its band runs once more, and the second try
# counts.  What /proc/net/atcp shows is asserted within PROC_SLACK_MS more
# at each end, less the same lateness: statewatch polls it every
# millisecond but waits for a CPU among several watchers.
#
# For comparison, Linux TCP's FIN_WAIT_2 under net.ipv4.tcp_fin_timeout is
# measured from /proc/net/tcp in a third namespace at the same time.
. "$(dirname "$0")/lib/common.sh"
. "$SELFTESTS/lib/netns.sh"

need_root
need_cmd ip sysctl awk
need_bin statewatch
if [ "$PROTO" != 253 ]; then
	tap_skip_all "measures net.atcp sysctls"
fi

# The trace's clock is the monotonic one, timers run on jiffies: when the
# host holds the virtual CPU back, jiffies catch up in bursts, and a state
# timed by the clock may look up to tens of ms longer than the jiffies it
# lasted.  Never shorter: the lower bound stays one jiffy.  100 ms still
# tells every setting here apart (they differ by a second).
SCHED_SLACK_MS=100
PROC_SLACK_MS=200
HZ=$(sed -n 's/^CONFIG_HZ=\([0-9]*\)$/\1/p' "/boot/config-$(uname -r)" 2>/dev/null)
# Unknown: assume the coarsest common value, whose ticks are the longest.
HZ=${HZ:-100}

TRACING=/sys/kernel/tracing
[ -e "$TRACING/trace" ] || mount -t tracefs nodev "$TRACING" 2>/dev/null
[ -d "$TRACING/events/atcp/atcp_timewait" ] || tap_skip_all "needs tracefs and atcp's trace events"

tap_plan 22
tap_diag "HZ=$HZ"

trace_off() {
	echo 0 >"$TRACING/events/atcp/atcp_timewait/enable"
	echo 0 >"$TRACING/events/atcp/atcp_state/enable"
}
cleanup_push trace_off
trace_start() {
	echo >"$TRACING/trace"
	echo 1 >"$TRACING/events/atcp/atcp_timewait/enable"
	echo 1 >"$TRACING/events/atcp/atcp_state/enable"
}

# The timer wheel's granularity, in ms, for a timeout of $1 ms.
level_tick_ms() {
	local j=$(($1 * HZ / 1000)) gran
	if [ $j -lt 63 ]; then gran=1
	elif [ $j -lt 504 ]; then gran=8
	elif [ $j -lt 4032 ]; then gran=64
	else gran=512
	fi
	echo $(((gran * 1000 + HZ - 1) / HZ))
}

# start NAME NS STATEWATCH-ARGS...: one connection, measured in the
# background.
pids=()
start() {
	local name=$1 ns=$2
	shift 2
	in_ns "$ns" "$SELFTESTS/progs/statewatch" "$@" >"$T/$name" 2>&1 &
	pids+=($!)
}

# traced_ms KIND CLIENT: the state's length in ms from the trace, and how
# late its timer ran ("LEN LATE"), for the connection whose client end is
# CLIENT (addr:port).
traced_ms() {
	local kind=$1 client=$2
	awk -v kind="$kind" -v client="$client" '
	function ts(   i) {
		for (i = 1; i < NF; i++)
			if ($(i + 1) ~ /^atcp_/ && $i ~ /^[0-9]+\.[0-9]+:$/)
				return substr($i, 1, length($i) - 1)
		return -1
	}
	function late(   i) {
		for (i = 1; i <= NF; i++)
			if ($i ~ /^late_ms=/)
				return substr($i, 9) + 0
		return 0
	}
	kind == "tw" && /atcp_timewait:/ && index($0, ": " client " -> ") {
		if (/ start /) t0 = ts()
		if (/ end / && t0) { t1 = ts(); l = late(); exit }
	}
	# The FIN_WAIT_2 timer of the client port: its lateness.
	kind == "fw2" && /atcp_timer:/ && index($0, "sport=" port " ") &&
	    / timer=fin_wait2 / { l = late() }
	kind == "fw2" && /atcp_state:/ && index($0, ": " client " -> ") {
		if (/FIN_WAIT1 -> FIN_WAIT2/) t0 = ts()
		if (/FIN_WAIT2 -> CLOSE$/ && t0) { t1 = ts(); exit }
	}
	END { if (t0 && t1) printf "%d %d\n", (t1 - t0) * 1000 + 0.5, l }
	' port="${client##*:}" "$TRACING/trace"
}

# check NAME KIND EXPECTED_S WHAT: judge the traced length of NAME's state
# within one tick, and what /proc/net/atcp showed within more; the results
# go to RESULTS (rc, then description), BAD counts the failures.
check() {
	local name=$1 kind=$2 want_ms=$(($3 * 1000)) what=$4
	local line client traced='' late=0 armed='' shown lo hi rc
	line=$(grep '^statewatch: ' "$T/$name")
	client=$(echo "$line" | sed -n 's/.* client \([0-9.:]*\) .*/\1/p')
	shown=$(echo "$line" | sed -n 's/^statewatch: [A-Z_0-9]* \([0-9]*\) ms .*/\1/p')
	[ -n "$client" ] && read -r traced late < <(traced_ms "$kind" "$client")
	[ -n "$traced" ] && armed=$((traced - ${late:-0}))
	# The lateness is counted in whole jiffies, so the length less it
	# may come out one jiffy shorter still.
	lo=$((want_ms - (${late:-0} > 0 ? 2 : 1) * 1000 / HZ))
	hi=$((want_ms + $(level_tick_ms "$want_ms") + SCHED_SLACK_MS))
	rc=1
	[ -n "$armed" ] && [ "$armed" -ge $lo ] && [ "$armed" -le $hi ] && rc=0
	[ $rc = 0 ] || { BAD=$((BAD + 1)); tap_diag "$(cat "$T/$name")"; }
	RESULTS+=("$rc" "$what: '$armed' ms traced, less ${late:-?} ms its timer ran late (band $lo..$hi ms)")
	lo=$((lo - PROC_SLACK_MS))
	hi=$((hi + PROC_SLACK_MS))
	rc=1
	[ -n "$shown" ] && shown=$((shown - ${late:-0}))
	[ -n "$shown" ] && [ "$shown" -ge $lo ] && [ "$shown" -le $hi ] && rc=0
	[ $rc = 0 ] || BAD=$((BAD + 1))
	RESULTS+=("$rc" "$what: '$shown' ms in /proc/net/atcp, less the same (band $lo..$hi ms)")
}

# round N: run round_N's measurements; once more if a length was out of
# its band (the virtual CPUs share the host), then report the last try.
round() {
	local try i
	for try in 1 2; do
		RESULTS=()
		BAD=0
		trace_start
		"round_$1"
		[ $BAD = 0 ] && break
		tap_diag "round $1, try $try: $BAD lengths out of band"
	done
	for ((i = 0; i < ${#RESULTS[@]}; i += 2)); do
		tap_ok "${RESULTS[i]}" "${RESULTS[i + 1]}"
	done
}

set_timers() {
	local ns=$1 tw=$2 fin=$3
	in_ns "$ns" sysctl -qw net.atcp.tw_timeout="$tw" net.atcp.fin_timeout="$fin" &&
		[ "$(in_ns "$ns" sysctl -n net.atcp.tw_timeout)" = "$tw" ] &&
		[ "$(in_ns "$ns" sysctl -n net.atcp.fin_timeout)" = "$fin" ]
	tap_ok $? "$ns: tw_timeout=$tw fin_timeout=$fin"
}

netns_lo_create || tap_skip_all "cannot create a namespace"
A=$NS_LO
netns_lo_create || tap_skip_all "cannot create a namespace"
B=$NS_LO
netns_lo_create || tap_skip_all "cannot create a namespace"
L=$NS_LO
in_ns "$L" sysctl -qw net.ipv4.tcp_fin_timeout=1

# Round 1: A has a short TIME_WAIT and a long FIN_WAIT_2, B the opposite.
round_1() {
	pids=()
	start a-tw "$A" time-wait
	start a-fw2 "$A" fin-wait-2
	start a-linger2 "$A" -l 1 fin-wait-2
	start b-tw "$B" time-wait
	start b-fw2 "$B" fin-wait-2
	start linux-fw2 "$L" -P 6 fin-wait-2
	wait "${pids[@]}"
	check a-tw tw 1 "round 1, A: TIME_WAIT lasts tw_timeout=1 s"
	check a-fw2 fw2 2 "round 1, A: FIN_WAIT_2 lasts fin_timeout=2 s"
	check a-linger2 fw2 1 "round 1, A: FIN_WAIT_2 lasts TCP_LINGER2=1 s, not fin_timeout=2 s"
	check b-tw tw 2 "round 1, B: TIME_WAIT lasts tw_timeout=2 s"
	check b-fw2 fw2 1 "round 1, B: FIN_WAIT_2 lasts fin_timeout=1 s"
	tap_diag "Linux TCP, same VM, tcp_fin_timeout=1: $(cat "$T/linux-fw2")"
}
set_timers "$A" 1 2
set_timers "$B" 2 1
round 1

# Round 2: the values swapped at run time.
round_2() {
	pids=()
	start a-tw2 "$A" time-wait
	start a-fw22 "$A" fin-wait-2
	start b-tw2 "$B" time-wait
	start b-fw22 "$B" fin-wait-2
	wait "${pids[@]}"
	check a-tw2 tw 2 "round 2, A: TIME_WAIT lasts the new tw_timeout=2 s"
	check a-fw22 fw2 1 "round 2, A: FIN_WAIT_2 lasts the new fin_timeout=1 s"
	check b-tw2 tw 1 "round 2, B: TIME_WAIT lasts the new tw_timeout=1 s"
	check b-fw22 fw2 2 "round 2, B: FIN_WAIT_2 lasts the new fin_timeout=2 s"
}
set_timers "$A" 2 1
set_timers "$B" 1 2
round 2

tap_done

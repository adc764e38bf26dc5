# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Variables set here are used by the scripts that source it.
# shellcheck disable=SC2034
# experiments.sh - the experiments of scripts/demo, shared with the tests
# (source it after common.sh, netns.sh and capture.sh).
#
#   EXPERIMENTS          the close experiments, in order (test_close.sh
#                        runs these)
#   DEMO_EXPERIMENTS     every experiment of the demo, in order: the close
#                        experiments, then those of the knobs (sysctls and
#                        socket options) and of the socket calls
#   exp_NAME [VARIANT]   sets TITLE, EXPECT (one sentence, which the demo
#                        checks: tools/atcp-lesson), VARIANTS (the runs the
#                        experiment compares, default "atcp tcp") and SCALE
#                        (pixels per millisecond in the pictures, 0 when
#                        the delays do not matter); for a VARIANT, also
#                        LABEL, SERVER and CLIENT (options of
#                        selftests/progs/closer, arrays), CLIENT2 (a second
#                        client, run once the first has finished; empty:
#                        none), SYSCTLS (NAME=VALUE, set in the run's
#                        namespaces), TOPO (lo or veth) and NETEM (tc netem
#                        arguments for both veth ends); PARALLEL=1 when
#                        the variants may run at the same time (their
#                        timing is in seconds)
#   variant_proto VARIANT  the IP protocol of a variant: 6 for "tcp" and
#                        "tcp-*", else $PROTO
#   run_experiment NAME PROTO PCAP [VERBOSE [VARIANT]]
#                        run it over PROTO in fresh namespaces, capture to
#                        PCAP; the processes' output goes to PCAP.cli and
#                        PCAP.srv.  VARIANT defaults to "atcp", or "tcp"
#                        for PROTO 6.  Returns non-zero if either side
#                        failed, 4 if netem is not available.
#
# What run_experiment reads besides (all optional):
#   EXP_BASE_SYSCTLS     NAME=VALUE words set in every run's namespaces
#                        before the variant's SYSCTLS (those of an absent
#                        sysctl, e.g. net.atcp.* in a TCP run, are skipped)
#   EXP_MARKER           a tracefs trace_marker: the run writes
#                        "demo: begin|end NAME VARIANT TAG" around itself,
#                        closer writes its steps there (-M, tagged
#                        NAME/VARIANT/TAG with -G), and in runs
#                        over TCP selftests/progs/procwatch reports the
#                        minisockets of the server's port there
#   EXP_TAG              the TAG of those lines (e.g. the round)
#   EXP_KEEP_NS          1: leave the namespaces in place (their names are
#                        added to EXP_KEPT_NS, and written to EXP_KEPT_FILE
#                        if that is set), so that TIME_WAIT entries live out
#                        their time rather than go with them
#
# Adding an experiment: write exp_NAME() and add NAME to DEMO_EXPERIMENTS
# (and to EXPERIMENTS if test_close.sh is to run it), and its check to
# tools/atcp-lesson.
# "-W @W@" in both SERVER and CLIENT makes them close at the same moment:
# each says it is waiting (through a fifo), then both get SIGUSR1 from one
# kill.

EXPERIMENTS=(hello threeway quickack serverdata simultaneous)
DEMO_EXPERIMENTS=("${EXPERIMENTS[@]}" delack delack_close fin_timeout tw_timeout
	unread_close half_close linger0)
EXP_KEPT_NS=()

variant_proto() {
	case $1 in
	tcp | tcp-*) echo 6 ;;
	*) echo "$PROTO" ;;
	esac
}

exp_hello() {
	TITLE="SPEC 2: client sends \"hello\\n\" and shuts down; server answers and closes"
	EXPECT="seq/ack: SYN 0, data 1..7, client FIN 7 acked by 8; server data 1..10, FIN 10 acked by 11"
	CLIENT=(-m 'hello\n' -H)
	SERVER=(-m 'hi there\n')
}

exp_threeway() {
	TITLE="client sends 19 bytes, sleeps 1 s, closes; server closes when read() returns 0"
	EXPECT="three-way close: the server's FIN carries its delayed ACK of the client's FIN; the client goes FIN_WAIT1, FIN_WAIT2, TIME_WAIT, the server CLOSE_WAIT, LAST_ACK, CLOSE"
	CLIENT=(-n 19 -d 1000)
	SERVER=()
}

exp_quickack() {
	TITLE="the same, with TCP_QUICKACK on the server right after read() returns 0"
	EXPECT="four-way close: the server acks the FIN at once (the client enters FIN_WAIT2 on it), then sends its own FIN"
	CLIENT=(-n 19 -d 1000)
	SERVER=(-Q)
}

exp_serverdata() {
	TITLE="client sends 19 bytes, sleeps 1 s, shuts down; server sends 23 bytes, closes"
	EXPECT="the server's data carries the ACK of the client's FIN; its FIN follows the data"
	CLIENT=(-n 19 -d 1000 -H)
	SERVER=(-n 23)
}

exp_simultaneous() {
	TITLE="both sides close at the same instant; 20 ms of delay each way (veth + netem)"
	EXPECT="the FINs cross: both sides ack the other's FIN (CLOSING, then TIME_WAIT)"
	TOPO=veth
	NETEM="delay 20ms"
	SCALE=2
	CLIENT=(-n 19 -W @W@)
	SERVER=(-r 19 -W @W@)
}

# The knobs: two settings over atcp side by side, and Linux TCP.

# delack_variant VARIANT MS: LABEL and SYSCTLS of the delack experiments'
# atcp variants: "atcp" at the defaults, "atcp-MS" with
# delack_min=delack_max=MS.
delack_variant() {
	case $1 in
	atcp) LABEL="delack_min 40, delack_max 200 (defaults)" ;;
	atcp-"$2")
		LABEL="delack_min=delack_max=$2"
		SYSCTLS=(net.atcp.delack_min="$2" net.atcp.delack_max="$2")
		;;
	esac
}

exp_delack() {
	TITLE="client sends 19 bytes, closes 300 ms later; the server closes 500 ms after read() returns 0"
	EXPECT="the ACK of the client's FIN leaves on its own, delack_min after the FIN: 40 ms at the default, 120 ms with delack_min=delack_max=120 (Linux TCP: 40 ms, not tunable)"
	VARIANTS=(atcp atcp-120 tcp)
	SCALE=0.5
	CLIENT=(-n 19 -d 300)
	SERVER=(-d 500)
	delack_variant "${1:-}" 120
}

exp_delack_close() {
	TITLE="client sends 19 bytes, closes 300 ms later; the server closes 20 ms after read() returns 0"
	EXPECT="at the default delack_min (40 ms) the server's FIN carries the ACK of the client's FIN (three segments close it); with delack_min=delack_max=1 that ACK leaves first, within a few ms, and the close takes four"
	VARIANTS=(atcp atcp-1 tcp)
	SCALE=4
	CLIENT=(-n 19 -d 300)
	SERVER=(-d 20)
	delack_variant "${1:-}" 1
}

exp_fin_timeout() {
	TITLE="client sends 19 bytes and closes; the server keeps its end open for 3 s, then closes"
	EXPECT="the client's orphaned FIN_WAIT2 lasts fin_timeout (1 s), or TCP_LINGER2 (2 s) where that is set, then goes without a segment, and the server's late FIN gets a RST; Linux TCP's tcp_fin_timeout and TCP_LINGER2 do the same"
	VARIANTS=(atcp atcp-linger2 tcp tcp-linger2)
	SCALE=0.1
	PARALLEL=1
	CLIENT=(-n 19 -d 100)
	SERVER=(-d 3000)
	case ${1:-} in
	atcp | atcp-linger2) SYSCTLS=(net.atcp.fin_timeout=1) ;;
	tcp | tcp-linger2) SYSCTLS=(net.ipv4.tcp_fin_timeout=1) ;;
	esac
	case ${1:-} in
	atcp) LABEL="net.atcp.fin_timeout=1" ;;
	tcp) LABEL="net.ipv4.tcp_fin_timeout=1" ;;
	atcp-linger2)
		LABEL="net.atcp.fin_timeout=1, TCP_LINGER2 2 s"
		CLIENT+=(-l 2)
		;;
	tcp-linger2)
		LABEL="net.ipv4.tcp_fin_timeout=1, TCP_LINGER2 2 s"
		CLIENT+=(-l 2)
		;;
	esac
}

exp_tw_timeout() {
	TITLE="client from port 20000 sends 19 bytes and closes (TIME_WAIT); then it connects from port 20000 again, every 500 ms until that succeeds"
	EXPECT="TIME_WAIT holds the 4-tuple for tw_timeout: a connect() from the same port fails with EADDRNOTAVAIL until TIME_WAIT ends, 1 s or 3 s after it began; Linux TCP (TIME_WAIT fixed at 60 s) hands the 4-tuple to the new connect() at once, as the connection used timestamps"
	VARIANTS=(atcp-1 atcp-3 tcp)
	SCALE=0.1
	PARALLEL=1
	SERVER=(-k 2)
	CLIENT=(-b 20000 -n 19 -d 100)
	CLIENT2=(-b 20000 -c 8000 -i 500 -n 19 -d 100)
	case ${1:-} in
	atcp-1) LABEL="net.atcp.tw_timeout=1"; SYSCTLS=(net.atcp.tw_timeout=1) ;;
	atcp-3) LABEL="net.atcp.tw_timeout=3"; SYSCTLS=(net.atcp.tw_timeout=3) ;;
	tcp) LABEL="TIME_WAIT 60 s (TCP_TIMEWAIT_LEN)" ;;
	esac
}

# The socket calls that end a connection otherwise.

exp_unread_close() {
	TITLE="client sends 19 bytes and reads; the server does not read them and closes 300 ms later"
	EXPECT="close() with unread data aborts: the server sends RST (R. seq=1 ack=20) instead of FIN, the client's read() fails with ECONNRESET, and neither side passes through FIN_WAIT or TIME_WAIT"
	CLIENT=(-n 19 -w -e)
	SERVER=(-r 0 -d 300)
}

exp_half_close() {
	TITLE="client sends 19 bytes, shutdown(SHUT_WR) 100 ms later, reads to EOF; the server then sends 3 x 100 bytes, 200 ms apart, and closes"
	EXPECT="after the client's FIN the other direction still carries data: the server, in CLOSE_WAIT, sends 3 x 100 bytes that the client, in FIN_WAIT2, receives and ACKs, then the server's FIN ends it"
	CLIENT=(-n 19 -d 100 -H)
	SERVER=(-n 100 -N 3 -I 200 -d 100)
}

exp_linger0() {
	TITLE="client sends 19 bytes, then closes 300 ms later with SO_LINGER {1, 0}; the server reads"
	EXPECT="with SO_LINGER {1, 0} close() aborts: the client sends RST (R. seq=20 ack=1) instead of FIN, the server's read() fails with ECONNRESET, and no TIME_WAIT is left on either side"
	CLIENT=(-n 19 -d 300 -L)
	SERVER=(-e)
}

# exp_defaults: what an exp_NAME does not set.
exp_defaults() {
	TITLE='' EXPECT='' LABEL='' TOPO=lo NETEM='' SCALE=0 PARALLEL=''
	VARIANTS=(atcp tcp)
	CLIENT=() SERVER=() CLIENT2=() SYSCTLS=()
}

# set_sysctls NS NAME=VALUE...: those the namespace has.
set_sysctls() {
	local ns=$1 kv k have=()
	shift
	for kv in "$@"; do
		k=${kv%%=*}
		[ -e "/proc/sys/${k//.//}" ] && have+=("$kv")
	done
	[ ${#have[@]} = 0 ] || ip netns exec "$ns" sysctl -q -w "${have[@]}"
}

run_experiment() {
	local exp=$1 proto=$2 pcap=$3 verbose=${4:-} variant=${5:-} ns sns cns addr
	local iface marker fifo port spid src=0 crc=0 pw='' n mark=()
	[ -n "$variant" ] || { [ "$proto" = 6 ] && variant=tcp || variant=atcp; }
	exp_defaults
	"exp_$exp" "$variant"
	if [ "$TOPO" = veth ]; then
		netns_pair_create || return 1
		sns=$NS_B cns=$NS_A addr=$ADDR_B ns=$NS_B iface=$VETH_B marker=$ADDR_A
		if [ -n "$NETEM" ]; then
			# shellcheck disable=SC2086
			if ! tc -n "$NS_A" qdisc add dev "$VETH_A" root netem $NETEM ||
				! tc -n "$NS_B" qdisc add dev "$VETH_B" root netem $NETEM; then
				netns_destroy "$NS_A" "$NS_B"
				return 4
			fi
		fi
		set -- "$NS_A" "$NS_B"
	else
		netns_lo_create || return 1
		sns=$NS_LO cns=$NS_LO addr=127.0.0.1 ns=$NS_LO iface=lo marker=127.0.0.1
		set -- "$NS_LO"
	fi
	for n in "$@"; do
		# shellcheck disable=SC2086
		set_sysctls "$n" ${EXP_BASE_SYSCTLS:-} "${SYSCTLS[@]}" || return 1
	done
	local sync='' wsrv wcli cpid
	case " ${SERVER[*]} ${CLIENT[*]} " in *@W@*) sync=1 ;; esac
	if [ -n "$sync" ]; then
		wsrv=$(ready_fifo "${pcap##*/}.wsrv")
		wcli=$(ready_fifo "${pcap##*/}.wcli")
		SERVER=("${SERVER[@]//@W@/$wsrv}")
		CLIENT=("${CLIENT[@]//@W@/$wcli}")
	fi
	# ip netns exec mounts a sysfs of the namespace's own over /sys, where
	# tracefs is not: the processes get the marker as an open file.
	local mfd=''
	if [ -n "${EXP_MARKER:-}" ]; then
		exec {mfd}>>"$EXP_MARKER"
		mark=(-M "/proc/self/fd/$mfd" -G "$exp/$variant/${EXP_TAG:-}")
		echo "demo: begin $exp $variant ${EXP_TAG:-}" >&"$mfd"
	fi

	capture_start "$ns" "$iface" "$pcap" "ip proto $proto" || return 1
	fifo=$(ready_fifo "${pcap##*/}.ready")
	need_bin closer
	ip netns exec "$sns" "$SELFTESTS/progs/closer" server $verbose "${mark[@]}" -P "$proto" \
		-a "$addr" -R "$fifo" "${SERVER[@]}" >"$pcap.srv" 2>&1 &
	spid=$!
	if port=$(read_ready "$fifo" 20 "$spid"); then
		if [ "$proto" = 6 ] && [ -n "${EXP_MARKER:-}" ]; then
			need_bin procwatch
			for n in "$@"; do
				ip netns exec "$n" "$SELFTESTS/progs/procwatch" -P 6 -p "$port" \
					-i 10 -M "/proc/self/fd/$mfd" -t 60 &
				pw="$pw $!"
			done
		fi
		ip netns exec "$cns" "$SELFTESTS/progs/closer" client $verbose "${mark[@]}" -P "$proto" \
			-a "$addr" -p "$port" "${CLIENT[@]}" >"$pcap.cli" 2>&1 &
		cpid=$!
		if [ -n "$sync" ] && read_ready "$wsrv" 20 "$spid" >/dev/null &&
			read_ready "$wcli" 20 "$cpid" >/dev/null; then
			kill -USR1 "$spid" "$cpid"
		fi
		wait "$cpid" || crc=$?
		if [ $crc = 0 ] && [ ${#CLIENT2[@]} -gt 0 ]; then
			ip netns exec "$cns" "$SELFTESTS/progs/closer" client $verbose "${mark[@]}" \
				-P "$proto" -a "$addr" -p "$port" "${CLIENT2[@]}" >>"$pcap.cli" 2>&1 || crc=$?
		fi
	else
		crc=1
	fi
	wait "$spid" || src=$?
	capture_stop "$marker"
	if [ -n "$pw" ]; then
		# shellcheck disable=SC2086
		kill $pw 2>/dev/null
		# shellcheck disable=SC2086
		wait $pw 2>/dev/null
	fi
	if [ -n "$mfd" ]; then
		echo "demo: end $exp $variant ${EXP_TAG:-}" >&"$mfd"
		exec {mfd}>&-
	fi
	if [ "${EXP_KEEP_NS:-}" = 1 ]; then
		EXP_KEPT_NS+=("$@")
		[ -z "${EXP_KEPT_FILE:-}" ] || printf '%s\n' "$@" >>"$EXP_KEPT_FILE"
	else
		netns_destroy "$@"
	fi
	[ $src = 0 ] && [ $crc = 0 ]
}

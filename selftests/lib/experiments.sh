# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Variables set here are used by the scripts that source it.
# shellcheck disable=SC2034
# experiments.sh - the close experiments, shared by scripts/demo and tests
# (source it after common.sh, netns.sh and capture.sh).
#
#   EXPERIMENTS          the names, in order
#   exp_NAME             sets TITLE, EXPECT, SERVER and CLIENT (options of
#                        selftests/closer, arrays), TOPO (lo or veth) and
#                        NETEM (tc netem arguments for both veth ends)
#   run_experiment NAME PROTO PCAP [VERBOSE]
#                        run it over PROTO in fresh namespaces, capture to
#                        PCAP; the processes' output goes to PCAP.cli and
#                        PCAP.srv.  Returns non-zero if either side failed,
#                        4 if netem is not available.
#
# Adding an experiment: write exp_NAME() and add NAME to EXPERIMENTS.
# "-W @W@" in both SERVER and CLIENT makes them close at the same moment:
# each says it is waiting (through a fifo), then both get SIGUSR1 from one
# kill.

EXPERIMENTS=(hello threeway quickack serverdata simultaneous)

exp_hello() {
	TITLE="SPEC 2: client sends \"hello\\n\" and shuts down; server answers and closes"
	EXPECT="seq/ack: SYN 0, data 1..7, client FIN 7 acked by 8; server data 1..10, FIN 10 acked by 11"
	CLIENT=(-m 'hello\n' -H)
	SERVER=(-m 'hi there\n')
}

exp_threeway() {
	TITLE="client sends 19 bytes, sleeps 1 s, closes; server closes when read() returns 0"
	EXPECT="three-way close: the server's FIN carries its delayed ACK of the client's FIN"
	CLIENT=(-n 19 -d 1000)
	SERVER=()
}

exp_quickack() {
	TITLE="the same, with TCP_QUICKACK on the server right after read() returns 0"
	EXPECT="four-way close: the server acks the FIN at once, then sends its own FIN"
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
	CLIENT=(-n 19 -W @W@)
	SERVER=(-r 19 -W @W@)
}

run_experiment() {
	local exp=$1 proto=$2 pcap=$3 verbose=${4:-} ns sns cns addr iface marker
	local fifo port spid src=0 crc=0
	TOPO=lo NETEM=
	"exp_$exp"
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
	else
		netns_lo_create || return 1
		sns=$NS_LO cns=$NS_LO addr=127.0.0.1 ns=$NS_LO iface=lo marker=127.0.0.1
	fi
	local sync='' wsrv wcli cpid
	case " ${SERVER[*]} ${CLIENT[*]} " in *@W@*) sync=1 ;; esac
	wsrv=$(ready_fifo "${pcap##*/}.wsrv")
	wcli=$(ready_fifo "${pcap##*/}.wcli")
	SERVER=("${SERVER[@]//@W@/$wsrv}")
	CLIENT=("${CLIENT[@]//@W@/$wcli}")

	capture_start "$ns" "$iface" "$pcap" "ip proto $proto" || return 1
	fifo=$(ready_fifo "${pcap##*/}.ready")
	need_bin closer
	ip netns exec "$sns" "$SELFTESTS/closer" server $verbose -P "$proto" -a "$addr" -R "$fifo" \
		"${SERVER[@]}" >"$pcap.srv" 2>&1 &
	spid=$!
	if port=$(read_ready "$fifo" 20 "$spid"); then
		ip netns exec "$cns" "$SELFTESTS/closer" client $verbose -P "$proto" -a "$addr" -p "$port" \
			"${CLIENT[@]}" >"$pcap.cli" 2>&1 &
		cpid=$!
		if [ -n "$sync" ] && read_ready "$wsrv" 20 "$spid" >/dev/null &&
			read_ready "$wcli" 20 "$cpid" >/dev/null; then
			kill -USR1 "$spid" "$cpid"
		fi
		wait "$cpid" || crc=$?
	else
		crc=1
	fi
	wait "$spid" || src=$?
	capture_stop "$marker"
	if [ "$TOPO" = veth ]; then netns_destroy "$NS_A" "$NS_B"; else netns_destroy "$NS_LO"; fi
	[ $src = 0 ] && [ $crc = 0 ]
}

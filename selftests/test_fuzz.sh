#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_fuzz.sh - selftests/progs/fuzz floods the listeners and connections of a
# namespace with random and mutated segments and with ICMP errors about
# them (issue 5, SPEC section 7), then checks that the connections it had to
# leave alive still carry data byte for byte, that the drop counters moved,
# that ICMP errors outside the window were counted (OutOfWindowIcmps), that
# the kernel logged nothing, that every socket goes, and that the module
# unloads cleanly.
#
#   FUZZ_SEED=N    the seed (default 5961); printed, so that a failure can
#                  be replayed with the same one
#   FUZZ_COUNT=N   segments (default 150000; at least 100000 are asserted
#                  unless FUZZ_COUNT is lower)
#   FUZZ_BYTES=N   bytes each way over each protected connection afterwards
#   FUZZ_PCAP=FILE record every frame the fuzzer sent and saw
#   FUZZ_ARGS=...  more options for `fuzz flood` (-v, -U: see progs/fuzz-main.c)
#
# Three namespaces:
#
#   fuzzer                      dut                              peer
#   (no address, AF_PACKET,     10.253.1.1 fzd    fzc 10.253.2.1
#   like selftests/peer) fzf <--veth-->    [ sockets ]   <--veth--> fzk 10.253.2.2
#
# In the dut: the sink listens on 8080 (it accepts and serves the fuzzer's
# own connections, see progs/fuzz-main.c) and 8081 (most of the SYN flood), and two
# protected connections live between the dut and the peer namespace, one
# accepted (peer 40001 -> dut 9000, whose listener stays open and never
# accepts again) and one connected (dut 40002 -> peer 9001).  The fuzzer
# sends from spoofed sources (10.253.128.0/17, routed back to it) and, at
# the protected connections, as the peer; it watches those on the peer's
# veth to aim at their windows.  About one frame in twelve is an ICMP
# message (every type and code, quoting the fuzzer's connections, request
# socks and TIME_WAIT tuples, the protected connections, the listeners,
# with the quoted seq in and out of their windows, quotes cut short or
# mangled).  progs/fuzz-main.c says what it sends, and why the protected
# connections must survive it (Linux's TCP does: ATCP_PROTO=6 floods it
# instead and skips the module's checks); progs/fuzz-gen.c sends it, and
# progs/fuzz-oracle.c judges.
#
# Runs among the first tests (FIRST_PROGS in selftests/Makefile): it
# unloads the module, so no other test's socket may be alive.  It loads the
# module again at the end.  Every process costs under QEMU TCG, so
# this script starts few: one `ip` per namespace, and fuzz -N NETNS for
# everything that runs in one.
. "$(dirname "$0")/lib/common.sh"
. "$SELFTESTS/lib/netns.sh"
. "$SELFTESTS/lib/module.sh"

need_root
need_cmd ip
need_bin fuzz

SEED=${FUZZ_SEED:-5961}
COUNT=${FUZZ_COUNT:-150000}
BYTES=${FUZZ_BYTES:-1048576}
MIN=100000
[ "$COUNT" -ge $MIN ] || MIN=$COUNT
FUZZ=$SELFTESTS/progs/fuzz
ko=$REPO/module/atcp.ko
if [ "$PROTO" = 253 ]; then atcp=1; else atcp=; fi

DUT_MAC=02:00:0a:fd:01:01
FUZZ_MAC=02:00:0a:fd:01:02
DUT_IP=10.253.1.1
DUT_IP2=10.253.2.1
PEER_IP=10.253.2.2
P1=$PEER_IP:40001,$DUT_IP2:9000	# accepted by the dut
P2=$PEER_IP:9001,$DUT_IP2:40002	# connected by the dut

# The kernel log lines that mean trouble (as selftests/run_tests has them).

tap_plan 16
tap_diag "seed $SEED, $COUNT segments, protocol $PROTO (replay: FUZZ_SEED=$SEED FUZZ_COUNT=$COUNT selftests/run_tests test_fuzz.sh)"

[ -z "$atcp" ] || module_load_or_skip "$ko"
kmsg_mark test_fuzz

# --- the namespaces --------------------------------------------------------
_netns_tag
NS_D=atcp-fzd-$NETNS_TAG
NS_C=atcp-fzc-$NETNS_TAG
NS_F=atcp-fzf-$NETNS_TAG
IF_D=fzd$NETNS_TAG
IF_F=fzf$NETNS_TAG
IF_DC=fzc$NETNS_TAG
IF_C=fzk$NETNS_TAG

setup() {
	local ns
	cleanup_push "netns_destroy '$NS_D' '$NS_C' '$NS_F'"
	ip -batch - <<-EOF || return 1
		netns add $NS_D
		netns add $NS_C
		netns add $NS_F
	EOF
	for ns in "$NS_D" "$NS_C" "$NS_F"; do
		"$FUZZ" -N "$ns" sysctl -q net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
	done
	# Spoofed sources and the peer's address arrive on the fuzzer's veth;
	# short timers, so that every socket goes within the test.
	if [ -n "$atcp" ]; then
		set -- net.atcp.tw_timeout=1 net.atcp.fin_timeout=1 net.atcp.synack_retries=1 \
			net.atcp.orphan_retries=1
	else
		set -- net.ipv4.tcp_fin_timeout=1 net.ipv4.tcp_synack_retries=1 \
			net.ipv4.tcp_orphan_retries=1
	fi
	"$FUZZ" -N "$NS_D" sysctl net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 "$@" || return 1
	"$FUZZ" -N "$NS_C" sysctl "$@" || return 1
	ip -batch - <<-EOF || return 1
		link add $IF_D address $DUT_MAC netns $NS_D type veth peer name $IF_F address $FUZZ_MAC netns $NS_F
		link add $IF_DC netns $NS_D type veth peer name $IF_C netns $NS_C
	EOF
	ip -n "$NS_D" -batch - <<-EOF || return 1
		link set lo up
		addr add $DUT_IP/24 dev $IF_D
		addr add $DUT_IP2/24 dev $IF_DC
		link set $IF_D up
		link set $IF_DC up
		neigh replace 10.253.1.2 lladdr $FUZZ_MAC dev $IF_D nud permanent
		route add 10.253.128.0/17 via 10.253.1.2 dev $IF_D
	EOF
	ip -n "$NS_C" -batch - <<-EOF || return 1
		link set lo up
		addr add $PEER_IP/24 dev $IF_C
		link set $IF_C up
	EOF
	ip -n "$NS_F" -batch - <<-EOF || return 1
		link set lo up
		link set $IF_F up
	EOF
	wait_for 10 links_up
}
links_up() {
	local line n=0
	while read -r line; do
		case $line in *"$IF_D@"*"state UP"* | *"$IF_DC@"*"state UP"*) n=$((n + 1)) ;; esac
	done < <(ip -n "$NS_D" -o link show)
	[ $n = 2 ]
}
t0=$SECONDS
setup
tap_ok $? "three namespaces: fuzzer, dut ($DUT_IP, $DUT_IP2), peer ($PEER_IP)" ||
	tap_done

# --- the fuzzer, the sink, the protected connections -----------------------
start() {	# start NAME NETNS ARGS...: output in $T/NAME.out, pid in START_PID
	local name=$1 ns=$2
	shift 2
	"$FUZZ" -N "$ns" "$@" >"$T/$name.out" 2>&1 &
	START_PID=$!
	cleanup_push "kill -9 $START_PID"
}
show() {
	tap_diag "$(<"$T/$1.out")"
}

f_fuzz=$(ready_fifo fuzz.ready)
args=(-s "$SEED" -n "$COUNT" -P "$PROTO" -f "$NS_F:$IF_F" -c "$NS_C:$IF_C" -o "$NS_D:$IF_D"
	-m "$DUT_MAC" -d "$DUT_IP" -l 8080 -l 8081 -l 9000 -p "$P1" -p "$P2" -R "$f_fuzz")
[ -z "${FUZZ_PCAP:-}" ] || args+=(-w "$FUZZ_PCAP")
# shellcheck disable=SC2206 # options, split on purpose
[ -z "${FUZZ_ARGS:-}" ] || args+=($FUZZ_ARGS)
start fuzz - flood "${args[@]}"
fuzz_pid=$START_PID
ok=0
read_ready "$f_fuzz" 60 "$fuzz_pid" >/dev/null || ok=1

f_sink=$(ready_fifo sink.ready)
start sink "$NS_D" sink -P "$PROTO" -p 8080,8081 -R "$f_sink"
sink_pid=$START_PID
read_ready "$f_sink" 60 "$sink_pid" >/dev/null || ok=1

# name, namespace, role, local, remote: servers first (clients retry).
holds=("s1 $NS_D server $DUT_IP2:9000 $PEER_IP:40001" "s2 $NS_C server $PEER_IP:9001 $DUT_IP2:40002"
	"c1 $NS_C client $PEER_IP:40001 $DUT_IP2:9000" "c2 $NS_D client $DUT_IP2:40002 $PEER_IP:9001")
# The holds outlive the flood and the transfers after it; the flood is
# slow on a debug kernel, so their limit follows run_tests' timeout.
hold_secs=$((${ATCP_TEST_TIMEOUT:-300} - 50))
declare -A hold_pid hold_fifo
for h in "${holds[@]}"; do
	read -r name ns role l e <<<"$h"
	hold_fifo[$name]=$(ready_fifo "$name.ready")
	start "$name" "$ns" hold "$role" -P "$PROTO" -l "$l" -e "$e" -n "$BYTES" -s "$SEED" \
		-t "$hold_secs" -R "${hold_fifo[$name]}"
	hold_pid[$name]=$START_PID
done
for name in s1 s2 c1 c2; do
	if ! read_ready "${hold_fifo[$name]}" 60 "${hold_pid[$name]}" >/dev/null; then
		ok=1
		show "$name"
	fi
done
[ $ok = 0 ] || show fuzz
tap_ok $ok "fuzzer watching, sink on 8080 and 8081, protected connections $P1 and $P2 established" ||
	tap_done

# --- the flood -------------------------------------------------------------
t1=$SECONDS
kill -USR1 "$fuzz_pid"
rc=0
wait "$fuzz_pid" || rc=$?
t2=$SECONDS
show fuzz
sent=0 rate='?' todut=0 stuck='?'
declare -A delta
while IFS= read -r line; do
	read -r -a w <<<"$line"
	case $line in
	"fuzz: sent "[0-9]*) sent=${w[2]} ;;
	"fuzz: rate "[0-9]*) rate=${w[2]} ;;
	"fuzz: to-dut "[0-9]*) todut=${w[2]} ;;
	"fuzz: stuck "[0-9]*) stuck=${w[2]} ;;
	"fuzz: the dut's counters during the flood:"*)
		for kv in "${w[@]}"; do
			[[ $kv == *=* ]] && delta[${kv%%=*}]=${kv#*=}
		done
		;;
	esac
done <"$T/fuzz.out"
{ [ "$rc" = 0 ] || [ "$rc" = 4 ]; } && [ "$sent" -ge $MIN ]
tap_ok $? "fuzzer: $sent segments at $rate/s, protected connections intact, the dut sent nothing malformed (exit $rc, seed $SEED)"
[ "$stuck" = 0 ]
tap_ok $? "after the flood no socket of the dut holds unacknowledged data or FIN without a timer (stuck: $stuck)"

if [ -n "$atcp" ]; then
	in=${delta[InSegs]:-0}
	[ "$in" -ge "$todut" ]
	tap_ok $? "InSegs grew by $in during the flood, at least the $todut segments the fuzzer addressed to the dut correctly"
	bad=''
	for c in DropShortHeader DropBadDataOffset DropBadChecksum DropBadOptions DropNoSocket \
		DropBadFlags DropOutOfWindow DropBadAck ChallengeACKs; do
		[ "${delta[$c]:-0}" -gt 0 ] || bad+=" $c"
	done
	[ -z "$bad" ]
	tap_ok $? "the drop counters moved${bad:+ (not:$bad)}"
else
	tap_skip "InSegs: atcp's counter"
	tap_skip "drop counters: atcp's"
fi
# atcp_stat's, or TcpExt's for Linux's TCP (the same name)
oow=${delta[OutOfWindowIcmps]:-0}
[ "$oow" -gt 0 ]
tap_ok $? "OutOfWindowIcmps grew by $oow during the flood: ICMP errors quoting a sequence number outside [SND.UNA, SND.NXT] were counted"

# --- the protected connections carry data ----------------------------------
hexep() {	# hexep IP:PORT: as /proc/net/tcp prints it
	local ip=${1%:*} port=${1##*:} a b c d
	IFS=. read -r a b c d <<<"$ip"
	printf '%02X%02X%02X%02X:%04X' "$d" "$c" "$b" "$a" "$port"
}
f=/proc/self/net/atcp
[ -n "$atcp" ] || f=/proc/self/net/tcp
"$FUZZ" -N "$NS_D" cat "$f" >"$T/sockets"
state_of() {	# state_of LOCAL REMOTE: the dut's socket's state (hex), or none
	local l r _sl loc rem st _rest
	l=$(hexep "$1")
	r=$(hexep "$2")
	while read -r _sl loc rem st _rest; do
		[ "$loc $rem" = "$l $r" ] && { echo "$st"; return; }
	done <"$T/sockets"
	echo none
}
s1=$(state_of $DUT_IP2:9000 $PEER_IP:40001)
s2=$(state_of $DUT_IP2:40002 $PEER_IP:9001)
[ "$s1" = 01 ] && [ "$s2" = 01 ]
tap_ok $? "after the flood both protected connections are ESTABLISHED in the dut (state $s1, $s2)"

for name in s1 s2 c1 c2; do
	kill -USR1 "${hold_pid[$name]}" 2>/dev/null
done
declare -A hold_rc tx rx
for name in s1 s2 c1 c2; do
	hold_rc[$name]=0
	wait "${hold_pid[$name]}" || hold_rc[$name]=$?
	# "hold ROLE: tx N bytes hash H, rx N bytes hash H, ..."
	read -r -a w <"$T/$name.out"
	tx[$name]=${w[6]%,}
	rx[$name]=${w[11]%,}
done
for n in 1 2; do
	p=P$n
	show "s$n"
	show "c$n"
	[ "${hold_rc[s$n]}" = 0 ] && [ "${hold_rc[c$n]}" = 0 ] && [ -n "${tx[s$n]}" ] &&
		[ "${tx[s$n]}" = "${rx[c$n]}" ] && [ "${tx[c$n]}" = "${rx[s$n]}" ]
	tap_ok $? "protected connection ${!p}: $BYTES bytes each way after the flood, every byte checked"
done

t3=$SECONDS
kill -TERM "$sink_pid"
rc=0
wait "$sink_pid" || rc=$?
show sink
tap_ok $rc "the sink served the fuzzer's connections and closed them all (exit $rc)"

# --- nothing left ----------------------------------------------------------
left=0
if [ -n "$atcp" ]; then
	# (Orphans of the flood may have RTOs of seconds: it acks late.)
	"$FUZZ" wait-empty -P "$PROTO" -t 60 "$NS_D" "$NS_C" >"$T/left.out" 2>&1 || left=1
	[ ! -s "$T/left.out" ] || show left
	tap_ok $left "after the timers no socket, request sock or TIME_WAIT is left in the dut or the peer"
else
	tap_skip "Linux TCP's TIME_WAIT lasts 60 s"
fi
t4=$SECONDS
tap_diag "seconds: setup and connections $((t1 - t0)), flood $((t2 - t1)), transfers $((t3 - t2)), sockets gone $((t4 - t3))"

tap_kernel_clean

netns_destroy "$NS_F" "$NS_C" "$NS_D"
if [ -z "$atcp" ]; then
	tap_skip "rmmod: the module's"
	tap_skip "slab caches: the module's"
	tap_skip "insmod: the module's"
	tap_done
fi
# A socket left behind keeps its reference: no use waiting long then.
if [ $left = 0 ]; then wait_for 30 module_refcnt_zero; else wait_for 3 module_refcnt_zero; fi
module_unload
[ $UNLOAD_RC = 0 ] || tap_diag "refcnt $(</sys/module/atcp/refcnt)"
! module_loaded
tap_ok $? "rmmod succeeds (exit $UNLOAD_RC)"
tap_unload_clean
# (Still loaded if rmmod failed: the tests that follow can run.)
tap_module_reloaded "$ko"

tap_done

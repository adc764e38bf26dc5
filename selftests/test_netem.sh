#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_netem.sh - bulk transfers over a lossy, slow, reordering, duplicating
# and corrupting link (tc netem on the veth between two namespaces), over
# atcp and over Linux TCP in the same VM.
#
# The matrix (netem on the egress of each end that is named):
#   loss 1%                 both directions
#   loss 5%                 both directions
#   loss 10% data only      two one-way runs, A->B and B->A, each with the
#                           loss on the data direction only (ACKs get through)
#   delay 20ms jitter 10ms  both directions; the jitter reorders segments
#   duplicate 5%            both directions
#   corrupt 1%              both directions (one bit flipped per hit)
# Each run moves $ATCP_NETEM_BYTES (default 2 MiB) from the client (ns A) to
# the server (ns B), then the same amount back (after the client's SHUT_WR),
# except the one-way runs.
#
# Asserted, per case and per protocol: the run completes within
# $ATCP_NETEM_DEADLINE seconds (default 60) with both ends exiting 0 (xfer
# checked every byte against the stream it expects, and the EOF right after
# it), and the sha256 of what each end sent equals the sha256 of what the
# other end received (sha256sum over copies both ends wrote), each stream
# being exactly the size sent.  Nothing is timed: the times of atcp and of
# Linux TCP (xfer -T, the client's connect() to close()) and their ratio are
# printed as diagnostics, with atcp's retransmission counters from
# /proc/net/atcp_stat and Linux TCP's RetransSegs from /proc/net/snmp (the
# change over the run, per namespace).
#
# A run that does not complete has its sockets (/proc/net/atcp, or ss for
# TCP) shown 5 s before its deadline, and the next case gets new
# namespaces (its sockets may linger).  All runs share a budget of
# $ATCP_NETEM_BUDGET seconds (default: run_tests' timeout less 30 s, 270
# under make check, 1170 under check-debug, whose kernel is slower): a run gets
# what is left of it if that is less than the deadline, and once it is spent
# the remaining runs fail as not run.
#
# atcp is $ATCP_PROTO (default 253); the reference is always Linux TCP (6).
# To reproduce one case, or to repeat the matrix:
#   ATCP_NETEM_CASES='loss 5%' ATCP_NETEM_ROUNDS=5 ATCP_NETEM_BUDGET=900 \
#   ATCP_TEST_TIMEOUT=1000 scripts/vm-run -- selftests/run_tests test_netem.sh
# (ATCP_NETEM_CASES is an extended regex matched against the case names.)
# Each external command costs a fair fraction of a second under TCG, so this
# script runs few of them: one namespace pair for all the cases, the netem
# qdiscs replaced between cases, the counters parsed in bash.

. "$(dirname "$0")/lib/common.sh"
. "$SELFTESTS/lib/netns.sh"

need_root
need_cmd ip tc sha256sum stat
need_bin xfer
XFER="$SELFTESTS/progs/xfer"
SIZE=${ATCP_NETEM_BYTES:-$((2 << 20))}
DEADLINE=${ATCP_NETEM_DEADLINE:-60}
BUDGET=${ATCP_NETEM_BUDGET:-$((${ATCP_TEST_TIMEOUT:-300} - 30))}
ROUNDS=${ATCP_NETEM_ROUNDS:-1}
ONLY=${ATCP_NETEM_CASES:-}
REF=6

# Name|A-egress netem|B-egress netem|mode.  Mode: both (A->B, then B->A),
# ab (A->B only), ba (B->A only: the client is in B).  "-": no netem.
CASES=(
	"loss 1%|loss 1%|loss 1%|both"
	"loss 5%|loss 5%|loss 5%|both"
	"loss 10% data only, A->B|loss 10%|-|ab"
	"loss 10% data only, B->A|-|loss 10%|ba"
	"delay 20ms jitter 10ms|delay 20ms 10ms|delay 20ms 10ms|both"
	"duplicate 5%|duplicate 5%|duplicate 5%|both"
	"corrupt 1%|corrupt 1%|corrupt 1%|both"
)
# atcp's counters printed per run ("-" for one this atcp does not have).
ATCP_COUNTERS=(RetransSegs RtoFires FastRetrans OfoQueued DropBadChecksum)

if [ -n "$ONLY" ]; then
	sel=()
	for c in "${CASES[@]}"; do
		if [[ ${c%%|*} =~ $ONLY ]]; then sel+=("$c"); fi
	done
	[ ${#sel[@]} -gt 0 ] || tap_skip_all "no case matches ATCP_NETEM_CASES='$ONLY'"
	CASES=("${sel[@]}")
fi

tap_plan $((${#CASES[@]} * ROUNDS * 2 * 2))
tap_diag "atcp = protocol $PROTO ($PROTO_NAME), reference = tcp ($REF);" \
	"$SIZE bytes per direction, deadline ${DEADLINE}s per run, budget ${BUDGET}s"
BUDGET_END=$((SECONDS + BUDGET))

# snap NS FILE: the counters of NS (atcp's, then Linux's SNMP) to FILE.
snap() {
	in_ns "$1" cat /proc/net/atcp_stat /proc/net/snmp >"$2" 2>/dev/null
}

# snap_load FILE: CNT[name]=value from a snap, Linux's TCP counters as
# CNT[Tcp.name].
declare -A CNT
snap_load() {
	local k v i hdr=() vals=()
	CNT=()
	while read -r k v; do
		case $k in
		Tcp:)
			if [ ${#hdr[@]} = 0 ]; then
				read -ra hdr <<<"$v"
			else
				read -ra vals <<<"$v"
				for i in "${!hdr[@]}"; do CNT[Tcp.${hdr[$i]}]=${vals[$i]}; done
			fi
			;;
		*:) ;;
		*) CNT[$k]=$v ;;
		esac
	done <"$1"
}

# snap_delta BEFORE AFTER NAME...: "NAME d, ..." (the change of each).
snap_delta() {
	local before=$1 after=$2 n out=''
	shift 2
	declare -A b
	snap_load "$before"
	for n in "$@"; do b[$n]=${CNT[$n]:-}; done
	snap_load "$after"
	for n in "$@"; do
		if [ -n "${CNT[$n]:-}" ] && [ -n "${b[$n]}" ]; then
			out+="${out:+, }${n#Tcp.} $((CNT[$n] - b[$n]))"
		else
			out+="${out:+, }${n#Tcp.} -"
		fi
	done
	printf '%s\n' "$out"
}

# sockets PROTO NS WHO: the connections in NS, for a run that stalls.
sockets() {
	echo "$3's sockets at $(date +%T):"
	if [ "$1" = "$REF" ]; then
		in_ns "$2" ss -tinm state all
	else
		in_ns "$2" cat /proc/net/atcp
	fi
}

# secs SECS: "1.234 s", or FAILED if empty
secs() {
	if [ -n "$1" ]; then echo "$1 s"; else echo FAILED; fi
}

# ms SECS: "1.234" -> 1234
ms() {
	local s=${1%.*} f=${1#*.}000
	echo $((10#$s * 1000 + 10#${f:0:3}))
}

# xfer_run CASE PROTO LABEL SNS CNS ADDR MODE: one run, two TAP results.
# Sets RUN_OK (1 if it completed and verified), RUN_TIME (the client's
# seconds, empty unless RUN_OK) and RUN_STATS (counters).
xfer_run() {
	local name=$1 proto=$2 label=$3 sns=$4 cns=$5 addr=$6 mode=$7
	local f="$T/run" fifo port spid wpid src=0 crc=0 dl sopts=() copts=()
	RUN_OK='' RUN_TIME='' RUN_STATS=''
	rm -f "$f".*
	dl=$((BUDGET_END - SECONDS))
	if [ $dl -lt 10 ]; then
		tap_ok 1 "$name, $label: not run: the ${BUDGET}s budget is spent (earlier runs were slow or stalled)"
		tap_ok 1 "$name, $label: sha256 (not run)"
		return
	fi
	[ $dl -le "$DEADLINE" ] || dl=$DEADLINE
	if [ "$mode" != both ]; then
		sopts=(-r none)
		copts=(-x none)
	fi
	snap "$cns" "$f.c0"
	snap "$sns" "$f.s0"

	# Shortly before the deadline, what the sockets look like.
	(
		sleep $((dl - 5))
		sockets "$proto" "$sns" server
		sockets "$proto" "$cns" client
	) >"$f.snap" 2>&1 &
	wpid=$!
	fifo=$(ready_fifo netem.ready)
	in_ns "$sns" "$XFER" server -P "$proto" -q -T -t "$dl" -a "$addr" \
		-n "$SIZE" -R "$fifo" -o "$f.srx" -O "$f.stx" "${sopts[@]}" \
		>"$f.srv" 2>&1 &
	spid=$!
	cleanup_push "kill $spid"
	if ! port=$(read_ready "$fifo" 15 "$spid"); then
		kill "$spid" "$wpid" 2>/dev/null
		wait "$spid" "$wpid" 2>/dev/null
		tap_diag "$(cat "$f.srv")"
		tap_ok 1 "$name, $label: server never became ready"
		tap_ok 1 "$name, $label: sha256 (no run)"
		return
	fi
	in_ns "$cns" "$XFER" client -P "$proto" -q -T -t "$dl" -a "$addr" \
		-p "$port" -n "$SIZE" -o "$f.crx" -O "$f.ctx" "${copts[@]}" \
		>"$f.cli" 2>&1 || crc=$?
	wait "$spid" || src=$?
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null

	snap "$cns" "$f.c1"
	snap "$sns" "$f.s1"
	if [ "$proto" = "$REF" ]; then
		RUN_STATS="client $(snap_delta "$f.c0" "$f.c1" Tcp.RetransSegs); server $(snap_delta "$f.s0" "$f.s1" Tcp.RetransSegs)"
	else
		RUN_STATS="client $(snap_delta "$f.c0" "$f.c1" "${ATCP_COUNTERS[@]}"); server $(snap_delta "$f.s0" "$f.s1" "${ATCP_COUNTERS[@]}")"
	fi

	if [ $src != 0 ] || [ $crc != 0 ]; then
		tap_diag "$(cat "$f.srv" "$f.cli")"
		[ ! -s "$f.snap" ] || tap_diag "$(cat "$f.snap")"
		tap_diag "counters: $RUN_STATS"
	fi
	tap_ok $((src | crc)) "$name, $label: completes within ${dl}s, both ends verified every byte (server exit $src, client exit $crc)"

	# Each direction: the sender's copy against the receiver's, sha256
	# and length.  (Copies are written as the bytes go, so after a
	# timeout they hold what had been sent and received.)
	local -A sha len
	local h p n want_back=$SIZE bad=0 what
	[ "$mode" = both ] || want_back=0
	while read -r h p; do sha[${p##*.}]=$h; done < <(sha256sum "$f.ctx" "$f.srx" "$f.stx" "$f.crx" 2>/dev/null)
	while read -r n p; do len[${p##*.}]=$n; done < <(stat -c '%s %n' "$f.ctx" "$f.srx" "$f.stx" "$f.crx" 2>/dev/null)
	if [ -z "${sha[ctx]:-}" ] || [ "${sha[ctx]}" != "${sha[srx]:-}" ] ||
		[ "${len[ctx]:-}" != "$SIZE" ] || [ "${len[srx]:-}" != "$SIZE" ]; then
		bad=1
		tap_diag "$name, $label: client->server: sent ${len[ctx]:-?} bytes sha256 ${sha[ctx]:-?}, received ${len[srx]:-?} bytes sha256 ${sha[srx]:-?}"
	fi
	if [ -z "${sha[stx]:-}" ] || [ "${sha[stx]}" != "${sha[crx]:-}" ] ||
		[ "${len[stx]:-}" != "$want_back" ] || [ "${len[crx]:-}" != "$want_back" ]; then
		bad=1
		tap_diag "$name, $label: server->client: sent ${len[stx]:-?} bytes sha256 ${sha[stx]:-?}, received ${len[crx]:-?} bytes sha256 ${sha[crx]:-?}"
	fi
	if [ "$mode" = both ]; then
		what="sha256 of both directions ($SIZE bytes each) equal at both ends"
	elif [ "$mode" = ba ]; then
		what="sha256 of B->A ($SIZE bytes) equal at both ends, nothing the other way"
	else
		what="sha256 of A->B ($SIZE bytes) equal at both ends, nothing the other way"
	fi
	tap_ok $bad "$name, $label: $what"

	if [ $((src | crc | bad)) = 0 ]; then
		RUN_OK=1
		local line
		while read -r line; do
			case $line in "client: time "*" s") RUN_TIME=${line#client: time } RUN_TIME=${RUN_TIME% s} ;; esac
		done <"$f.cli"
	fi
	rm -f "$f.srx" "$f.stx" "$f.crx" "$f.ctx"
}

# set_netem NS DEV ARGS: ARGS as the root qdisc of DEV ("-": none).
set_netem() {
	if [ "$3" = - ]; then
		tc -n "$1" qdisc del dev "$2" root 2>/dev/null || true
		return 0
	fi
	# shellcheck disable=SC2086 # netem's arguments are words
	tc -n "$1" qdisc replace dev "$2" root netem $3 2>>"$T/tc.err" && return 0
	# No netem?  Its module may need loading by hand.
	modprobe sch_netem 2>>"$T/tc.err"
	# shellcheck disable=SC2086
	tc -n "$1" qdisc replace dev "$2" root netem $3 2>>"$T/tc.err"
}

have_pair=''
for ((round = 1; round <= ROUNDS; round++)); do
	for c in "${CASES[@]}"; do
		IFS='|' read -r name na nb mode <<<"$c"
		[ "$ROUNDS" = 1 ] || name="$name (round $round)"
		if [ -z "$have_pair" ]; then
			if ! netns_pair_create; then
				for _ in 1 2 3 4; do tap_ok 1 "$name: could not create the namespaces"; done
				continue
			fi
			have_pair=1
		fi
		: >"$T/tc.err"
		if ! set_netem "$NS_A" "$VETH_A" "$na" || ! set_netem "$NS_B" "$VETH_B" "$nb"; then
			tap_diag "$(cat "$T/tc.err")"
			for _ in 1 2 3 4; do tap_ok 1 "$name: tc qdisc replace ... netem failed"; done
			continue
		fi
		if [ "$mode" = ba ]; then
			sns=$NS_A cns=$NS_B addr=$ADDR_A
		else
			sns=$NS_B cns=$NS_A addr=$ADDR_B
		fi

		xfer_run "$name" "$PROTO" "$PROTO_NAME" "$sns" "$cns" "$addr" "$mode"
		ok_atcp=$RUN_OK t_atcp=$RUN_TIME s_atcp=$RUN_STATS
		xfer_run "$name" "$REF" tcp "$sns" "$cns" "$addr" "$mode"
		ok_tcp=$RUN_OK t_tcp=$RUN_TIME s_tcp=$RUN_STATS
		if [ -z "$ok_atcp" ] || [ -z "$ok_tcp" ]; then
			# Whatever is stuck stays out of the next case.
			netns_destroy "$NS_A" "$NS_B"
			have_pair=''
		fi

		ratio=-
		if [ -n "$t_atcp" ] && [ -n "$t_tcp" ] && [ "$(ms "$t_tcp")" -gt 0 ]; then
			r=$(((20 * $(ms "$t_atcp") / $(ms "$t_tcp") + 1) / 2))
			ratio=$((r / 10)).$((r % 10))
		fi
		tap_diag "netem $name: $PROTO_NAME $(secs "$t_atcp"), tcp $(secs "$t_tcp"), ratio $ratio"
		tap_diag "  $PROTO_NAME: ${s_atcp:-no counters}"
		tap_diag "  tcp: ${s_tcp:-no counters}"
	done
done

tap_done

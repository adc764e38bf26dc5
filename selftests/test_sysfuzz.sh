#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_sysfuzz.sh - selftests/progs/sysfuzz makes random socket calls on atcp
# sockets from several threads sharing their descriptors (see sysfuzz.c),
# over loopback and a veth pair between two namespaces, to addresses that
# answer and to ones that do not.  Then: no call hung, every errno was one
# the call may return, the values returned were sane, known options given
# bad pointers failed with EFAULT, the differential probes gave what Linux's
# TCP gives, the kernel logged nothing, every atcp socket goes once the
# process has exited (all but TIME_WAIT first, then those), and the module
# unloads with nothing left in its slab caches.
#
#   SYSFUZZ_SEED=N     the seed (default 9293); printed, with the command
#                      that replays it
#   SYSFUZZ_SECONDS=N  how long it runs (default 35; under a run_tests
#                      timeout above 300 s, a quarter of it)
#   SYSFUZZ_THREADS=N  threads (default 6)
#   SYSFUZZ_ARGS=...   more options for sysfuzz (-v, -d, -T, -w: see sysfuzz.c)
#
# With ATCP_PROTO=6 every socket is Linux's TCP, which validates the
# fuzzer's expectations; the module's checks are skipped then.
#
# Runs among the first tests (FIRST_PROGS in selftests/Makefile): it
# unloads the module, so no other test's socket may be alive.  It loads the
# module again at the end.
. "$(dirname "$0")/lib/common.sh"
. "$SELFTESTS/lib/netns.sh"
. "$SELFTESTS/lib/module.sh"

need_root
need_cmd ip
need_bin sysfuzz

BUDGET=${ATCP_TEST_TIMEOUT:-300}
SEED=${SYSFUZZ_SEED:-9293}
if [ "$BUDGET" -gt 300 ]; then SECS=$((BUDGET / 4)); else SECS=35; fi
SECS=${SYSFUZZ_SECONDS:-$SECS}
THREADS=${SYSFUZZ_THREADS:-6}
# A call may take this long (seconds) before it counts as a hang.
HANG=30
[ "$BUDGET" -le 300 ] || HANG=60
ko=$REPO/module/atcp.ko
if [ "$PROTO" = 253 ]; then atcp=1; else atcp=; fi


tap_plan 15

[ -z "$atcp" ] || module_load_or_skip "$ko"
kmsg_mark test_sysfuzz

# --- two namespaces, short timers ------------------------------------------
setup() {
	local ns
	netns_pair_create || return 1
	for ns in "$NS_A" "$NS_B"; do
		if [ -n "$atcp" ]; then
			in_ns "$ns" sysctl -qw net.atcp.tw_timeout=1 net.atcp.fin_timeout=1 \
				net.atcp.syn_retries=2 net.atcp.synack_retries=1 \
				net.atcp.orphan_retries=1 || return 1
		fi
		# Linux's TCP: its sockets in the atcp run, all of them with
		# ATCP_PROTO=6 (its TIME_WAIT stays 60 s).
		in_ns "$ns" sysctl -qw net.ipv4.tcp_fin_timeout=1 net.ipv4.tcp_syn_retries=2 \
			net.ipv4.tcp_synack_retries=1 net.ipv4.tcp_orphan_retries=1 || return 1
	done
}
setup
tap_ok $? "namespaces $NS_A ($ADDR_A) and $NS_B ($ADDR_B), short timers" || tap_done

# Holders: a process in each namespace, whose /proc/PID/net shows it.
declare -A holder
for ns in "$NS_A" "$NS_B"; do
	ip netns exec "$ns" sleep 100000 &
	holder[$ns]=$!
	cleanup_push "kill ${holder[$ns]}"
done

# The kernel's receive timestamps behind a static key that the fuzzer's
# SO_TIMESTAMP* calls turn on and off: each turn rewrites the kernel's code
# while the other CPU runs it, and under QEMU's TCG a CPU can still execute
# the int3 of a finished rewrite (an oops in __netif_receive_skb_core, seen
# on 6.12).  A socket holding SO_TIMESTAMP for the whole run keeps the key
# on, so it is never turned.  (Debian 12's python3 has no
# socket.SO_TIMESTAMP: SO_TIMESTAMP_OLD is 29 on x86.)
"$PYTHON" -c 'import signal, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_TIMESTAMP", 29), 1)
print("held", flush=True)
signal.pause()' >"$T/tstamp.held" 2>&1 &
tstamp_holder=$!
cleanup_push "kill $tstamp_holder"
for _ in $(seq 50); do
	[ -s "$T/tstamp.held" ] && break
	sleep 0.1
done
grep -qx held "$T/tstamp.held" ||
	tap_diag "no socket holds SO_TIMESTAMP: $(tr '\n' ' ' <"$T/tstamp.held")"

# --- the fuzzer -------------------------------------------------------------
args=(-s "$SEED" -t "$SECS" -j "$THREADS" -P "$PROTO" -w "$HANG" -N "$NS_A,$NS_B"
	-a "$ADDR_A" -a "$ADDR_B" -u 10.253.0.99 -a 192.0.2.1)
# shellcheck disable=SC2206 # options, split on purpose
[ -z "${SYSFUZZ_ARGS:-}" ] || args+=($SYSFUZZ_ARGS)
tap_diag "sysfuzz ${args[*]}"
tap_diag "replay: SYSFUZZ_SEED=$SEED SYSFUZZ_SECONDS=$SECS SYSFUZZ_THREADS=$THREADS ATCP_PROTO=$PROTO selftests/run_tests test_sysfuzz.sh"
t0=$SECONDS
"$SELFTESTS/progs/sysfuzz" "${args[@]}" >"$T/sysfuzz.out" 2>&1 &
pid=$!
cleanup_push "kill -9 $pid"
# It ends by itself: SECS, then the calls in progress (bounded by HANG).
deadline=$((SECONDS + SECS + HANG + 60))
while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
	sleep 1
done
stuck=''
if kill -0 "$pid" 2>/dev/null; then
	kill -9 "$pid"
	sleep 5
	# Killed and still there: a thread sleeps in the kernel for good.
	if [ -e "/proc/$pid/stat" ] && [ "$(cut -d ' ' -f 3 "/proc/$pid/stat")" != Z ]; then
		stuck=1
		for t in /proc/"$pid"/task/*; do
			tap_diag "still in the kernel: $t: $(cat "$t/stat" 2>/dev/null)"
			tap_diag "$(cat "$t/stack" 2>/dev/null)"
		done
	fi
	rc=137
	[ -n "$stuck" ] || wait "$pid"
else
	wait "$pid"
	rc=$?
fi
t1=$SECONDS
tap_diag "$(<"$T/sysfuzz.out")"

# "sysfuzz: result calls=N errno=N value=N efault=N diff=N hang=N compared=N seed=N"
declare -A res
read -r -a w < <(grep '^sysfuzz: result ' "$T/sysfuzz.out")
for kv in "${w[@]}"; do
	[[ $kv == *=* ]] && res[${kv%%=*}]=${kv#*=}
done
[ "$rc" -le 3 ] && [ -n "${res[calls]:-}" ] && [ "${res[calls]}" -gt 1000 ]
tap_ok $? "sysfuzz made ${res[calls]:-no} calls in $((t1 - t0)) s and exited by itself, not killed (exit $rc)"
[ "$rc" != 3 ] && [ "${res[hang]:-1}" = 0 ] && [ -z "$stuck" ]
tap_ok $? "no call lasted beyond its bound (signalled after its soft bound, a hang after ${HANG} s)"
tap_is "${res[errno]:-none}" 0 "every errno was one the call may return on a socket"
tap_is "${res[value]:-none}" 0 "every value returned was sane (lengths, addresses, SO_ERROR, poll events)"
tap_is "${res[efault]:-none}" 0 "known options given NULL or unmapped pointers failed with EFAULT, negative lengths with EINVAL"
if [[ " ${SYSFUZZ_ARGS:-} " == *" -d 0 "* ]]; then
	tap_skip "differential probes: -d 0"
else
	[ "${res[diff]:-1}" = 0 ] && [ "${res[compared]:-0}" -gt 0 ]
	tap_ok $? "the ${res[compared]:-0} differential probes gave what Linux's TCP gives (differences: ${res[diff]:-none})"
fi

# --- the kernel -------------------------------------------------------------
tap_kernel_clean

# --- every socket goes ------------------------------------------------------
if [ -n "$atcp" ]; then file=atcp; else file=tcp; fi
# entries [STATE]: the socket lines of both namespaces (but those in STATE).
entries() {
	local ns
	for ns in "$NS_A" "$NS_B"; do
		awk -v ns="$ns" -v skip="${1:-}" 'NR > 1 && $4 != skip { print ns ": " $0 }' \
			"/proc/${holder[$ns]}/net/$file"
	done
}
only_tw() { [ -z "$(entries 06)" ]; }
none() { [ -z "$(entries)" ]; }
if [ -n "$stuck" ]; then
	tap_ok 1 "sockets: the process is stuck in the kernel"
else
	t2=$SECONDS
	wait_for 60 only_tw
	rc=$?
	[ $rc = 0 ] || tap_diag "$(entries 06 | head -40)"
	tap_ok $rc "within $((SECONDS - t2)) s of the exit, no $file socket is left but TIME_WAIT ($(entries | wc -l) entries)"
fi
if [ -n "$atcp" ] && [ -z "$stuck" ]; then
	t2=$SECONDS
	wait_for 30 none
	rc=$?
	[ $rc = 0 ] || tap_diag "$(entries | head -40)"
	tap_ok $rc "within $((SECONDS - t2)) s more, no TIME_WAIT either (tw_timeout=1)"
	n=0
	for ns in "$NS_A" "$NS_B"; do
		n=$((n + $(awk '$1 == "ATCP" { print $3 }' "/proc/${holder[$ns]}/net/protocols")))
	done
	tap_is "$n" 0 "/proc/net/protocols counts no atcp socket in either namespace"
else
	tap_skip "TIME_WAIT: Linux's TCP keeps it 60 s"
	tap_skip "/proc/net/protocols: the module's count"
fi

for ns in "$NS_A" "$NS_B"; do
	kill "${holder[$ns]}" 2>/dev/null
	wait "${holder[$ns]}" 2>/dev/null
done
netns_destroy "$NS_A" "$NS_B"
if [ -z "$atcp" ] || [ -n "$stuck" ]; then
	why="the module's"
	[ -z "$stuck" ] || why="the process is stuck in the kernel"
	tap_skip "refcnt: $why"
	tap_skip "rmmod: $why"
	tap_skip "slab caches: $why"
	tap_skip "insmod: $why"
	tap_done
fi
wait_for 30 module_refcnt_zero
rc=$?
tap_ok $rc "no socket holds the module (refcnt $(cat /sys/module/atcp/refcnt))"
module_unload
tap_ok "$UNLOAD_RC" "rmmod succeeds"
tap_unload_clean
# (Still loaded if rmmod failed: the tests that follow can run.)
tap_module_reloaded "$ko"

tap_done

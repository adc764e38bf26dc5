#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_teardown.sh - tear everything down under load and unload cleanly.
#
# In namespace A: 1,000 connections in TIME_WAIT (selftests/progs/churn, with the
# default 60 s tw_timeout, so they are all still there), and 1,000
# established connections moving data both ways (selftests/loadgen.py).
# In namespace B: 200 more busy connections.  Then:
#   - rmmod is refused while they live, and nothing breaks;
#   - B's name is deleted while its connections are busy, then their
#     process is killed: the namespace goes away with live atcp sockets in
#     it, TIME_WAIT and all;
#   - A's process is killed (every socket closed at once by the exit), A's
#     1,000 TIME_WAIT entries are purged with the namespace;
#   - then no atcp socket holds the module, rmmod succeeds and no slab
#     cache of atcp reports objects left (kmem_cache_destroy complains
#     loudly, and the kernel-log check of run_tests fails the test on any
#     splat; under the debug kernel kmemleak looks too).
# Runs among the first tests (selftests/Makefile): it unloads the module.
. "$(dirname "$0")/lib/common.sh"
. "$SELFTESTS/lib/netns.sh"
. "$SELFTESTS/lib/module.sh"

need_root
need_cmd ip
need_bin churn
if [ "$PROTO" != 253 ]; then
	tap_skip_all "checks the atcp module's teardown"
fi
ko=$REPO/module/atcp.ko

tap_plan 11

stat_of() {
	in_ns "$1" awk -v k="$2" '$1 == k { print $2 }' /proc/net/atcp_stat
}
entries() {
	in_ns "$1" tail -n +2 /proc/net/atcp | wc -l
}
count_state() {
	in_ns "$1" awk -v s="$2" 'NR > 1 && $4 == s' /proc/net/atcp | wc -l
}

netns_lo_create || tap_skip_all "cannot create a namespace"
A=$NS_LO
netns_lo_create || tap_skip_all "cannot create a namespace"
B=$NS_LO

# 1,100 graceful closes (churn ends half its connections gracefully).
in_ns "$A" "$SELFTESTS/progs/churn" -P "$PROTO" -n 2200 -q 0 >"$T/churn.out" 2>&1
tw=$(count_state "$A" 06)
[ "$tw" -ge 1000 ]
tap_ok $? "namespace A: $tw connections in TIME_WAIT"

# start_load NS N NAME: loadgen.py in the background, its pid in LOAD_PID,
# once all N connections have carried data both ways.
start_load() {
	local ns=$1 n=$2 name=$3
	# Started directly: ip netns exec execs python, so $! is python itself.
	ip netns exec "$ns" "$PYTHON" "$SELFTESTS/loadgen.py" -P "$PROTO" -n "$n" \
		>"$T/$name.out" 2>&1 &
	LOAD_PID=$!
	cleanup_push "kill -9 $LOAD_PID"
	wait_for 120 grep -q "^ready $n" "$T/$name.out" || {
		tap_diag "$(tail -5 "$T/$name.out")"
		return 1
	}
}
start_load "$A" 1000 loadA
rc=$?
LOAD_A=$LOAD_PID
tap_ok $rc "namespace A: 1,000 established connections move data both ways"
start_load "$B" 200 loadB
rc=$?
LOAD_B=$LOAD_PID
tap_ok $rc "namespace B: 200 more"

moving() {
	local now
	now=$(stat_of "$A" InSegs)
	[ "$now" -gt "$1" ]
}
segs=$(stat_of "$A" InSegs)
wait_for 10 moving "$segs"
tap_ok $? "data keeps moving (InSegs in A past $segs)"

rmmod atcp 2>/dev/null
rc=$?
[ $rc != 0 ] && grep -q '^atcp ' /proc/modules
tap_ok $? "rmmod is refused while the sockets live (exit $rc)"
segs=$(stat_of "$A" InSegs)
wait_for 10 moving "$segs"
tap_ok $? "and the connections carry on"

# B: the namespace loses its name while its sockets are busy, then their
# process dies; the namespace is freed with them.
netns_destroy "$B"
kill -9 "$LOAD_B"
wait "$LOAD_B" 2>/dev/null
# A: every socket closed at once by the process's exit.
kill -9 "$LOAD_A"
wait "$LOAD_A" 2>/dev/null
established=$(count_state "$A" 01)
tap_is "$established" 0 "A: no connection left established after its process died"
tap_diag "A after the kill: $(entries "$A") entries, $(count_state "$A" 06) in TIME_WAIT; RSTs out $(stat_of "$A" OutRsts)"
netns_destroy "$A"

wait_for 120 module_refcnt_zero
tap_ok $? "no socket holds the module once both namespaces are gone (refcnt $(cat /sys/module/atcp/refcnt))"

module_unload
tap_ok $UNLOAD_RC "rmmod succeeds"
tap_unload_clean

insmod "$ko"
tap_ok $? "insmod again, for the tests that follow"

tap_done

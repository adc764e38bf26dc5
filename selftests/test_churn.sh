#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_churn.sh - 10,000 connections opened and closed over loopback, every
# way a connection can end (selftests/progs/churn.c), then 100 listeners closed
# with connections in their accept queues.  Once the timers have run, the
# namespace holds no socket, TIME_WAIT minisocket or request sock, no
# socket holds the module, and rmmod succeeds with no slab cache left
# holding objects.
#
# Runs second (selftests/Makefile), right after test_module.sh: it unloads
# the module, so nothing of the other tests may be alive.  It loads the
# module again at the end.
. "$(dirname "$0")/lib/common.sh"
. "$SELFTESTS/lib/netns.sh"
. "$SELFTESTS/lib/module.sh"

need_root
need_cmd ip sysctl
need_bin churn
COUNT=${CHURN_COUNT:-10000}
ROUNDS=100		# listeners closed with 8 connections queued (churn.c)
ko=$REPO/module/atcp.ko

if [ "$PROTO" != 253 ]; then
	tap_skip_all "the leak checks are about the atcp module"
fi

tap_plan 11

netns_lo_create || tap_skip_all "cannot create a namespace"
# Short timers, so that TIME_WAIT and orphans go within the test.
in_ns "$NS_LO" sysctl -qw net.atcp.tw_timeout=1 net.atcp.fin_timeout=1
tap_ok $? "tw_timeout=1 fin_timeout=1 in $NS_LO"

rc=0
in_ns "$NS_LO" "$SELFTESTS/progs/churn" -P "$PROTO" -n "$COUNT" -q "$ROUNDS" >"$T/churn.out" 2>&1 || rc=$?
tap_diag "$(cat "$T/churn.out")"
tap_ok $rc "$COUNT connections: every end saw EOF or ECONNRESET as it should (exit $rc)"

# The socket lines of /proc/net/atcp (TIME_WAIT and request socks
# included), without the header.
entries() {
	in_ns "$NS_LO" tail -n +2 /proc/net/atcp
}
no_entries() {
	[ -z "$(entries)" ]
}
# The "sockets" column of /proc/net/protocols: atcp sockets hashed in the
# namespace (listeners and connections).
hashed() {
	in_ns "$NS_LO" awk '$1 == "ATCP" { print $3 }' /proc/net/protocols
}

stat() {
	in_ns "$NS_LO" awk -v k="$1" '$1 == k { print $2 }' /proc/net/atcp_stat
}
# Connections 0 and 1 mod 4 close gracefully: one TIME_WAIT each.
tap_is "$(stat TimeWaitCreated)" $((COUNT / 2)) "TimeWaitCreated: one TIME_WAIT minisocket per graceful close"
tap_is "$(stat ActiveOpens)" $((COUNT + ROUNDS * 8)) "ActiveOpens: every connect() counted"
tap_diag "right after: $(entries | wc -l) entries in /proc/net/atcp"
wait_for 30 no_entries
rc=$?
[ $rc = 0 ] || tap_diag "$(entries | head -20)"
tap_ok $rc "after the timers, /proc/net/atcp lists nothing (no socket, TIME_WAIT or request sock)"

n=$(hashed)
tap_is "$n" 0 "/proc/net/protocols counts no hashed atcp socket"

netns_destroy "$NS_LO"
wait_for 30 module_refcnt_zero
rc=$?
tap_ok $rc "no socket holds the module (refcnt $(cat /sys/module/atcp/refcnt))"

module_unload
tap_ok $UNLOAD_RC "rmmod succeeds"
! module_loaded
tap_ok $? "the module is gone"
tap_unload_clean

insmod "$ko"
tap_ok $? "insmod again, for the tests that follow"

tap_done

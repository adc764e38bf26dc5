#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_sysctl.sh - the net.atcp sysctls refuse bad values and act per
# namespace; connect() fails with ETIMEDOUT after syn_retries.
#
# 1. For each net.atcp sysctl: writing one below its minimum, one above its
#    maximum, or a non-number fails with EINVAL and keeps the old value (as
#    Linux's proc_dointvec_minmax sysctls do: net.ipv4.tcp_syn_retries=0 is
#    checked alongside); a value in range is taken, in that namespace only.
# 2. With net.atcp.syn_retries=N, a connect() whose SYNs are all lost
#    fails with ETIMEDOUT after the SYN and N retransmissions, 1 s apart and
#    doubling (1 + 2 = 3 s for N=1, 1 + 2 + 4 = 7 s for N=2), like Linux TCP
#    with net.ipv4.tcp_syn_retries=N, measured alongside in the same VM.
#    TCP_SYNCNT on the socket overrides the sysctl.  The upper bounds leave
#    room for late timers in a loaded TCG guest; they still tell 1 retry
#    from 2, and either from the default 6 (127 s).  The SYNs go to an
#    address that a permanent neighbour entry sends to a MAC no one has.
. "$(dirname "$0")/lib/common.sh"
. "$SELFTESTS/lib/netns.sh"

need_root
need_cmd ip sysctl
if [ "$PROTO" != 253 ]; then
	tap_skip_all "checks the net.atcp sysctls"
fi

tap_plan 29

# Each line: name min max (the ranges documented in Documentation/sysctl.rst).
# The last line is Linux's own, for comparison.
RANGES="atcp/fin_timeout 1 3600
atcp/tw_timeout 1 3600
atcp/delack_min 1 1000
atcp/delack_max 1 1000
atcp/syn_retries 1 127
atcp/synack_retries 1 127
atcp/rfc1337 0 1
atcp/syncookies 0 2
atcp/keepalive_time 1 32767
atcp/keepalive_intvl 1 32767
atcp/keepalive_probes 1 127
atcp/retries2 1 255
atcp/orphan_retries 1 255
atcp/max_tw_buckets 0 2147483647
atcp/rmem_default 4096 67108864
atcp/wmem_default 4096 67108864
atcp/challenge_ack_limit 0 2147483647
atcp/invalid_ratelimit 0 2147483647
atcp/early_retrans 0 4
atcp/recovery 0 7
atcp/dsack 0 1
atcp/ecn 0 2
atcp/ecn_fallback 0 1
ipv4/tcp_syn_retries 1 127"

netns_lo_create || tap_skip_all "cannot create a namespace"
NS=$NS_LO

# Writes each value with one write(2) and prints what happened, one line
# per sysctl: "name errno-names-or-ok... before=V after=V".
# shellcheck disable=SC2016
in_ns "$NS" "$PYTHON" -c '
import errno, os, sys
for line in sys.stdin:
    name, lo, hi = line.split()
    path = "/proc/sys/net/" + name
    before = open(path).read().strip()
    out = []
    for v in (str(int(lo) - 1), str(int(hi) + 1), "abc"):
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, v.encode())
            out.append("ok")
        except OSError as e:
            out.append(errno.errorcode[e.errno])
        os.close(fd)
    after = open(path).read().strip()
    print(name, " ".join(out), "before=" + before, "after=" + after)
' <<<"$RANGES" >"$T/bad" 2>&1
while read -r name lo hi; do
	line=$(grep "^$name " "$T/bad")
	case $name in ipv4/*) name="Linux, same VM: net.${name/\//.}" ;; *) name=${name#atcp/} ;; esac
	before=$(echo "$line" | sed -n 's/.* before=\([0-9]*\) .*/\1/p')
	if [ "${line#* }" = "EINVAL EINVAL EINVAL before=$before after=$before" ] &&
		[ -n "$before" ]; then
		tap_ok 0 "$name: $((lo - 1)), $((hi + 1)) and 'abc' fail with EINVAL, the value stays $before"
	else
		tap_ok 1 "$name: bad writes: got '$line'"
	fi
done <<<"$RANGES"

# A value in range is taken in its namespace only.
netns_lo_create || tap_skip_all "cannot create a namespace"
other=$(in_ns "$NS_LO" sysctl -n net.atcp.tw_timeout)
in_ns "$NS" sysctl -qw net.atcp.tw_timeout=7
tap_is "$(in_ns "$NS" sysctl -n net.atcp.tw_timeout)/$(in_ns "$NS_LO" sysctl -n net.atcp.tw_timeout)" \
	"7/$other" "tw_timeout=7 in one namespace leaves the other at $other"

# 2. ETIMEDOUT after syn_retries.
netns_pair_create || tap_skip_all "cannot create namespaces"
LOST=10.253.0.99
ip -n "$NS_A" neigh add "$LOST" lladdr 02:00:00:00:00:99 dev "$VETH_A" nud permanent

# timed_connect PROTO SYNCNT: connect() to $LOST; prints "ERRNO SECONDS".
# SYNCNT 0: the namespace's sysctl decides.
timed_connect() {
	in_ns "$NS_A" "$PYTHON" -c '
import errno, socket, sys, time
proto, syncnt = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
if syncnt:
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, syncnt)
t0 = time.monotonic()
try:
    s.connect((sys.argv[3], 9))
    print("connected", 0)
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno), round(time.monotonic() - t0, 2))
' "$1" "$2" "$LOST"
}

in_ns "$NS_A" sysctl -qw net.atcp.syn_retries=1 net.ipv4.tcp_syn_retries=1
timed_connect 253 0 >"$T/atcp1" &
p1=$!
timed_connect 6 0 >"$T/tcp1" &
p2=$!
timed_connect 253 2 >"$T/atcp2" &
p3=$!
wait $p1 $p2 $p3

# within LO..HI seconds
within() {
	awk -v t="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(t >= lo && t <= hi) }'
}
read -r e t <"$T/atcp1"
[ "$e" = ETIMEDOUT ] && within "$t" 2.9 5
tap_ok $? "syn_retries=1: connect() fails with ETIMEDOUT after 1 + 2 s (got $e after $t s)"
read -r le lt <"$T/tcp1"
[ "$le" = "$e" ] && within "$lt" 2.9 5
tap_ok $? "Linux TCP with tcp_syn_retries=1, same VM: $le after $lt s"
read -r e t <"$T/atcp2"
[ "$e" = ETIMEDOUT ] && within "$t" 6.9 10
tap_ok $? "TCP_SYNCNT=2 overrides syn_retries=1: ETIMEDOUT after 1 + 2 + 4 s (got $e after $t s)"
stat=$(in_ns "$NS_A" awk '$1 == "AttemptFails" { print $2 }' /proc/net/atcp_stat)
tap_is "$stat" 2 "AttemptFails counts both failed connects"

tap_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_backlog.sh - listen(backlog) bounds the accept queue, overflow is
# counted, and nothing is lost: the clients whose SYNs were dropped get in
# by retransmitting once the application accepts.
#
# A listener with backlog 2 that does not accept; six clients connect
# (non-blocking).  Like Linux TCP, atcp keeps backlog + 1 = 3 connections
# in the accept queue and drops the other SYNs, counting ListenOverflows.
# The test waits until the counter shows three drops (the three extra
# SYNs), then reads the queue from the listener's TCP_INFO (tcpi_unacked,
# tcpi_sacked: ready children and the bound, as Linux TCP reports them):
# 3 of 2.  Then it accepts all 6 (blocking, with a deadline), the last 3
# arriving on their SYN retransmissions; every client then sees its
# connection established.
# Run over Linux TCP (counter TcpExtListenOverflows) in the same VM and
# compared.
. "$(dirname "$0")/lib/common.sh"
. "$SELFTESTS/lib/netns.sh"

need_root
need_cmd ip

tap_plan 6

# backlog_run PROTO: prints "queued=N overflows=N late=N established=N".
backlog_run() {
	in_ns "$NS_LO" "$PYTHON" -c '
import errno, select, socket, struct, sys, time
proto = int(sys.argv[1])

def overflows():
    if proto == 6:
        lines = open("/proc/net/netstat").read().split("\n")
        for keys, vals in zip(lines[0::2], lines[1::2]):
            if keys.startswith("TcpExt:"):
                kv = dict(zip(keys.split()[1:], vals.split()[1:]))
                return int(kv["ListenOverflows"])
    for line in open("/proc/net/atcp_stat"):
        k, v = line.split()
        if k == "ListenOverflows":
            return int(v)

base = overflows()
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
l.bind(("127.0.0.1", 0))
l.listen(2)
port = l.getsockname()[1]
def ready():
    return struct.unpack_from("I", l.getsockopt(socket.SOL_TCP, 11, 104), 24)[0]

# One client at a time, each until the listener took it into its queue
# or counted its overflow: two handshakes ending at once on two CPUs may
# both pass the full-queue check (it is lockless, in Linux TCP too), and
# the queue would hold one more than the rule.
clients = []
for _ in range(6):
    was = (ready(), overflows())
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    clients.append(c)
    deadline = time.monotonic() + 10
    while (ready(), overflows()) == was and time.monotonic() < deadline:
        time.sleep(0.001)

deadline = time.monotonic() + 10
while overflows() - base < 3 and time.monotonic() < deadline:
    time.sleep(0.01)
over = overflows() - base
# The queue as the listener holds it while nobody accepts (TCP_INFO of a
# listener: tcpi_unacked the children ready, tcpi_sacked the bound), not
# what accept() drains later, when a retransmitted SYN may already have
# taken a freed place.
info = l.getsockopt(socket.SOL_TCP, 11, 104)
ready, bound = struct.unpack_from("II", info, 24)

l.setblocking(False)
queued = []
while True:
    try:
        queued.append(l.accept()[0])
    except BlockingIOError:
        break
l.setblocking(True)
l.settimeout(15)
late = []
try:
    while len(queued) + len(late) < 6:
        late.append(l.accept()[0])
except socket.timeout:
    pass

est = 0
for c in clients:
    _, w, _ = select.select([], [c], [], 15)
    if w and c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
        est += 1
print("ready=%d bound=%d queued=%d overflows=%d late=%d established=%d" %
      (ready, bound, len(queued), over, len(late), est))
' "$1"
}

netns_lo_create || tap_skip_all "cannot create a namespace"
res=$(backlog_run "$PROTO")
linux=$(backlog_run 6)
tap_diag "$PROTO_NAME: $res"
tap_diag "Linux TCP, same VM: $linux"

field() { echo "$1" | sed -n "s/.*\<$2=\([0-9]*\).*/\1/p"; }
tap_is "$(field "$res" ready) of $(field "$res" bound)" "3 of 2" \
	"backlog 2: the accept queue holds backlog + 1 = 3 connections (the listener's TCP_INFO)"
n=$(field "$res" overflows)
[ "${n:-0}" -ge 3 ]
tap_ok $? "the 3 SYNs beyond it are counted in ListenOverflows (counted $n; retransmitted SYNs count again)"
q=$(field "$res" queued) l=$(field "$res" late)
tap_is "$((${q:-0} + ${l:-0}))" 6 \
	"the 3 dropped clients get in on their SYN retransmissions once accept() runs: 6 accepted"
tap_is "$(field "$res" established)" 6 "all 6 clients see their connection established"
# How many of Linux's dropped clients are in by the deadline depends on its
# SYN and SYN-ACK retransmission timing under load: only its queue bound is
# compared.
tap_is "$(field "$res" ready) of $(field "$res" bound)" \
	"$(field "$linux" ready) of $(field "$linux" bound)" "the queue holds what Linux TCP's holds"
n=$(field "$linux" overflows)
[ "${n:-0}" -ge 3 ]
tap_ok $? "Linux TCP counts them too (TcpExtListenOverflows $n)"

tap_done

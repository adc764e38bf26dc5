#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_ecn.sh - ECN (RFC 3168) end to end over a marking link, atcp and
# Linux TCP in the same VM.
#
# The client (ns A, net.atcp.ecn=1 / net.ipv4.tcp_ecn=1, no fallback so
# that a lost SYN cannot turn ECN off) sends $ATCP_ECN_BYTES (default
# 1 MiB) to the server (ns B, the default ecn=2).  On A's egress, a prio
# qdisc sends the ECT(0) packets, and only those, through netem with
# "loss 5% ecn": netem marks them CE instead of dropping them.  Nothing
# not-ECT (SYN, pure ACKs, FIN) goes through netem, so nothing is lost.
#
# Asserted, per protocol: the transfer completes and the sha256 of what
# the server read equals that of what the client sent; the server's IP
# layer counted CE packets (IpExtInCEPkts) and its socket says
# TCPI_OPT_ECN_SEEN; the client's socket negotiated ECN (TCPI_OPT_ECN) and
# reduced its window (tcpi_snd_ssthresh below "infinite"), and retransmitted
# nothing (tcpi_total_retrans 0): the marks slowed it, none was a loss.
# The details come from each side's TCP_INFO, printed as diagnostics.

. "$(dirname "$0")/lib/common.sh"
. "$SELFTESTS/lib/netns.sh"

need_root
need_cmd ip tc
SIZE=${ATCP_ECN_BYTES:-$((1 << 20))}

tap_plan 10

netns_pair_create || tap_skip_all "cannot create namespaces"
# No tail loss probes: a busy host that delays an ACK past two RTTs makes
# one, a retransmission that no mark caused.
in_ns "$NS_A" sysctl -qw net.ipv4.tcp_ecn=1 net.ipv4.tcp_ecn_fallback=0 \
	net.ipv4.tcp_early_retrans=0
if [ "$PROTO" != 6 ]; then
	in_ns "$NS_A" sysctl -qw net.atcp.ecn=1 net.atcp.ecn_fallback=0 \
		net.atcp.early_retrans=0
fi
# One segment a packet: netem marks a super-segment as one packet, and
# 1 MiB in a few dozen of them may meet no mark at all.
in_ns "$NS_A" ip link set dev "$VETH_A" gso_max_segs 1
if ! in_ns "$NS_A" tc qdisc add dev "$VETH_A" root handle 1: prio ||
	! in_ns "$NS_A" tc qdisc add dev "$VETH_A" parent 1:3 handle 30: \
		netem loss 5% ecn ||
	! in_ns "$NS_A" tc filter add dev "$VETH_A" parent 1: protocol ip \
		prio 1 u32 match ip tos 0x02 0x03 flowid 1:3; then
	tap_skip_all "tc prio, netem with ecn or u32 not available"
fi

# ECN_PY ROLE PROTO ADDR SIZE: the server prints "server BYTES HASH
# OPTIONS SSTHRESH RETRANS", the client "client BYTES HASH OPTIONS
# SSTHRESH RETRANS" (TCP_INFO's tcpi_options, tcpi_snd_ssthresh and
# tcpi_total_retrans, read after the transfer).
# shellcheck disable=SC2016
ECN_PY='
import hashlib, socket, struct, sys, time
role, proto, addr, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def info(s):
    i = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return "%d %d %d" % (i[5], struct.unpack_from("I", i, 76)[0],
                         struct.unpack_from("I", i, 100)[0])
h = hashlib.sha256()
n = 0
if role == "server":
    l = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    l.bind((addr, 5000))
    l.listen(1)
    print("ready", flush=True)
    c, _ = l.accept()
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    print("server", n, h.hexdigest(), info(c))
    c.close()
else:
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    c.settimeout(60)
    c.connect((addr, 5000))
    chunk = bytes(range(256)) * 256
    while n < size:
        b = chunk[:min(len(chunk), size - n)]
        c.sendall(b)
        h.update(b)
        n += len(b)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)
    print("client", n, h.hexdigest(), info(c))
    c.close()
'

# incepkts NS: IpExtInCEPkts of NS
incepkts() {
	in_ns "$1" awk '/^IpExt:/ { if (!h) { for (i = 1; i <= NF; i++) k[i] = $i; h = 1 }
		else for (i = 1; i <= NF; i++) if (k[i] == "InCEPkts") print $i }' /proc/net/netstat
}

for p in "$PROTO" 6; do
	if [ "$p" = 6 ]; then name="Linux TCP, same VM"; else name=$PROTO_NAME; fi
	ce0=$(incepkts "$NS_B")
	in_ns "$NS_B" timeout 90 "$PYTHON" -c "$ECN_PY" server "$p" "$ADDR_B" "$SIZE" \
		>"$T/srv.$p" 2>&1 &
	spid=$!
	wait_for 10 grep -q ready "$T/srv.$p"
	in_ns "$NS_A" timeout 90 "$PYTHON" -c "$ECN_PY" client "$p" "$ADDR_B" "$SIZE" \
		>"$T/cli.$p" 2>&1
	wait "$spid"
	ce=$(($(incepkts "$NS_B") - ce0))
	read -r _ sn sh sopt _ _ < <(grep '^server ' "$T/srv.$p")
	read -r _ cn ch copt cssth cretr < <(grep '^client ' "$T/cli.$p")
	tap_diag "$name: server: $(tail -n 1 "$T/srv.$p"); client: $(tail -n 1 "$T/cli.$p"); InCEPkts +$ce"
	[ "${sn:-0}" = "$SIZE" ] && [ "${cn:-0}" = "$SIZE" ] && [ -n "$sh" ] && [ "$sh" = "$ch" ]
	tap_ok $? "$name: $SIZE bytes through the marking link, sha256 equal"
	[ "$ce" -gt 0 ] && [ $((${sopt:-0} & 16)) = 16 ]
	tap_ok $? "$name: the receiver got CE packets ($ce) and says TCPI_OPT_ECN_SEEN"
	[ $((${copt:-0} & 8)) = 8 ]
	tap_ok $? "$name: the sender negotiated ECN (TCPI_OPT_ECN)"
	[ "${cssth:-2147483647}" -lt 2147483647 ]
	tap_ok $? "$name: the sender reduced its window for the ECEs (ssthresh ${cssth:-?})"
	[ "${cretr:-1}" = 0 ]
	tap_ok $? "$name: the sender retransmitted nothing (total_retrans ${cretr:-?})"
done

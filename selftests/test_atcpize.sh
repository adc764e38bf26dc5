#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_atcpize.sh - unmodified programs over atcp with tools/atcpize.
#
#   iperf3 -s and iperf3 -c, both under atcpize, complete a 2 s transfer
#   and report it (JSON: bytes received > 0, no error);
#   curl fetches a 4 MiB file from python3 -m http.server, both under
#   atcpize: identical content (sha256);
# and a capture on lo shows that those flows used only IP protocol 253:
# atcp segments, not one TCP segment.  Everything runs in a private
# namespace over 127.0.0.1 (atcp is IPv4 only: the servers are bound to
# it).  Also: a program's AF_INET6 and UDP sockets are left alone.
. "$(dirname "$0")/lib/common.sh"
. "$SELFTESTS/lib/netns.sh"
. "$SELFTESTS/lib/capture.sh"

need_root
need_cmd ip tcpdump iperf3 curl sha256sum
if [ "$PROTO" != 253 ]; then
	tap_skip_all "atcpize maps TCP to atcp"
fi
ATCPIZE=$REPO/tools/atcpize

tap_plan 8

netns_lo_create || tap_skip_all "cannot create a namespace"
NS=$NS_LO

# What protocol does atcpize give each kind of socket?
kinds=$(in_ns "$NS" "$ATCPIZE" run "$PYTHON" -c '
import socket
for fam, typ, name in ((socket.AF_INET, socket.SOCK_STREAM, "inet-stream"),
                       (socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK, "inet-stream-nonblock"),
                       (socket.AF_INET6, socket.SOCK_STREAM, "inet6-stream"),
                       (socket.AF_INET, socket.SOCK_DGRAM, "inet-dgram")):
    s = socket.socket(fam, typ)
    print("%s=%d" % (name, s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL)), end=" ")
' 2>&1)
tap_is "$kinds" "inet-stream=253 inet-stream-nonblock=253 inet6-stream=6 inet-dgram=17 " \
	"atcpize: AF_INET stream sockets become atcp, the others stay"

capture_start "$NS" lo "$T/flows.pcap" "ip proto 6 or ip proto 253" || tap_skip_all "no capture"

# iperf3, one-off server.
PORT=5299
in_ns "$NS" "$ATCPIZE" run iperf3 -s -1 -B 127.0.0.1 -p $PORT >"$T/iperf3-s.out" 2>&1 &
spid=$!
cleanup_push "kill $spid"
wait_for 20 in_ns "$NS" grep -q ':14D3 00000000:0000 0A' /proc/net/atcp
rc=0
in_ns "$NS" timeout 60 "$ATCPIZE" run iperf3 -c 127.0.0.1 -p $PORT -t 2 -J \
	>"$T/iperf3-c.json" 2>"$T/iperf3-c.err" || rc=$?
srv=0
wait $spid || srv=$?
res=$("$PYTHON" -c '
import json, sys
j = json.load(open(sys.argv[1]))
print(j["end"]["sum_received"]["bytes"], j.get("error", "none"))
' "$T/iperf3-c.json" 2>/dev/null)
read -r bytes err <<<"$res"
tap_diag "iperf3 over atcp: ${bytes:-?} bytes received in 2 s"
[ $rc = 0 ] && [ $srv = 0 ] && [ "${bytes:-0}" -gt 0 ] && [ "$err" = none ]
tap_ok $? "iperf3 -c and -s under atcpize complete and report a transfer (client $rc, server $srv)"
[ $rc = 0 ] || tap_diag "$(cat "$T/iperf3-c.err" "$T/iperf3-s.out")"

# curl from python's http.server.
mkdir -p "$T/www"
head -c $((4 << 20)) /dev/urandom >"$T/www/blob"
HPORT=8099
(cd "$T/www" && exec ip netns exec "$NS" "$ATCPIZE" run "$PYTHON" -m http.server \
	--bind 127.0.0.1 $HPORT) >"$T/http.out" 2>&1 &
hpid=$!
cleanup_push "kill $hpid"
wait_for 20 in_ns "$NS" grep -q ':1FA3 00000000:0000 0A' /proc/net/atcp
rc=0
in_ns "$NS" timeout 60 "$ATCPIZE" run curl -sS -o "$T/got" "http://127.0.0.1:$HPORT/blob" \
	2>"$T/curl.err" || rc=$?
tap_ok $rc "curl under atcpize fetches 4 MiB from python3 -m http.server under atcpize (exit $rc)"
[ $rc = 0 ] || tap_diag "$(cat "$T/curl.err" "$T/http.out")"
a=$(sha256sum <"$T/www/blob")
b=$(sha256sum <"$T/got" 2>/dev/null)
tap_is "$b" "$a" "the file arrives identical (sha256)"
kill $hpid 2>/dev/null
wait $hpid 2>/dev/null

capture_stop 127.0.0.1
# tcpdump's "port" knows TCP and UDP only: match atcp's ports by offset
# (20-byte IP headers).
atcp_port() {
	echo "ip proto 253 and (ip[20:2] == $1 or ip[22:2] == $1)"
}
n253=$(tcpdump -r "$T/flows.pcap" -nn "ip proto 253" 2>/dev/null | wc -l)
n6=$(tcpdump -r "$T/flows.pcap" -nn "ip proto 6" 2>/dev/null | wc -l)
tap_diag "capture: $n253 atcp segments, $n6 TCP segments"
[ "$n253" -gt 100 ]
tap_ok $? "the capture shows the flows as protocol 253 ($n253 segments)"
tap_is "$n6" 0 "and not one TCP (protocol 6) segment"
iperf_port=$(tcpdump -r "$T/flows.pcap" -nn "$(atcp_port $PORT)" 2>/dev/null | wc -l)
http_port=$(tcpdump -r "$T/flows.pcap" -nn "$(atcp_port $HPORT)" 2>/dev/null | wc -l)
[ "$iperf_port" -gt 0 ] && [ "$http_port" -gt 0 ]
tap_ok $? "both programs' flows are in it (iperf3 $iperf_port, http $http_port segments)"
[ -z "$(in_ns "$NS" grep -v -e '^ *sl' -e ' 06 ' -e ' 0A ' /proc/net/tcp)" ]
tap_ok $? "no TCP socket of the namespace carried the flows (/proc/net/tcp)"

tap_done

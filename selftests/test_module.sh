#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module's life: rmmod is refused while an atcp socket exists and
# succeeds once none does; insmod brings it back with a net.atcp directory
# in every namespace, and an invalid protocol number is refused.  A number
# another protocol holds (UDP's 17 here; on a machine with HomaModule of
# before 2025, 253 itself) makes the load fail with a message that names
# the number and the proto= parameter, and leaves nothing registered.
# Runs first (selftests/Makefile), before other tests leave TIME_WAIT entries.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
ko=$here/../module/atcp.ko

tap_plan 11

if ! grep -q '^atcp ' /proc/modules; then
	insmod "$ko"
fi

# A listener held open by a process: the module is in use.
fifo=$(mktemp -u /tmp/atcp-mod.XXXXXX)
mkfifo "$fifo"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
s.bind(("127.0.0.1", 0)); s.listen(1)
print("ready", flush=True)
sys.stdin.read()
' < "$fifo" > "$fifo.out" &
pid=$!
exec 3> "$fifo"
for _ in $(seq 100); do grep -q ready "$fifo.out" 2>/dev/null && break; sleep 0.05; done
grep -q ready "$fifo.out"
tap_ok $? "a process holds an atcp listener"

rmmod atcp 2>/dev/null
rc=$?
[ $rc != 0 ] && grep -q '^atcp ' /proc/modules
tap_ok $? "rmmod is refused while the socket exists (rmmod exit $rc)"

exec 3>&-
wait $pid
rm -f "$fifo" "$fifo.out"
# A closed listener leaves nothing behind: no TIME_WAIT, no orphan.
for _ in $(seq 100); do
	[ "$(cat /sys/module/atcp/refcnt)" = 0 ] && break
	sleep 0.05
done
rmmod atcp
tap_ok $? "rmmod succeeds once the socket is closed"
! grep -q '^atcp ' /proc/modules
tap_ok $? "the module is gone from /proc/modules"

insmod "$ko" proto=6 2>/dev/null
rc=$?
[ $rc != 0 ]
tap_ok $? "insmod proto=6 (TCP's number) is refused (exit $rc)"

echo "test_module: insmod proto=17" >/dev/kmsg
insmod "$ko" proto=17 2>/dev/null
rc=$?
msg=$(dmesg | sed -n '/test_module: insmod proto=17/,$p' | grep 'atcp:' | tail -n 1)
msg=${msg#*] }
case $msg in
*"IP protocol 17 "*"proto="*) [ $rc != 0 ] ;;
*) false ;;
esac
tap_ok $? "insmod proto=17 (UDP's) fails (exit $rc), saying: $msg"
! grep -q '^atcp ' /proc/modules && [ ! -e /proc/sys/net/atcp ] &&
	! grep -q '^ATCP ' /proc/net/protocols
tap_ok $? "and leaves nothing registered: no module, no net.atcp, no ATCP in /proc/net/protocols"
python3 -c '
import socket
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", 0))
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.settimeout(5)
b.sendto(b"still here", a.getsockname())
a.settimeout(5)
assert a.recv(64) == b"still here"
'
tap_ok $? "UDP, which holds 17, still works"

insmod "$ko"
tap_ok $? "insmod again"
ns=atcp-mod-$$
ip netns add "$ns"
[ -r /proc/sys/net/atcp/tw_timeout ] && ip netns exec "$ns" test -r /proc/sys/net/atcp/tw_timeout
tap_ok $? "net.atcp exists in the initial and in a new namespace"
ip netns exec "$ns" test -r /proc/net/atcp
tap_ok $? "/proc/net/atcp exists in the new namespace"
ip netns del "$ns"

tap_done

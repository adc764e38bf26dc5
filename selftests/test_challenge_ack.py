#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""test_challenge_ack.py - RFC 5961 challenge ACKs are rate-limited per
socket and per network namespace, as Linux 6.1 does it, so that they tell
an off-path attacker nothing (CVE-2016-5696: a limit shared by everything
made its exhaustion observable).

Linux 6.1's tcp_send_challenge_ack() first applies the socket's own
out-of-window ACK limit (__tcp_oow_rate_limited(): one per
tcp_invalid_ratelimit, 500 ms), whatever the segment carries, then the
namespace's quota, net.ipv4.tcp_challenge_ack_limit per second
(randomized: (limit + 1) / 2 plus a random number below the limit; the
default is INT_MAX, no quota).  atcp's equivalent is
net.atcp.challenge_ack_limit, with the same meaning and default.

1. One connection, default settings: a burst of 90 segments that each call
   for a challenge ACK, sent back to back: RSTs in the window but not at
   RCV.NXT, SYNs, and one-byte data segments whose ACK is older than
   SND.UNA - MAX.SND.WND (RFC 5961 5.2; the dut has sent nothing, which
   Linux counts as a window of 0 bytes acknowledged).  Exactly one
   challenge ACK may come back in the next 500 ms; after 0.6 s a second
   burst gets exactly one more.  None of the data reaches the application,
   and the connection still works.  The counter (Linux TCPChallengeACK,
   atcp ChallengeACKs) counts the two.

2. Two namespaces at once, each with challenge_ack_limit=1 (exactly one
   challenge ACK a second in the namespace) and four connections attacked
   every 100 ms for 5.9 s (without the quota each connection could answer
   twice a second): each namespace sends 4 to 7 challenge ACKs in all (one
   in each second the attack touches).  A quota shared by the namespaces
   would leave one of them with 3 or fewer.
   The default of the sysctl in a new namespace is checked too.
"""

import os
import queue
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'peer'))
sys.path.insert(0, os.path.join(HERE, 'lib'))
import atcppeer as peer  # noqa: E402
from nstest import Tap, proto_under_test  # noqa: E402

M32 = 0xffffffff
INT_MAX = 2147483647
ATTACK_SECS = 5.9


def names(proto):
    if proto == 6:
        return 'net.ipv4.tcp_challenge_ack_limit', 'TCPChallengeACK'
    return 'net.atcp.challenge_ack_limit', 'ChallengeACKs'


def attack_frames(sess, c, proto, n):
    """n segments of each kind that call for a challenge ACK."""
    frames = []
    for i in range(n):
        for flags, seq, ack, payload in (
                (peer.F_RST, c.peer_isn + 1 + 100 + i, 0, b''),
                (peer.F_SYN, c.peer_isn + 1 + 200 + i, 0, b''),
                (peer.F_ACK | peer.F_PSH, c.peer_isn + 1, c.dut_isn + 1 - 100000, b'Z')):
            l4 = peer.build_l4(c.sport, c.dport, seq & M32, ack & M32, flags, 65535, b'',
                               payload, src=c.src, dst=c.dst, proto=proto)
            frames.append(sess.peer.frame(c.src, c.dst, l4))
    return frames


def open_conns(it, n):
    lines = ['app: listen 8080 backlog=16']
    for i in range(n):
        lines += ['conn c%d dport=8080 sport=%d' % (i, 31000 + i),
                  '> @c%d S seq=0 opts=mss:1460' % i,
                  '< @c%d S. seq=0 ack=1' % i,
                  '> @c%d . seq=1 ack=1' % i]
    lines.append('app: ' + '; '.join('accept name=c%d' % i for i in range(n)))
    it.run_lines(lines)
    return [it.conns['c%d' % i] for i in range(n)]


def collect(it, conns, until, seen):
    """Append (time, conn name) of each segment from the dut until `until`."""
    while True:
        s = it.pull(until)
        if s is None:
            return
        if s.conn in conns:
            seen.append((s.t, s.conn.name, s.flags, len(s.payload)))


def is_challenge(x):
    return x[2] == peer.F_ACK and x[3] == 0


def one_socket(tap, proto):
    _, counter = names(proto)
    sess = peer.Session(proto)
    it = peer.Interp(sess, 'challenge', sys.stdout, verbose=False, timeout=5.0)
    try:
        c, = open_conns(it, 1)
        m0 = peer.read_mibs(proto)
        counts = []
        for burst in range(2):
            frames = attack_frames(sess, c, proto, 30)
            seen = []
            t0 = time.time()
            sess.peer.send_frames(frames)
            sent = time.time() - t0
            # The rest of the 500 ms from the first answer (or from the start).
            collect(it, [c], t0 + 0.45, seen)
            chal = [x for x in seen if is_challenge(x)]
            counts.append(len(chal))
            tap.diag('burst %d: %d segments sent in %.3f s; %d challenge ACK(s)%s, %d other '
                     'segment(s)' % (burst + 1, len(frames), sent, len(chal),
                                     ' at +%s s' % ','.join('%.3f' % (x[0] - t0) for x in chal)
                                     if chal else '', len(seen) - len(chal)))
            tap.ok(len(chal) == 1 and len(seen) == 1,
                   'burst %d of RSTs, SYNs and data with an old ACK: exactly one challenge '
                   'ACK (%d, and %d other segments)' % (burst + 1, len(chal),
                                                        len(seen) - len(chal)))
            collect(it, [c], time.time() + 0.15, seen)
        m1 = peer.read_mibs(proto)
        d = m1[counter] - m0[counter] if counter in m1 else None
        tap.ok(d == sum(counts), '%s counts the challenge ACKs sent (+%s, %d seen)'
               % (counter, d, sum(counts)))
        it.run_lines(['> @c0 P. seq=1 ack=1 data="ok"',
                      '< @c0 . seq=1 ack=3',
                      'state @c0 ESTABLISHED',
                      'app: use c0; read-exact data="ok"'])
        tap.ok(True, 'no data of the attack was taken; the connection carries "ok" after it')
    except (peer.TestFailure, peer.ScriptError) as e:
        it.report_failure(tap.diag, tail=30)
        tap.ok(False, 'the connection carries data after the attack: %s' % e)
    finally:
        it.cleanup()
        sess.close()


def worker(proto):
    """One namespace: print its default limit, set 1, open 4 connections,
    say "ready", wait for "go" on stdin, attack, print the count."""
    limit_name, counter = names(proto)
    sess = peer.Session(proto)
    it = peer.Interp(sess, 'challenge-ns', sys.stderr, verbose=False, timeout=10.0)
    try:
        path = '/proc/sys/' + limit_name.replace('.', '/')
        try:
            with open(path) as f:
                print('default %s' % f.read().strip(), flush=True)
            sess.sysctl(limit_name, '1')
        except OSError as e:
            print('default none (%s)' % e.strerror, flush=True)
        conns = open_conns(it, 4)
        frames = [attack_frames(sess, c, proto, 1) for c in conns]
        m0 = peer.read_mibs(proto)
        print('ready', flush=True)
        if sys.stdin.readline().strip() != 'go':
            return 1
        seen = []
        t0 = time.time()
        while time.time() - t0 < ATTACK_SECS:
            for f in frames:
                sess.peer.send_frames(f)
            collect(it, conns, time.time() + 0.1, seen)
        collect(it, conns, time.time() + 0.3, seen)
        m1 = peer.read_mibs(proto)
        chal = [x for x in seen if is_challenge(x)]
        print('count %d other %d counter %s' % (
            len(chal), len(seen) - len(chal),
            m1[counter] - m0[counter] if counter in m1 else 'none'), flush=True)
        print('times %s%s' % (' '.join('%s:%.3f' % (x[1], x[0] - t0) for x in chal[:12]),
                              ' ...' if len(chal) > 12 else ''), flush=True)
        return 0
    except (peer.TestFailure, peer.ScriptError) as e:
        print('error %s' % e, flush=True)
        it.report_failure(lambda ln: print('# %s' % ln, file=sys.stderr), tail=20)
        return 1
    finally:
        it.cleanup()
        sess.close()


def two_namespaces(tap, proto):
    limit_name, _ = names(proto)
    procs = [subprocess.Popen([sys.executable, os.path.abspath(__file__), '--worker'],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, ATCP_PROTO=str(proto)))
             for _ in range(2)]
    info = [{} for _ in procs]
    lines = [queue.Queue() for _ in procs]

    def reader(i):
        for ln in procs[i].stdout:
            lines[i].put(ln)
        lines[i].put(None)
    for i in range(2):
        threading.Thread(target=reader, args=(i,), daemon=True).start()

    def read_until(i, key, secs):
        deadline = time.time() + secs
        while True:
            try:
                ln = lines[i].get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                return False
            if ln is None:
                return False
            k, _, v = ln.strip().partition(' ')
            info[i][k] = v
            if k in (key, 'error'):
                return k == key
    ready = [read_until(i, 'ready', 60) for i in range(2)]
    if all(ready):
        for p in procs:
            p.stdin.write('go\n')
            p.stdin.flush()
    done = [read_until(i, 'times', ATTACK_SECS + 30) if ready[i] else False
            for i in range(2)]
    for p in procs:
        try:
            p.stdin.close()
        except OSError:
            pass
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    defaults = [info[i].get('default', '?') for i in range(2)]
    tap.ok(all(d == str(INT_MAX) for d in defaults),
           '%s in a new namespace is %d, as Linux 6.1 has it (%s)'
           % (limit_name, INT_MAX, ', '.join(defaults)))
    counts = []
    for i in range(2):
        if 'error' in info[i]:
            tap.diag('namespace %d: %s' % (i + 1, info[i]['error']))
        tap.diag('namespace %d: %s; at %s' % (i + 1, info[i].get('count', '(no result)'),
                                              info[i].get('times', '-')))
        counts.append(int(info[i]['count'].split()[0]) if done[i] else -1)
    # The attack spans 5.9 s: 6 or 7 one-second quotas, at least 4 of them
    # whole.  Shared by both namespaces, the 7 at most would leave one of
    # them 3 or fewer.
    lo, hi = 4, 7
    tap.ok(all(lo <= n <= hi for n in counts),
           '%s=1 in two namespaces at once, four connections each attacked for %.1f s: '
           'each namespace sends %d to %d challenge ACKs, on its own quota (%s)'
           % (limit_name, ATTACK_SECS, lo, hi, ', '.join(str(n) for n in counts)))


def main():
    proto = proto_under_test()
    if sys.argv[1:] == ['--worker']:
        sys.exit(worker(proto))
    tap = Tap(6)
    one_socket(tap, proto)
    two_namespaces(tap, proto)
    tap.done()


if __name__ == '__main__':
    main()

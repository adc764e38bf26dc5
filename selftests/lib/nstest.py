# SPDX-License-Identifier: GPL-2.0
"""nstest.py - TAP, network namespaces and counters for atcp's python tests.

One process drives both ends of a connection: it enters a namespace with
setns(2) before creating a socket there, and a socket stays in the
namespace it was created in.

    tap = Tap(n)            tap.ok(cond, desc), tap.diag(text), tap.done()
    pair = NetnsPair()      two namespaces a, b joined by a veth pair
                            (va 10.253.0.1 <-> vb 10.253.0.2); removed at
                            exit.  pair.enter('a'), pair.ip('b', 'link',
                            'set', pair.vb, 'down'), pair.sysctl('a', k, v)
    counters(proto)         this namespace's counters: /proc/net/atcp_stat,
                            or for proto 6 the Tcp and TcpExt counters
    wait_until(fn, secs)    poll fn() every 10 ms until true; its last value
    pump(cli, conn, data, deadline)
                            send data from cli, read it all on conn;
                            (sent, nread, whole)
    recv_hashed(conn, h)    one recv() from conn, fed to the hash h;
                            how many bytes (0 at EOF)
    load_script(name, path) a python program without a .py ending
                            (tools/atcp-ladder), as a module
"""

import atexit
import ctypes
import errno
import hashlib
import importlib.machinery
import importlib.util
import os
import random
import select
import socket
import subprocess
import sys
import time

CLONE_NEWNET = 0x40000000
ADDR_A = '10.253.0.1'
ADDR_B = '10.253.0.2'

_libc = ctypes.CDLL(None, use_errno=True)


def atcp_only(proto, why):
    """Under Linux's TCP (proto 6), exit as a skip (status 4), saying why."""
    if proto == 6:
        print('# SKIP ' + why)
        sys.exit(4)


def load_script(name, path):
    """The python program at path (no .py ending needed), as module name."""
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def proto_under_test():
    return int(os.environ.get('ATCP_PROTO', '253'))


class Tap:
    def __init__(self, plan):
        self.n = 0
        self.failed = 0
        self.plan = plan
        print('TAP version 13\n1..%d' % plan, flush=True)

    def ok(self, cond, desc):
        self.n += 1
        if not cond:
            self.failed += 1
        print('%s %d - %s' % ('ok' if cond else 'not ok', self.n, desc), flush=True)
        return cond

    def diag(self, text):
        for line in str(text).splitlines():
            print('# ' + line, flush=True)

    def done(self):
        if self.n != self.plan:
            print('# planned %d tests but ran %d' % (self.plan, self.n))
            self.failed += 1
        sys.exit(1 if self.failed else 0)


def _setns_path(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, 'setns %s: %s' % (path, os.strerror(e)))
    finally:
        os.close(fd)


def realtime_kernel():
    try:
        with open('/sys/kernel/realtime') as f:
            return f.read().strip() == '1'
    except OSError:
        return False


class NetnsPair:
    def __init__(self):
        tag = '%04x%04x' % (os.getpid() & 0xffff, random.getrandbits(16))
        self.ns = {'a': 'atcp-a-' + tag, 'b': 'atcp-b-' + tag}
        self.va, self.vb = 'va' + tag, 'vb' + tag
        self._home = os.open('/proc/self/ns/net', os.O_RDONLY)
        atexit.register(self.destroy)
        for n in self.ns.values():
            subprocess.run(['ip', 'netns', 'add', n], check=True)
        subprocess.run(['ip', 'link', 'add', self.va, 'netns', self.ns['a'], 'type', 'veth',
                        'peer', 'name', self.vb, 'netns', self.ns['b']], check=True)
        for side, dev, addr in (('a', self.va, ADDR_A), ('b', self.vb, ADDR_B)):
            self.ip(side, 'link', 'set', 'lo', 'up')
            self.ip(side, 'addr', 'add', addr + '/24', 'dev', dev)
            self.ip(side, 'link', 'set', dev, 'up')
        up = lambda: all(b'state UP' in subprocess.run(
            ['ip', '-n', self.ns[s], '-o', 'link', 'show', d],
            capture_output=True).stdout for s, d in (('a', self.va), ('b', self.vb)))
        if not wait_until(up, 5):
            raise RuntimeError('veth pair never came up')

    def ip(self, side, *args):
        subprocess.run(['ip', '-n', self.ns[side]] + list(args), check=True)

    def tc(self, side, *args):
        subprocess.run(['tc', '-n', self.ns[side]] + list(args), check=True)

    def one_cpu_receive(self):
        """Steer what each end receives to CPU 0 (RPS), so that the link
        keeps the order packets were sent in: by default a packet joins the
        backlog of the CPU that sent it, and under TCG one vCPU's backlog
        can wait milliseconds while the other's is processed.  One backlog
        then takes netem's bursts: net.core.netdev_max_backlog (global)
        goes up from 1000 until the pair is destroyed, so that it drops
        none.  Call it from the initial namespace.
        On PREEMPT_RT 6.1, RPS raises its softirq from an IPI, which that
        kernel warns of (do_softirq_post_smp_call_flush): there the calling
        process (and the threads it starts after) runs on CPU 0 instead,
        so that what both ends send joins CPU 0's backlog."""
        self.leave()
        if realtime_kernel():
            os.sched_setaffinity(0, {0})
            return
        with open('/proc/sys/net/core/netdev_max_backlog') as f:
            self._backlog = f.read().strip()
        with open('/proc/sys/net/core/netdev_max_backlog', 'w') as f:
            f.write('100000')
        for side, dev in (('a', self.va), ('b', self.vb)):
            subprocess.run(['ip', 'netns', 'exec', self.ns[side], 'sh', '-c',
                            'echo 1 > /sys/class/net/%s/queues/rx-0/rps_cpus' % dev],
                           check=True)

    def sysctl(self, side, key, value):
        subprocess.run(['ip', 'netns', 'exec', self.ns[side], 'sysctl', '-qw',
                        '%s=%s' % (key, value)], check=True)

    def connected(self, proto, cli_opts=(), srv_opts=()):
        """A connection from side a to a listener on side b, which is
        closed once it has been accepted; socket options as (level, name,
        value), set before connect and listen.  Returns (client, server
        end) with this thread in namespace a."""
        self.enter('b')
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
        for opt in srv_opts:
            srv.setsockopt(*opt)
        srv.bind((ADDR_B, 0))
        srv.listen(1)
        self.enter('a')
        cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
        for opt in cli_opts:
            cli.setsockopt(*opt)
        cli.connect(srv.getsockname())
        conn, _ = srv.accept()
        srv.close()
        return cli, conn

    def enter(self, side):
        _setns_path('/run/netns/' + self.ns[side])

    def leave(self):
        if _libc.setns(self._home, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), 'setns back')

    def destroy(self):
        self.leave()
        for n in self.ns.values():
            subprocess.run(['ip', 'netns', 'del', n], stderr=subprocess.DEVNULL)
        if getattr(self, '_backlog', None):
            with open('/proc/sys/net/core/netdev_max_backlog', 'w') as f:
                f.write(self._backlog)
            self._backlog = None


def counters(proto):
    out = {}
    if proto != 6:
        with open('/proc/thread-self/net/atcp_stat') as f:
            for line in f:
                k, _, v = line.partition(' ')
                if v.strip().isdigit():
                    out[k] = int(v)
        return out
    for path in ('/proc/thread-self/net/snmp', '/proc/thread-self/net/netstat'):
        with open(path) as f:
            lines = f.read().splitlines()
        for names, vals in zip(lines[0::2], lines[1::2]):
            if names.split(':')[0] in ('Tcp', 'TcpExt'):
                for k, v in zip(names.split()[1:], vals.split()[1:]):
                    out[k] = int(v)
    return out


def run_tcp_then(proto, run):
    """run(pair, p) for Linux TCP, then for proto, in one NetnsPair,
    destroyed after: the two results, to compare."""
    pair = NetnsPair()
    try:
        return run(pair, socket.IPPROTO_TCP), run(pair, proto)
    finally:
        pair.destroy()


def attempt(fn):
    """fn()'s result, or the name of the errno it failed with (as the
    differential tests compare what each stack answers)."""
    try:
        return fn()
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def wait_until(fn, secs):
    deadline = time.monotonic() + secs
    while True:
        v = fn()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(0.01)


def recv_hashed(conn, h):
    """One recv() of up to 256 KiB from conn, fed to h (a hashlib object):
    how many bytes it read, 0 at EOF."""
    d = conn.recv(262144)
    h.update(d)
    return len(d)


def pump(cli, conn, data, deadline, sent=0, shut_wr=False):
    """Send data[sent:] from cli and read conn (both non-blocking) until all
    of data has come, conn reads EOF, or time.monotonic() passes deadline;
    with shut_wr, shut cli's side down once everything is sent.  Returns
    (sent, nread, whole): whole if conn read data, every byte in order."""
    got = hashlib.sha256()
    nread = 0
    while nread < len(data) and time.monotonic() < deadline:
        r, w, _ = select.select([conn], [cli] if sent < len(data) else [], [], 1)
        if conn in r:
            n = recv_hashed(conn, got)
            if not n:
                break
            nread += n
        if cli in w:
            try:
                sent += cli.send(data[sent:sent + 65536])
            except BlockingIOError:
                pass
            if shut_wr and sent == len(data):
                cli.shutdown(socket.SHUT_WR)
    whole = nread == len(data) and got.digest() == hashlib.sha256(data).digest()
    return sent, nread, whole

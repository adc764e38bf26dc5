# SPDX-License-Identifier: GPL-2.0
"""The .pkt interpreter: a line is parsed, its time waited for, and its
command looked up in COMMANDS."""

import os
import re
import shlex
import signal
import subprocess
import sys
import time

from .app import App
from .errors import ScriptError, TestFailure
from .netns import DUT_IF, ETHTOOL_SGSO, ethtool_set
from .procnet import norm_state, read_ack_state, read_mibs, read_sockets
from .script import TIME_RE, ScriptRun
from .text import wild_int

# Commands that take the rest of the line verbatim (a shell command, app
# actions), so shlex must not see it.  An optional time comes first.
SH_LINE = re.compile(r'^(?:(\S+)\s+)?(run|sh)\s+(dut|peer)\s*:\s*(.*)$')
APP_LINE = re.compile(r'^(?:(\S+)\s+)?app(&?)(?:\s+([A-Za-z0-9_]+))?\s*:\s*(.*)$')
# `todo`'s reason is free text ("Linux's"), read by run_script before the
# run; the run has nothing to do with it, and shlex must not see it either.
TODO_LINE = re.compile(r'^todo(\s|$)')


def _is_time(tok):
    return tok is None or tok.startswith('+') or tok[0].isdigit()


class Interp(ScriptRun):
    """Runs a script's lines (run_lines) in a Session's namespaces; the
    dut's applications and background commands are its own."""

    def __init__(self, sess, name='script', out=sys.stdout, tolerance=0.1, timeout=3.0,
                 seed=None, verbose=True):
        super().__init__(sess, name, out, tolerance, timeout, seed, verbose)
        self.app_timeout = float(os.environ.get('PEER_APP_TIMEOUT', 10))
        self.apps = {}
        self.bg = []
        self.skip_reason = None
        self.mib0 = None        # counters when the script started (`mib`)
        self.saved_affinity = None  # CPUs before a `cpu` command

    # -- state
    def sock_match(self, kv, c):
        loc = kv.get('local')
        rem = kv.get('remote')
        if loc is None:
            loc = '%s:%s' % (c.dst, c.dport)
            if rem is None:
                rem = '%s:%s' % (c.src, c.sport)
        if rem is None:
            rem = '*'

        def ok(pat, addr):
            if pat == '*':
                return True
            h, p = pat.rsplit(':', 1)
            # a socket bound to 0.0.0.0 serves every local address
            return ((h in ('', '*') or h == addr[0] or addr[0] == '0.0.0.0') and
                    (p == '*' or int(p) == addr[1]))
        return [st for l, r, st in read_sockets(self.proto) if ok(loc, l) and ok(rem, r)]

    def parse_state_args(self, toks):
        kv = {}
        cname = None
        pos = []
        for t in toks:
            if t.startswith('@'):
                cname = t[1:]
            elif '=' in t:
                k, v = t.split('=', 1)
                kv[k] = v
            elif t == 'dut':
                continue
            else:
                pos.append(t)
        if not pos:
            raise ScriptError('state: missing state name')
        # positional: [local [remote]] STATE [timeout]
        want = None
        rest = []
        for p in pos:
            if want is None and re.match(r'^[A-Za-z_0-9]+$', p) and not p[0].isdigit():
                want = p
            elif want is None:
                rest.append(p)
            else:
                kv.setdefault('timeout', p)
        if rest:
            kv.setdefault('local', rest[0])
            if len(rest) > 1:
                kv.setdefault('remote', rest[1])
        return cname, norm_state(want), kv

    def do_state(self, toks, wait):
        cname, want, kv = self.parse_state_args(toks)
        c = self.get_conn(cname) if ('local' not in kv) else (self.default or None)
        if 'local' not in kv and c.dport is None:
            self.fail('dut port of @%s not known yet' % c.name)
        timeout = float(kv.get('timeout', '5' if wait else '0'))
        deadline = time.time() + timeout
        while True:
            have = self.sock_match(kv, c)
            ok = (not have) if want in ('NONE', 'CLOSE') else (want in have)
            if want == 'CLOSE' and 'CLOSE' in have:
                ok = True
            if ok:
                t = time.time()
                self.log('%s   state %s%s' % (self.ts(t), want,
                                              ' (after %.3fs)' % (t - self.mark) if wait else ''))
                self.mark = t
                return
            now = time.time()
            if now >= deadline:
                self.fail('state is %s, expected %s' % ('/'.join(have) or 'NONE', want))
            # A state changes with a segment the dut sends, most often: look
            # again as soon as one comes.  The changes its timers make
            # silently (TIME_WAIT or FIN_WAIT2 ending) are seen within 10 ms.
            self.wait_for_dut(min(0.01, deadline - now))

    def do_ackstate(self, toks):
        """ackstate [@CONN] [pingpong=0|1] [quick=N|A..B|*]: the dut socket's
        delayed-ACK engine, from /proc/net/atcp (tcp), now."""
        cname, kv = None, {}
        for t in toks:
            if t.startswith('@'):
                cname = t[1:]
            elif '=' in t:
                k, v = t.split('=', 1)
                if k not in ('pingpong', 'quick'):
                    raise ScriptError('ackstate: unknown field %r' % k)
                kv[k] = v
            else:
                raise ScriptError('ackstate: bad argument %r' % t)
        c = self.get_conn(cname)
        if c.dport is None:
            self.fail('dut port of @%s not known yet' % c.name)
        mine = [r for r in read_ack_state(self.proto)
                if r[0] == (c.dst, c.dport) and r[1] == (c.src, c.sport)]
        if not mine:
            self.fail('ackstate: no socket %s' % c.tuple_str())
        _l, _r, st, rto, ato, quick, pp = mine[0]
        hz = os.sysconf('SC_CLK_TCK')
        self.log('%s   ackstate %s: rto %d ms, ato %d ms, quick %d, pingpong %d' % (
            self.ts(time.time()), st, rto * 1000 // hz, ato * 1000 // hz, quick, pp))
        for k, val in (('pingpong', pp), ('quick', quick)):
            if k in kv and not wild_int(kv[k], val):
                self.fail('ackstate: %s=%d, expected %s' % (k, val, kv[k]))
        self.mark = time.time()

    def do_cpu(self, toks):
        """cpu N: run the peer, and the dut applications, on CPU N (modulo
        the CPUs there are) until the script ends.  What the dut sends from
        its receive path (in the softirq of the CPU the peer sent from) and
        what its applications send then all enter the veth on one CPU, in
        one backlog queue: in the order they were sent.  From different CPUs
        a segment can overtake an earlier one."""
        if len(toks) != 1 or not toks[0].isdigit():
            raise ScriptError('cpu N')
        cpus = sorted(os.sched_getaffinity(0))
        n = cpus[int(toks[0]) % len(cpus)]
        if self.saved_affinity is None:
            self.saved_affinity = cpus
        os.sched_setaffinity(0, {n})
        for a in self.apps.values():
            try:
                os.sched_setaffinity(a.p.pid, {n})
            except OSError:
                pass
        self.log('%s   cpu %d' % (self.ts(time.time()), n))
        self.mark = time.time()

    def mib_snapshot(self):
        if self.mib0 is None:
            self.mib0 = read_mibs(self.proto)

    def do_mib(self, toks):
        """mib NAME=N|A..B|* ...: a protocol counter of the dut namespace has
        grown by that much since the script started (e.g. DelayedACKs=0)."""
        self.mib_snapshot()
        now = read_mibs(self.proto)
        for t in toks:
            if '=' not in t:
                raise ScriptError('mib NAME=VALUE')
            k, pat = t.split('=', 1)
            if k not in now:
                self.fail('mib: no counter %s for protocol %d' % (k, self.proto))
            d = now[k] - self.mib0.get(k, 0)
            self.log('%s   mib %s +%d' % (self.ts(time.time()), k, d))
            if not wild_int(pat, d):
                self.fail('mib: %s grew by %d, expected %s' % (k, d, pat))
        self.mark = time.time()

    # -- dut commands
    def do_sh(self, where, cmd, background):
        argv, env = ['sh', '-c', cmd], self.sess.env()
        pre = self.sess.in_peer if where == 'peer' else None
        if background:
            p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                 start_new_session=True, preexec_fn=pre)
            self.bg.append((p, cmd))
            self.log('%s   run %s: %s' % (self.ts(time.time()), where, cmd))
        else:
            r = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, timeout=120, preexec_fn=pre)
            for ln in (r.stdout + r.stderr).splitlines():
                self.log('  | ' + ln)
            self.log('%s   sh %s: %s (exit %d)' % (self.ts(time.time()), where, cmd,
                                                   r.returncode))
            if r.returncode != 0:
                self.fail('command failed with status %d: %s' % (r.returncode, cmd))
        self.mark = time.time()

    def do_sysctl(self, arg, quiet=False):
        if '=' not in arg:
            raise ScriptError('sysctl NAME=VALUE')
        k, v = arg.split('=', 1)
        path = '/proc/sys/' + k.strip().replace('.', '/')
        if quiet and not os.path.exists(path):
            self.log('%s   sysctl %s: not on this kernel, ignored' % (self.ts(time.time()), k))
            return
        try:
            self.sess.sysctl(k, v)
        except OSError as e:
            self.fail('sysctl %s: %s' % (arg, e))
        self.log('%s   sysctl %s' % (self.ts(time.time()), arg))
        self.mark = time.time()

    def app(self, name):
        if name not in self.apps:
            self.apps[name] = App(name, self.sess, self)
        return self.apps[name]

    def do_app(self, name, actions, nowait):
        a = self.app(name)
        self.log('%s   app %s%s: %s' % (self.ts(time.time()), name, '&' if nowait else '',
                                        actions))
        i = a.send(actions)
        if not nowait:
            a.wait([i], self.app_timeout)
            self.log('%s   app %s: done %s' % (self.ts(time.time()), name, actions))
        self.mark = time.time()

    def do_app_wait(self, name, timeout):
        names = [name] if name else list(self.apps)
        for n in names:
            a = self.app(n)
            a.wait(sorted(a.pending) + sorted(a.failed), timeout)
        self.mark = time.time()

    # -- driver
    def run_lines(self, lines):
        if self.mib0 is None:
            try:
                self.mib_snapshot()
            except OSError:
                pass  # no such file: `mib` will say so
        for ln_no, raw in enumerate(lines, 1):
            self.lineno = ln_no
            line = raw.strip()
            if not line or line.startswith('#'):
                continue
            m = re.match(r'^\[(tcp|atcp)\]\s*(.*)$', line)
            if m:
                if (m.group(1) == 'tcp') != (self.proto == 6):
                    continue
                line = m.group(2)
            try:
                self.run_line(line)
            except ScriptError as e:
                raise ScriptError('line %d: %s: %s' % (ln_no, e, line))
            if self.skip_reason is not None:
                return

    def run_line(self, line):
        m = SH_LINE.match(line)
        if m and _is_time(m.group(1)):
            if m.group(1):
                self.wait_until(self.parse_time(m.group(1))[0])
            self.do_sh(m.group(3), m.group(4), m.group(2) == 'run')
            return
        m = APP_LINE.match(line)
        if m and _is_time(m.group(1)):
            if m.group(1):
                self.wait_until(self.parse_time(m.group(1))[0])
            self.do_app(m.group(3) or 'a', m.group(4), m.group(2) == '&')
            return
        if TODO_LINE.match(line):
            return
        try:
            lex = shlex.shlex(line, posix=True)
            lex.whitespace_split = True
            lex.commenters = '#'
            toks = list(lex)
        except ValueError as e:
            raise ScriptError(str(e))
        if not toks:
            return
        tspec = None
        if TIME_RE.match(toks[0]) or toks[0] == '*':
            tok = toks.pop(0)
            tspec = self.parse_time(tok, self.pmark if toks[:1] == ['<'] else self.mark)
        if not toks:
            raise ScriptError('time without command')
        cmd = toks.pop(0)
        # The time of `<` is when the segment must come, a check; on every
        # other command it is when to run it.
        if cmd == '<':
            self.do_expect(toks, tspec)
            return
        handler = COMMANDS.get(cmd)
        if handler is None:
            raise ScriptError('unknown command %r' % cmd)
        if tspec is not None:
            self.wait_until(tspec[0])
        handler(self, toks)

    # -- the commands of COMMANDS, each given the line's tokens after its name
    def cmd_send(self, toks):
        self.check_unexpected('before this send')
        self.do_send(toks)

    def cmd_conn(self, toks):
        name = 'c'
        if toks and '=' not in toks[0]:
            name = toks.pop(0)
        self.new_conn(name, dict(t.split('=', 1) for t in toks))

    def cmd_renew(self, toks):
        c = self.get_conn(toks[0][1:] if toks and toks[0].startswith('@') else None)
        c.dut_isn = None
        c.rcv_nxt = None
        c.last_tsval = None

    def cmd_expect_none(self, toks):
        self.check_unexpected('before expect-none')
        self.do_expect_none(float(toks[0]) if toks else 0.5)

    def cmd_sleep(self, toks):
        time.sleep(float(toks[0]))
        self.mark = time.time()

    def cmd_state(self, toks):
        self.do_state(toks, False)

    def cmd_wait_state(self, toks):
        self.do_state(toks, True)

    def cmd_sysctl(self, toks):
        if toks and toks[0] == 'dut':
            toks.pop(0)
        quiet = bool(toks) and toks[0] == '-q'
        if quiet:
            toks.pop(0)
        self.do_sysctl(' '.join(toks), quiet)

    def cmd_dut_gso(self, toks):
        # TSO and checksum offload stay off: GSO packets (TCP's, atcp's
        # super-segments) are cut in software before the veth, so the peer
        # sees segments.
        ethtool_set(DUT_IF, ETHTOOL_SGSO, int(toks[0] == 'on'))
        self.log('%s   dut-gso %s' % (self.ts(time.time()), toks[0]))

    def cmd_tolerance(self, toks):
        self.tolerance = float(toks[0])

    def cmd_timeout(self, toks):
        self.timeout = float(toks[0])

    def cmd_strict(self, toks):
        self.strict = toks[0] in ('on', '1', 'yes', 'conns')
        self.ignore_others = toks[0] == 'conns'

    def cmd_drain(self, toks):
        self.do_drain(float(toks[0]) if toks else 0.0)

    def cmd_flood(self, toks):
        kv = {}
        for t in toks:
            if '=' in t:
                k, v = t.split('=', 1)
                kv[k] = v
            else:
                kv['n'] = t
        self.do_flood(kv)

    def cmd_app_wait(self, toks):
        name = toks[0] if toks and not TIME_RE.match(toks[0]) else None
        tmo = float(toks[-1]) if toks and TIME_RE.match(toks[-1]) else self.app_timeout
        self.do_app_wait(name, tmo)

    def cmd_require(self, toks):
        want = toks[0]
        if (want == 'tcp') != (self.proto == 6):
            self.skip_reason = ' '.join(toks[1:]) or 'needs %s' % want

    def cmd_skip(self, toks):
        self.skip_reason = ' '.join(toks) or 'skipped'

    def cmd_print(self, toks):
        self.log(' '.join(toks))

    def cmd_mark(self, toks):
        self.mark = self.pmark = time.time()

    def finish(self):
        """End of script: unexpected leftovers, apps' failures."""
        super().finish()
        for a in self.apps.values():
            a.poll()
            if a.failed:
                i = sorted(a.failed)[0]
                raise TestFailure('app %s: command %d failed: %s' % (a.name, i, a.failed[i]))

    def cleanup(self):
        for a in self.apps.values():
            a.stop()
        if self.saved_affinity is not None:
            os.sched_setaffinity(0, self.saved_affinity)
            self.saved_affinity = None
        super().cleanup()
        for p, cmd in self.bg:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except OSError:
                    pass
                try:
                    p.wait(1)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
            elif p.returncode != 0:
                self.log('background command exited %d: %s' % (p.returncode, cmd))


COMMANDS = {
    '>': Interp.cmd_send,
    'conn': Interp.cmd_conn,
    'renew': Interp.cmd_renew,
    'expect-none': Interp.cmd_expect_none,
    'none': Interp.cmd_expect_none,
    'sleep': Interp.cmd_sleep,
    'state': Interp.cmd_state,
    'wait-state': Interp.cmd_wait_state,
    'cpu': Interp.do_cpu,
    'ackstate': Interp.do_ackstate,
    'mib': Interp.do_mib,
    'sysctl': Interp.cmd_sysctl,
    'dut-gso': Interp.cmd_dut_gso,
    'tolerance': Interp.cmd_tolerance,
    'timeout': Interp.cmd_timeout,
    'strict': Interp.cmd_strict,
    'drain': Interp.cmd_drain,
    'flood': Interp.cmd_flood,
    'app-wait': Interp.cmd_app_wait,
    'require': Interp.cmd_require,
    'skip': Interp.cmd_skip,
    'print': Interp.cmd_print,
    'log': Interp.cmd_print,
    'mark': Interp.cmd_mark,
}

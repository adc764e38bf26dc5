# SPDX-License-Identifier: GPL-2.0
"""Applications on the dut side: dutapp.py driven over a pipe, one command
line at a time."""

import os
import re
import select
import signal
import subprocess
import sys
import time

from .errors import TestFailure
from .paths import DUTAPP, PEERDIR


class ForkedApp:
    """dutapp.py run in a child forked from this process: no interpreter
    start-up (0.5 s under QEMU TCG).  Mimics the bits of Popen that App uses."""

    def __init__(self, proto, env):
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            pid = os.fork()
        if pid == 0:
            rc = 1
            try:
                os.setsid()
                os.dup2(in_r, 0)
                os.dup2(out_w, 1)
                os.dup2(out_w, 2)
                os.closerange(3, 1024)
                os.environ.clear()
                os.environ.update(env)
                sys.stdin = open(0, 'r', closefd=False)
                sys.stdout = open(1, 'w', buffering=1, closefd=False)
                sys.stderr = sys.stdout
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                if PEERDIR not in sys.path:
                    sys.path.insert(0, PEERDIR)
                import dutapp
                rc = dutapp.main(['--proto', str(proto)])
            except SystemExit as e:
                rc = e.code if isinstance(e.code, int) else 1
            except BaseException:
                import traceback
                traceback.print_exc()
            finally:
                try:
                    sys.stdout.flush()
                finally:
                    os._exit(rc or 0)
        os.close(in_r)
        os.close(out_w)
        self.pid = pid
        self.returncode = None
        self.stdin = os.fdopen(in_w, 'w', buffering=1)
        self.stdout = os.fdopen(out_r, 'r')

    def poll(self):
        if self.returncode is None:
            p, st = os.waitpid(self.pid, os.WNOHANG)
            if p:
                self.returncode = os.waitstatus_to_exitcode(st)
        return self.returncode

    def wait(self, timeout=None):
        if self.poll() is not None:
            return self.returncode
        # A pidfd becomes readable when the child exits: no polling loop.
        pidfd = os.pidfd_open(self.pid)
        try:
            if not select.select([pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired('dutapp', timeout)
        finally:
            os.close(pidfd)
        _pid, st = os.waitpid(self.pid, 0)
        self.returncode = os.waitstatus_to_exitcode(st)
        return self.returncode


class App:
    """One dut application: a command goes to its stdin as `ID ACTIONS`,
    and it answers `@@done ID` or `@@fail ID WHY`; anything else it prints
    goes to the script's log."""

    def __init__(self, name, sess, interp):
        self.name = name
        self.interp = interp
        if os.environ.get('PEER_APP_EXEC'):
            self.p = subprocess.Popen([sys.executable, '-u', DUTAPP, '--proto', str(sess.proto)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, bufsize=1,
                                      env=sess.env(), start_new_session=True)
        else:
            self.p = ForkedApp(sess.proto, sess.env())
        # The app's output is read here, from the pipe, when select() says
        # there is some: a command's end is seen when the app writes it, not
        # when another thread gets the interpreter lock.
        self.fd = self.p.stdout.fileno()
        self.buf = b''
        self.eof = False
        self.next_id = 1
        self.done = set()
        self.failed = {}
        self.pending = set()

    def _read(self, timeout):
        """Consume what the app wrote, waiting up to timeout for some;
        False once it has closed its output."""
        if self.eof:
            return False
        if not select.select([self.fd], [], [], timeout)[0]:
            return True
        data = os.read(self.fd, 65536)
        if not data:
            self.eof = True
            if self.buf:
                self._consume(self.buf.decode(errors='replace'))
                self.buf = b''
            return False
        *lines, self.buf = (self.buf + data).split(b'\n')
        for ln in lines:
            self._consume(ln.decode(errors='replace'))
        return True

    def _consume(self, line):
        m = re.match(r'@@(done|fail) (\d+) ?(.*)', line)
        if m:
            i = int(m.group(2))
            self.pending.discard(i)
            if m.group(1) == 'done':
                self.done.add(i)
            else:
                self.failed[i] = m.group(3)
                self.interp.log('app %s: FAIL %s' % (self.name, m.group(3)))
        else:
            self.interp.log('app %s: %s' % (self.name, line))

    def poll(self):
        """Consume what the app has written by now."""
        while not self.eof and select.select([self.fd], [], [], 0)[0]:
            self._read(0)

    def send(self, actions):
        i = self.next_id
        self.next_id += 1
        self.pending.add(i)
        try:
            self.p.stdin.write('%d %s\n' % (i, actions))
            self.p.stdin.flush()
        except BrokenPipeError:
            raise TestFailure('app %s is gone (exit %s)' % (self.name, self.p.poll()))
        return i

    def wait(self, ids, timeout):
        deadline = time.time() + timeout
        while any(i in self.pending for i in ids):
            if not self._read(max(0.0, deadline - time.time())):
                raise TestFailure('app %s exited (status %s) before finishing %s'
                                  % (self.name, self.p.wait(), sorted(self.pending)))
            if time.time() > deadline and any(i in self.pending for i in ids):
                raise TestFailure('app %s: timeout waiting for command(s) %s'
                                  % (self.name, sorted(i for i in ids if i in self.pending)))
        bad = [i for i in ids if i in self.failed]
        if bad:
            raise TestFailure('app %s: command %d failed: %s'
                              % (self.name, bad[0], self.failed[bad[0]]))

    def stop(self, timeout=1.0):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except OSError:
                pass
            self.p.wait()
        self.poll()

# SPDX-License-Identifier: GPL-2.0
"""selftests/peer/run: scripts run one after the other, each in fresh
namespaces, reported as TAP."""

import os
import random
import re
import sys
import time

from .errors import ScriptError, TestFailure
from .interp import Interp
from .netns import Session
from .paths import SCRIPTDIR


def run_script(path, proto, out=sys.stdout, dut_netns=None, tolerance=0.1, timeout=3.0,
               seed=None, verbose=True, keep=False, pcap=None):
    """Run one script in fresh namespaces.  Returns (status, message):
    status 'ok', 'fail', 'skip', or 'todo-ok'/'todo-fail' (message: the TODO
    reason, then the failure)."""
    with open(path) as f:
        lines = f.read().splitlines()
    # whole-script `require` first, so that skipped scripts cost nothing
    todo = None
    for ln in lines:
        m = re.match(r'^\s*require\s+(tcp|atcp)\b\s*(.*)$', ln)
        if m and (m.group(1) == 'tcp') != (proto == 6):
            return 'skip', m.group(2) or 'needs %s' % m.group(1)
        m = re.match(r'^\s*todo\s+(tcp|atcp|all)\b\s*(.*)$', ln)
        if m and (m.group(1) == 'all' or (m.group(1) == 'tcp') == (proto == 6)):
            todo = m.group(2) or 'not done yet'
    st, msg = _run_script(path, lines, proto, out, dut_netns, tolerance, timeout, seed,
                          verbose, keep, pcap)
    if todo is not None and st in ('ok', 'fail'):
        return 'todo-' + st, '%s\n%s' % (todo, msg)
    return st, msg


def _run_script(path, lines, proto, out, dut_netns, tolerance, timeout, seed, verbose, keep,
                pcap):
    sess = None
    it = None
    try:
        t0 = time.time()
        sess = Session(proto, dut_netns, keep=keep)
        if pcap:
            sess.peer.open_pcap(pcap)
        t1 = time.time()
        it = Interp(sess, os.path.basename(path), out, tolerance, timeout, seed, verbose)
        try:
            it.run_lines(lines)
            if it.skip_reason is not None:
                return 'skip', it.skip_reason
            it.finish()
        finally:
            t2 = time.time()
            it.cleanup()
            if os.environ.get('PEER_DEBUG'):
                it.log('setup %.3fs, script %.3fs, cleanup %.3fs' % (t1 - t0, t2 - t1,
                                                                      time.time() - t2))
        return 'ok', ''
    except TestFailure as e:
        if it is not None and not verbose:
            for ln in it.logbuf:
                out.write('# %s\n' % ln)
        return 'fail', str(e)
    except ScriptError as e:
        return 'fail', 'script error: %s' % e
    except Exception:
        import traceback
        return 'fail', 'internal error:\n' + traceback.format_exc()
    finally:
        if sess is not None:
            sess.close()


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description='atcp packet-level test peer')
    ap.add_argument('--proto', type=int, default=int(os.environ.get('ATCP_PROTO', 253)))
    ap.add_argument('--dut-netns', default=None,
                    help="existing netns for the dut ('-' = the current one); "
                         'default: a fresh one per script')
    ap.add_argument('--tolerance', type=float, default=float(os.environ.get('PEER_TOLERANCE', 0.1)))
    ap.add_argument('--timeout', type=float, default=3.0)
    ap.add_argument('--seed', type=int, default=None)
    ap.add_argument('-q', '--quiet', action='store_true', help='print traces only on failure')
    ap.add_argument('--keep', action='store_true', help='keep the namespaces (debugging)')
    ap.add_argument('--pcap', metavar='DIR',
                    help='write DIR/SCRIPT.pcap: every frame the peer sent and received')
    ap.add_argument('scripts', nargs='*')
    a = ap.parse_args(argv)
    if not a.scripts:
        a.scripts = sorted(
            os.path.join(SCRIPTDIR, f) for f in os.listdir(SCRIPTDIR)
            if f.endswith('.pkt'))
    paths = []
    for s in a.scripts:
        if not os.path.exists(s):
            alt = os.path.join(SCRIPTDIR, s if s.endswith('.pkt') else s + '.pkt')
            if os.path.exists(alt):
                s = alt
        paths.append(s)
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    if os.geteuid() != 0:
        print('TAP version 13')
        print('1..0 # SKIP the packet peer needs root (namespaces, AF_PACKET)')
        return 4
    print('TAP version 13')
    print('1..%d' % len(paths))
    print('# peer: proto %d, seed %d' % (a.proto, seed))
    sys.stdout.flush()
    failed = 0
    for n, p in enumerate(paths, 1):
        name = os.path.basename(p)
        if name.endswith('.pkt'):
            name = name[:-4]
        t = time.time()
        pcap = None
        if a.pcap:
            os.makedirs(a.pcap, exist_ok=True)
            pcap = os.path.join(a.pcap, name + '.pcap')
        status, msg = run_script(p, a.proto, sys.stdout, a.dut_netns, a.tolerance, a.timeout,
                                 seed + n, not a.quiet, a.keep, pcap)
        dt = time.time() - t
        if status == 'ok':
            print('ok %d - %s (%.2fs)' % (n, name, dt))
        elif status == 'todo-ok':
            print('ok %d - %s (%.2fs) # TODO %s' % (n, name, dt, msg.splitlines()[0]))
        elif status == 'todo-fail':
            for ln in msg.splitlines()[1:]:
                print('# FAIL: ' + ln)
            print('not ok %d - %s # TODO %s' % (n, name, msg.splitlines()[0]))
        elif status == 'skip':
            print('ok %d - %s # SKIP %s' % (n, name, msg))
        else:
            failed += 1
            for ln in msg.splitlines():
                print('# FAIL: ' + ln)
            print('not ok %d - %s' % (n, name))
        sys.stdout.flush()
    return 1 if failed else 0


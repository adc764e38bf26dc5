# SPDX-License-Identifier: GPL-2.0
"""A script run's packet side: its connections and their sequence numbers,
the segments it sends, what it expects back and when."""

import random
import re
import select
import socket
import struct
import sys
import time

from .errors import ScriptError, TestFailure
from .flood import flood_frames
from .netns import DUT_IP, PEER_IP
from .options import build_opts, opt_matches, opt_text, split_opts
from .text import decode_escapes, pattern_bytes, show_bytes, wild_int
from .wire import (F_ACK, F_FIN, F_PSH, F_RST, F_SYN, M32, build_icmp_error, build_l4,
                   build_quote, flags_str, parse_flags, parse_ip_frame, signed32)

TIME_RE = re.compile(r'^(\+)?(\d+(?:\.\d*)?|\.\d+)(?:\.\.(\d+(?:\.\d*)?|\.\d+))?$')

# Only scripts that share the dut namespace (--dut-netns) can see these.
STALE_TUPLES = set()   # (dut ip, dut port, peer ip, peer port) of finished scripts
STALE_NETS = []        # (base, size) of finished floods' sources


class Conn:
    def __init__(self, name, src, dst, sport, dport, isn, win=65535):
        self.name = name
        self.src, self.dst = src, dst          # peer ip, dut ip
        self.sport, self.dport = sport, dport  # peer port, dut port (None: learn)
        self.peer_isn = isn
        self.dut_isn = None
        self.snd_nxt = 0      # relative to peer_isn
        self.rcv_nxt = None   # relative to dut_isn
        self.last_tsval = None
        self.last_sent_tsval = None
        self.last_rx = None   # (seq, ack, flags, win) of the dut's last segment
        self.win = win
        self.autots = False

    def tuple_str(self):
        return '%s:%s > %s:%s' % (self.src, self.sport, self.dst,
                                   self.dport if self.dport is not None else '*')



class ScriptRun:
    """Times are absolute (time.time()); the dut's and the peer's numbers
    are kept relative to their ISNs, as scripts write them."""

    def __init__(self, sess, name='script', out=sys.stdout, tolerance=0.1, timeout=3.0,
                 seed=None, verbose=True):
        self.sess = sess
        self.peer = sess.peer
        self.proto = sess.proto
        self.name = name
        self.out = out
        self.tolerance = tolerance
        self.timeout = timeout
        self.rng = random.Random(seed)
        self.verbose = verbose
        self.conns = {}
        self.default = None
        self.pending = []
        self.strict = True
        self.flood_nets = []
        self.ignore_others = False
        self.ignored = 0
        self.t0 = time.time()
        self.mark = self.t0     # end of the previous line: base of +T on commands
        self.pmark = self.t0    # previous packet sent/received: base of +T on `<`
        self.lineno = 0
        self.logbuf = []
        self.peer.log = self.log

    # -- output
    def log(self, s):
        line = s
        self.logbuf.append(line)
        if self.verbose:
            self.out.write('# %s\n' % line)
            self.out.flush()

    def ts(self, t):
        return '%7.3f' % (t - self.t0)

    def fail(self, msg):
        raise TestFailure('line %d: %s' % (self.lineno, msg))

    # -- connections
    def conn_for(self, s):
        """The connection a received segment belongs to (learning the dut port)."""
        for c in self.conns.values():
            if (s.src == c.dst and s.dst == c.src and s.dport == c.sport and
                    s.sport == c.dport):
                return c
        if self.is_stale(s):
            return None
        for c in self.conns.values():
            if (c.dport is None and s.src == c.dst and s.dst == c.src and
                    s.dport == c.sport):
                c.dport = s.sport
                return c
        return None

    def is_stale(self, s):
        """A segment of an earlier script's connection or flood (only possible
        when scripts share the dut namespace: --dut-netns)."""
        if (s.src, s.sport, s.dst, s.dport) in STALE_TUPLES:
            return True
        ip = struct.unpack('!I', socket.inet_aton(s.dst))[0]
        return any(base <= ip < base + size for base, size in STALE_NETS)

    def new_conn(self, name, kv):
        sport = kv.get('sport', '*')
        sport = self.rng.randint(20000, 60000) if sport in ('*', 'rand') else int(sport)
        dport = kv.get('dport', '8080')
        dport = None if dport == '*' else int(dport)
        isn = kv.get('isn', 'rand')
        isn = self.rng.randint(0, M32) if isn == 'rand' else int(isn, 0) & M32
        c = Conn(name, kv.get('src', PEER_IP), kv.get('dst', DUT_IP), sport, dport, isn,
                 int(kv.get('win', '65535'), 0))
        c.autots = kv.get('ts', 'off') == 'auto'
        self.conns[name] = c
        if self.default is None or kv.get('default') == '1' or name == 'c':
            self.default = c
        return c

    def get_conn(self, name):
        if name is None:
            if self.default is None:
                self.new_conn('c', {})
            return self.default
        if name not in self.conns:
            self.fail('unknown connection @%s' % name)
        return self.conns[name]

    def note_rx(self, s, c):
        if c is None or s.short:
            return
        if s.flags & F_SYN and c.dut_isn is None:
            c.dut_isn = s.seq
        c.last_rx = (s.seq, s.ack, s.flags, s.win)
        for o in s.opts:
            if o[0] == 'ts':
                c.last_tsval = o[1]
        if s.flags & F_RST:
            return
        base = c.dut_isn or 0
        end = signed32(s.seq - base) + len(s.payload) + (1 if s.flags & F_SYN else 0) + \
            (1 if s.flags & F_FIN else 0)
        if c.rcv_nxt is None or end > c.rcv_nxt:
            c.rcv_nxt = end

    # -- formatting
    def fmt(self, s, c, sent):
        parts = []
        if c is None:
            parts.append('{%s:%d>%s:%d}' % (s.src, s.sport, s.dst, s.dport))
        elif c is not self.default:
            parts.append('@' + c.name)
        if s.short and s.l4len < 20:
            parts.append('short l4len=%d' % s.l4len)
            return ' '.join(parts)
        parts.append(flags_str(s.flags))
        if c is None:
            seqbase, ackbase = 0, 0
        elif sent:
            seqbase, ackbase = c.peer_isn, (c.dut_isn or 0)
        else:
            seqbase, ackbase = (c.dut_isn or 0), c.peer_isn
        parts.append('seq=%d' % signed32(s.seq - seqbase) if c else 'seq=abs:%d' % s.seq)
        if s.flags & F_ACK or s.ack:
            parts.append('ack=%d' % signed32(s.ack - ackbase) if c else 'ack=abs:%d' % s.ack)
        parts.append('win=%d' % s.win)
        if s.urg:
            parts.append('urg=%d' % s.urg)
        if s.payload:
            if len(s.payload) <= 40:
                parts.append('data=%s' % show_bytes(s.payload))
            else:
                parts.append('len=%d' % len(s.payload))
        sack_base = ackbase if c else 0
        if s.opts:
            parts.append('opts=' + ','.join(opt_text(o, sack_base) for o in s.opts))
        if s.short:
            parts.append('doff=%d l4len=%d' % (s.doff, s.l4len))
        if s.csum_ok is False:
            parts.append('csum=bad')
        return ' '.join(parts)

    def show(self, s, c, sent, t, extra=''):
        self.log('%s %s %s%s' % (self.ts(t), '>' if sent else '<', self.fmt(s, c, sent), extra))

    # -- receiving
    def pull(self, deadline):
        if self.pending:
            return self.pending.pop(0)
        s = self.peer.recv(deadline)
        if s is not None:
            s.conn = self.conn_for(s)
            self.note_rx(s, s.conn)
        return s

    def drain_nowait(self):
        while True:
            s = self.peer.recv(0)
            if s is None:
                return
            s.conn = self.conn_for(s)
            self.note_rx(s, s.conn)
            self.pending.append(s)

    def wait_for_dut(self, timeout):
        """Wait up to timeout for a segment from the dut; what came is kept
        for the next `<`."""
        if select.select([self.peer.sock], [], [], timeout)[0]:
            self.drain_nowait()

    def ignorable(self, s):
        """Under `strict conns`, segments of no known connection are ignored;
        so are, always, those of connections of earlier scripts."""
        if s.conn is None and self.is_stale(s):
            self.ignored += 1
            if self.ignored <= 3:
                self.show(s, None, False, s.t, '   (ignored: an earlier script\'s)')
            return True
        if self.ignore_others and s.conn is None:
            self.ignored += 1
            if self.ignored <= 3:
                self.show(s, None, False, s.t, '   (ignored: no connection)')
            return True
        return False

    def check_unexpected(self, where):
        self.drain_nowait()
        self.pending = [s for s in self.pending if not self.ignorable(s)]
        if not self.pending:
            return
        for s in self.pending:
            self.show(s, s.conn, False, s.t, '   <-- unexpected')
        if self.strict:
            n = len(self.pending)
            self.pending = []
            self.fail('%d unexpected segment(s) %s' % (n, where))
        self.pending = []

    # -- timing
    def parse_time(self, tok, relbase=None):
        if tok == '*':
            return None
        m = TIME_RE.match(tok)
        rel = bool(m.group(1))
        lo = float(m.group(2))
        hi = float(m.group(3)) if m.group(3) else None
        base = (self.mark if relbase is None else relbase) if rel else self.t0
        if hi is None:
            return (base + lo, None)
        return (base + lo, base + hi)

    def wait_until(self, t):
        while True:
            d = t - time.time()
            if d <= 0:
                return
            time.sleep(min(d, 0.05))

    # -- packet lines
    def parse_pkt(self, toks):
        conn = None
        if toks and toks[0].startswith('@'):
            conn = toks.pop(0)[1:]
        if not toks:
            raise ScriptError('missing flags')
        flags = toks.pop(0)
        kv = {}
        for t in toks:
            m = re.match(r'^([a-z_]+)(=|~)(.*)$', t, re.S)
            if not m:
                raise ScriptError('bad field %r (want key=value)' % t)
            kv[m.group(1)] = m.group(3)
        return conn, flags, kv

    def rel_num(self, v, base):
        """Send side: 'abs:N', 'N' (relative), returns absolute."""
        if v.startswith('abs:'):
            return int(v[4:], 0) & M32
        if v == 'rand':
            return self.rng.randint(0, M32)
        return (base + int(v, 0)) & M32

    def do_send(self, toks):
        cname, flags, kv = self.parse_pkt(toks)
        if flags == 'icmp':
            self.do_send_icmp(cname, kv)
            return
        c = self.get_conn(cname)
        f = parse_flags(flags) if 'flags' not in kv else int(kv['flags'], 0)
        if 'data' in kv:
            payload = decode_escapes(kv['data'])
        elif 'hex' in kv:
            payload = bytes.fromhex(kv['hex'])
        else:
            payload = b''
        seq = self.rel_num(kv['seq'], c.peer_isn) if 'seq' in kv else (c.peer_isn + c.snd_nxt) & M32
        seq_rel = signed32(seq - c.peer_isn)
        if 'len' in kv and 'data' not in kv and 'hex' not in kv:
            payload = pattern_bytes(seq_rel - 1, int(kv['len'], 0))
        dbase = c.dut_isn or 0
        if 'ack' in kv:
            ack = self.rel_num(kv['ack'], dbase)
        elif f & F_ACK:
            ack = (dbase + (c.rcv_nxt or 0)) & M32
        else:
            ack = 0
        win = int(kv.get('win', str(c.win)), 0)
        now_ms = int((time.time() - self.t0) * 1000) + 1000
        if 'opts' in kv:
            ob = build_opts(kv['opts'], c, now_ms)
        elif c.autots and not f & F_RST:
            ob = build_opts('nop,nop,ts:now:echo', c, now_ms)
        else:
            ob = b''
        src = kv.get('src', c.src)
        dst = kv.get('dst', c.dst)
        sport = int(kv.get('sport', c.sport))
        dport = kv.get('dport', c.dport)
        if dport is None:
            self.fail('dut port of @%s not known yet' % c.name)
        dport = int(dport)
        csum = kv.get('csum')
        if csum is not None and csum != 'bad':
            csum = int(csum, 0)
        ipkw = dict(ttl=int(kv.get('ttl', '64'), 0), tos=int(kv.get('tos', '0'), 0),
                    ipid=int(kv.get('ipid', '0'), 0), df=kv.get('df', '1') != '0',
                    iplen=int(kv['iplen'], 0) if 'iplen' in kv else None,
                    ipcsum_bad=kv.get('ipcsum') == 'bad')
        # split=N: the payload as segments of N bytes, built first and sent
        # back to back (as TSO would: PSH and FIN on the last one only).
        step = int(kv.get('split', '0'), 0) or max(len(payload), 1)
        chunks = [(o, payload[o:o + step]) for o in range(0, max(len(payload), 1), step)]
        l4s = []
        for i, (o, part) in enumerate(chunks):
            fl = f if i == len(chunks) - 1 else f & ~(F_PSH | F_FIN)
            l4s.append(build_l4(sport, dport, seq + o, ack, fl, win, ob, part,
                                urg=int(kv.get('urg', '0'), 0), src=src, dst=dst,
                                proto=self.proto,
                                doff=int(kv['doff'], 0) if 'doff' in kv else None,
                                csum=csum,
                                trunc=int(kv['trunc'], 0) if 'trunc' in kv else None,
                                res=int(kv.get('res', '0'), 0)))
        ts = [self.peer.send_l4(src, dst, l4, **ipkw) for l4 in l4s]
        t = ts[-1]
        self.pmark = t
        end = seq_rel + len(payload) + (1 if f & F_SYN else 0) + (1 if f & F_FIN else 0)
        if not f & F_RST and src == c.src and sport == c.sport and end > c.snd_nxt:
            c.snd_nxt = end
        for l4, tt in zip(l4s, ts):
            kind, s = parse_ip_frame(self.peer.frame(src, dst, l4, **ipkw), self.proto)
            if kind == 'seg':
                self.show(s, c if (src == c.src and sport == c.sport) else None, True, tt)
        self.mark = t

    def do_send_icmp(self, cname, kv):
        """> [@CONN] icmp type=T code=C ...: an ICMP error about the
        connection, quoting a segment of it as the dut sent it."""
        c = self.get_conn(cname)
        known = {'type', 'code', 'seq', 'ack', 'flags', 'win', 'quote', 'mtu', 'ptr', 'rest',
                 'src', 'dst', 'sport', 'dport', 'qsrc', 'qdst', 'qproto', 'qlen', 'qihl',
                 'csum', 'ttl', 'tos', 'ipid', 'df'}
        bad = sorted(set(kv) - known)
        if bad:
            raise ScriptError('icmp: unknown field(s) %s' % ', '.join(bad))
        if 'type' not in kv or 'code' not in kv:
            raise ScriptError('icmp: type= and code= are required')
        typ, code = int(kv['type'], 0), int(kv['code'], 0)
        # The quoted segment: by default the last one the dut sent on the
        # connection; seq relative to the dut's ISN, ack to the peer's.
        dbase = c.dut_isn or 0
        lseq, lack, lflags, lwin = c.last_rx or (dbase, (c.peer_isn + c.snd_nxt) & M32,
                                                 F_ACK, 0)
        seq = self.rel_num(kv['seq'], dbase) if 'seq' in kv else lseq
        ack = self.rel_num(kv['ack'], c.peer_isn) if 'ack' in kv else lack
        f = parse_flags(kv['flags']) if 'flags' in kv else lflags
        win = int(kv['win'], 0) if 'win' in kv else lwin
        sport = int(kv.get('sport', c.sport))
        dport = kv.get('dport', c.dport)
        if dport is None:
            self.fail('dut port of @%s not known yet' % c.name)
        dport = int(dport)
        qsrc, qdst = kv.get('qsrc', c.dst), kv.get('qdst', c.src)
        qproto = int(kv.get('qproto', str(self.proto)), 0)
        quote = int(kv.get('quote', '8'), 0)
        seg = build_l4(dport, sport, seq, ack, f, win, b'', b'\0' * max(0, quote - 20),
                       src=qsrc, dst=qdst, proto=qproto)[:quote]
        quoted = build_quote(qsrc, qdst, qproto, seg,
                             qlen=int(kv['qlen'], 0) if 'qlen' in kv else None,
                             ihl=int(kv['qihl'], 0) if 'qihl' in kv else None)
        rest = int(kv.get('rest', '0'), 0)
        if 'mtu' in kv:
            rest = (rest & ~0xffff) | (int(kv['mtu'], 0) & 0xffff)
        if 'ptr' in kv:
            rest = (rest & 0xffffff) | (int(kv['ptr'], 0) & 0xff) << 24
        csum = kv.get('csum')
        if csum is not None and csum != 'bad':
            csum = int(csum, 0)
        msg = build_icmp_error(typ, code, quoted, rest, csum)
        src, dst = kv.get('src', c.src), kv.get('dst', c.dst)
        ipkw = dict(ttl=int(kv.get('ttl', '64'), 0), tos=int(kv.get('tos', '0'), 0),
                    ipid=int(kv.get('ipid', '0'), 0), df=kv.get('df', '1') != '0')
        t = self.peer.send_l4(src, dst, msg, proto=1, **ipkw)
        self.pmark = self.mark = t
        mine = c.dut_isn is not None and not kv.get('seq', '').startswith('abs:')
        what = ['type=%d code=%d' % (typ, code)]
        what += ['%s=%s' % (k, kv[k]) for k in ('mtu', 'ptr', 'rest', 'src', 'dst') if k in kv]
        what.append('quoting %s%s seq=%s%s win=%d (%d bytes%s%s)' % (
            '' if c is self.default else '@%s ' % c.name, flags_str(f),
            '%d' % signed32(seq - dbase) if mine else 'abs:%d' % seq,
            ' ack=%d' % signed32(ack - c.peer_isn) if f & F_ACK else '', win, len(seg),
            '' if qproto == self.proto else ', protocol %d' % qproto,
            '' if 'qihl' not in kv else ', ihl %s' % kv['qihl']) +
            ('' if 'sport' not in kv and 'dport' not in kv else ' ports %d > %d' % (dport, sport)))
        self.log('%s > icmp %s%s' % (self.ts(t), ' '.join(what),
                                     ' csum=%s' % kv['csum'] if 'csum' in kv else ''))

    def match(self, kv, flags, s, c):
        """Returns None when the segment matches, else the reason."""
        if s.short and s.l4len < 20:
            return 'short segment'
        if flags != '*':
            # `X?` marks a flag that may or may not be set (e.g. `P?.`)
            opt = 0
            for m in re.finditer(r'(.)\?', flags):
                opt |= parse_flags(m.group(1))
            need = parse_flags(re.sub(r'.\?', '', flags) or 'none')
            if s.flags & ~opt != need:
                return 'flags %s, expected %s' % (flags_str(s.flags), flags)
        seqbase = (c.dut_isn or 0) if c else 0
        ackbase = c.peer_isn if c else 0
        for key, val, base in (('seq', s.seq, seqbase), ('ack', s.ack, ackbase)):
            if key not in kv or kv[key] == '*':
                continue
            pat = kv[key]
            if pat.startswith('abs:'):
                ok = wild_int(pat[4:], val)
                shown = val
            else:
                shown = signed32(val - base)
                ok = wild_int(pat, shown)
            if not ok:
                return '%s=%d, expected %s' % (key, shown, pat)
        for key, val in (('win', s.win), ('urg', s.urg), ('len', len(s.payload)),
                         ('ttl', s.ttl), ('tos', s.tos), ('doff', s.doff),
                         ('sport', s.sport), ('dport', s.dport)):
            if key in kv and not wild_int(kv[key], val):
                return '%s=%d, expected %s' % (key, val, kv[key])
        if 'data' in kv and decode_escapes(kv['data']) != s.payload:
            return 'data %s, expected "%s"' % (show_bytes(s.payload), kv['data'])
        if 'hex' in kv and bytes.fromhex(kv['hex']) != s.payload:
            return 'payload %s, expected hex %s' % (s.payload.hex(), kv['hex'])
        for key, val in (('src', s.src), ('dst', s.dst)):
            if key in kv and kv[key] != val:
                return '%s=%s, expected %s' % (key, val, kv[key])
        if 'df' in kv and (kv['df'] != '0') != s.df:
            return 'df=%d, expected %s' % (s.df, kv['df'])
        if kv.get('csum', '') != '*' and s.csum_ok is False:
            return 'bad checksum 0x%04x' % s.csum
        if kv.get('csum') == 'bad' and s.csum_ok:
            return 'checksum good, expected bad'
        if 'opts' in kv and kv['opts'] != '*':
            want = split_opts(kv['opts'])
            if len(want) != len(s.opts) or not all(
                    opt_matches(w, o, ackbase) for w, o in zip(want, s.opts)):
                return 'options %s, expected %s' % (
                    ','.join(opt_text(o, ackbase) for o in s.opts) or '(none)', kv['opts'])
        if 'hasopts' in kv:
            for w in split_opts(kv['hasopts']):
                neg = w.startswith('!')
                w = w.lstrip('!')
                have = any(opt_matches(w, o, ackbase) for o in s.opts)
                if have == neg:
                    return 'option %s %s' % (w, 'present' if neg else 'missing or different')
        return None

    def do_expect(self, toks, tspec):
        cname, flags, kv = self.parse_pkt(toks)
        anyconn = cname == '*'
        c = None if anyconn else self.get_conn(cname)
        if tspec is None:
            lo = hi = None
            deadline = max(time.time(), self.mark) + self.timeout
        else:
            lo, hi = tspec
            if hi is None:
                lo, hi = lo - self.tolerance, lo + self.tolerance
            deadline = max(hi, time.time() + 0.001)
        want = '< %s%s %s' % ('@%s ' % cname if cname else '', flags,
                              ' '.join('%s=%s' % kv_ for kv_ in kv.items()))
        while True:
            s = self.pull(deadline)
            if s is None:
                if tspec is not None:
                    self.fail('nothing arrived by +%.3f (expected %s)' % (hi - self.pmark, want))
                self.fail('timeout (%.1fs) waiting for: %s' % (self.timeout, want))
            sc = s.conn
            if self.ignorable(s):
                continue
            why = None
            if not anyconn and sc is not c:
                why = 'segment of another connection (%s)' % (
                    sc.name if sc else '%s:%d>%s:%d' % (s.src, s.sport, s.dst, s.dport))
            if why is None:
                why = self.match(kv, flags, s, sc)
            dt = ' (%+.3f)' % (s.t - self.pmark)
            if why is None:
                if lo is not None and not lo <= s.t <= hi:
                    self.show(s, sc, False, s.t, dt)
                    self.fail('arrived at +%.3f, expected +%.3f..%.3f after the previous packet'
                              % (s.t - self.pmark, lo - self.pmark, hi - self.pmark))
                self.show(s, sc, False, s.t, dt)
                self.mark = self.pmark = s.t
                return s
            self.show(s, sc, False, s.t, dt + '   <-- no match')
            if self.strict:
                self.fail('unexpected segment: %s\n  expected: %s' % (why, want))

    def do_expect_none(self, secs):
        deadline = time.time() + secs
        while True:
            s = self.pull(deadline)
            if s is None or not self.ignorable(s):
                break
        if s is not None:
            self.show(s, s.conn, False, s.t, '   <-- expected nothing')
            self.fail('a segment arrived where none was expected')
        self.mark = time.time()

    # -- flood
    def do_flood(self, kv):
        n = int(kv.get('n', kv.get('count', '1000')), 0)
        c = self.get_conn(kv.get('conn'))
        net = kv.get('src', '10.253.128.0/17')
        if '/' in net:
            a, bits = net.split('/')
            base = struct.unpack('!I', socket.inet_aton(a))[0]
            size = 1 << (32 - int(bits))
            base &= ~(size - 1) & M32
        else:
            base, size = struct.unpack('!I', socket.inet_aton(net))[0], 1
        self.flood_nets.append((base, size))
        dport = int(kv.get('dport', c.dport if c.dport is not None else 8080))
        dst = kv.get('dst', c.dst)
        f = parse_flags(kv.get('flags', 'S'))
        win = int(kv.get('win', '65535'), 0)
        ob = build_opts(kv.get('opts', 'mss:1460'), None, 0)
        rate = float(kv.get('rate', '0'))
        t = time.time()
        frames = flood_frames(self.peer.ethhdr, self.proto, n, base, size, dst, dport, f, win,
                              ob, kv.get('sport', 'rand'), self.rng)
        tb = time.time()
        if rate > 0:
            sent = 0
            start = time.time()
            for fr in frames:
                self.peer.send_frames((fr,))
                sent += 1
                ahead = sent / rate - (time.time() - start)
                if ahead > 0.001:
                    time.sleep(ahead)
        else:
            self.peer.send_frames(frames)
        te = time.time()
        self.log('%s > flood: %d x %s to %s:%d from %s (built in %.2fs, sent in %.2fs, %.0f/s)'
                 % (self.ts(te), n, flags_str(f), dst, dport, net, tb - t, te - tb,
                    n / max(te - tb, 1e-6)))
        self.mark = self.pmark = te

    def do_drain(self, secs):
        deadline = time.time() + secs
        n = 0
        self.pending = []
        while True:
            s = self.peer.recv(deadline)
            if s is None:
                break
            s.conn = self.conn_for(s)
            self.note_rx(s, s.conn)
            n += 1
        self.log('%s   drained %d segment(s)' % (self.ts(time.time()), n))
        self.mark = time.time()


    def report_failure(self, emit, err=None, tail=40):
        """For a test that drives the peer from Python: the last lines of
        the run's log, then what failed (err, if given), each to emit()."""
        for line in self.logbuf[-tail:]:
            emit(line)
        if err is not None:
            emit('FAIL: %s' % err)

    def finish(self):
        """End of script: unexpected leftovers."""
        self.check_unexpected('at the end of the script')

    def cleanup(self):
        # Scripts that share the dut namespace (--dut-netns) must not see
        # each other's leftovers: reset what this one left open, and ignore
        # whatever still comes from its tuples and flood sources.
        shared = self.sess.dut_netns is not None
        for c in self.conns.values():
            if c.dport is None:
                continue
            STALE_TUPLES.add((c.dst, c.dport, c.src, c.sport))
            if shared and self.peer.sock:
                try:
                    l4 = build_l4(c.sport, c.dport, c.peer_isn + c.snd_nxt, 0, F_RST, 0, b'',
                                  b'', src=c.src, dst=c.dst, proto=self.proto)
                    self.peer.send_l4(c.src, c.dst, l4)
                except OSError:
                    pass
        STALE_NETS.extend(self.flood_nets)

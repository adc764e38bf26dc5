# SPDX-License-Identifier: GPL-2.0
"""atcp_diagram: sequence diagrams (SVG) and the index page of the demo.

tools/atcp-lesson builds, for each run of an experiment, a dict (the
"runs" of lesson.json) with:

    label       what was run ("atcp (IP protocol 253), tw_timeout=2")
    client, server   "addr:port"
    segments    [{t_send, t_recv, dir ("c>s" or "s>c"), flags, seq, ack,
                  len, conn}]: ms, relative sequence numbers (per
                  connection, conn counts from 0)
    states      [{t, side ("client" or "server"), state, note, stated}]:
                  the states each end entered, from the kernel; "stated"
                  ones were not observed (Linux's TIME_WAIT end, 60 s)
    calls       [{t, side, text}]: what the programs called
    spans       [{side, t1, t2, text}]: a delay to point out
    check       {ok, text}

svg(run, scale) draws one as a sequence diagram: a column (a lifeline) per
end, an arrow per segment with its flags and relative seq/ack/len, each
state beside its column where it was entered, the calls in grey.  Time
runs down; with scale > 0 (pixels per millisecond) the gaps between events
are drawn to scale, up to a cap, so that delays can be compared between
diagrams of one experiment; longer gaps (and, with scale 0, gaps over
200 ms) are cut, and the cut is labelled with its length.  Every arrow is
an element of class "arrow", every state label one of class "state":
selftests/test_demo_svg.py counts them.

index_html(lesson) is the page that shows every experiment's diagrams side
by side, with its expectation and whether it was met.
"""

import html

# Geometry (pixels).
WIDTH = 760
X_TIME = 52          # right edge of the time labels
X_CLIENT = 250
X_SERVER = 570
LANE = 180           # width of the state/call lanes outside the columns
TOP = 92             # first event
MIN_STEP = 3         # least vertical step between two instants
CAP = 420            # the longest gap drawn to scale
BREAK = 34           # height of a cut
LONG_MS = 200        # with scale 0: gaps longer than this are cut
SLANT = 6            # drop of an arrow whose ends share an instant
SPAN_LABEL_DT = 0.002  # a span's label is an instant of its own, just after it starts

# Height each kind of item needs above it, in its lane.
NEED = {"arrow": 24, "head": 3, "state": 19, "noted": 19, "call": 13, "conn": 22,
        "span": 26}
# Room an item takes below its instant: an arrow's drop, a state's note.
BELOW = {"arrow": 6, "noted": 12}

COLORS = {"syn": "#2e7d32", "fin": "#1565c0", "rst": "#c62828",
          "data": "#212121", "ack": "#757575"}


def esc(s):
    return html.escape(str(s), quote=True)


def seg_kind(flags):
    if "R" in flags:
        return "rst"
    if "S" in flags:
        return "syn"
    if "F" in flags:
        return "fin"
    if "P" in flags:
        return "data"
    return "ack"


def seg_label(s):
    txt = "%s seq=%d" % (s["flags"], s["seq"])
    if "." in s["flags"]:
        txt += " ack=%d" % s["ack"]
    if s["len"]:
        txt += " len=%d" % s["len"]
    return txt


def fmt_ms(ms):
    if abs(ms) >= 10000:
        return "%.1f s" % (ms / 1000.0)
    if abs(ms) >= 1000:
        return "%.2f s" % (ms / 1000.0)
    return "%.1f" % ms


def fmt_gap(ms):
    if ms >= 1000:
        return "%.2f s" % (ms / 1000.0)
    return "%.0f ms" % ms


class Layout:
    """Maps times (ms) to y, lane by lane: items at one instant share a
    row unless they are in the same lane; time never runs backwards."""

    def __init__(self, items, scale):
        # items: (t, lane, kind); lanes "L" (client side), "M" (between
        # the columns), "R" (server side), "*" (all).
        self.scale = scale
        self.y = {}
        self.cuts = []          # (y_top, y_bottom, gap_ms)
        times = sorted({round(t, 4) for t, _, _ in items})
        by_t = {}
        for t, lane, kind in items:
            by_t.setdefault(round(t, 4), []).append((lane, kind))
        last = {"L": TOP - 30, "M": TOP - 30, "R": TOP - 30}
        y = TOP
        prev = None
        for t in times:
            if prev is not None:
                dt = t - prev
                if scale > 0:
                    step = dt * scale
                    cut = step > CAP
                else:
                    step = 0
                    cut = dt > LONG_MS
                if cut:
                    top = y
                    y += BREAK
                    self.cuts.append((top, y, dt))
                    for k in last:
                        last[k] = max(last[k], y - 12)
                else:
                    y += max(MIN_STEP, step)
            for lane, kind in by_t[t]:
                lanes = ("L", "M", "R") if lane == "*" else (lane,)
                for ln in lanes:
                    y = max(y, last[ln] + NEED[kind])
            for lane, kind in by_t[t]:
                lanes = ("L", "M", "R") if lane == "*" else (lane,)
                for ln in lanes:
                    last[ln] = max(last[ln], y + BELOW.get(kind, 0))
            self.y[t] = y
            prev = t
        self.bottom = max([y] + list(last.values()))

    def at(self, t):
        return self.y[round(t, 4)]


def lane_of(side):
    return "L" if side == "client" else "R"


def svg(run, scale=0.0, title=None):
    """The sequence diagram of one run, as an SVG document (a string)."""
    segs = run.get("segments", [])
    states = run.get("states", [])
    calls = run.get("calls", [])
    spans = run.get("spans", [])
    items = []
    first_of_conn = {}
    for s in segs:
        items.append((s["t_send"], "M", "arrow"))
        items.append((s["t_recv"], "M", "head"))
        first_of_conn.setdefault(s.get("conn", 0), s)
    # A later connection on the same 4-tuple starts with its connect(): the
    # client's last SYN_SENT before its first segment.
    conn_starts = {}
    for c, s in first_of_conn.items():
        if c > 0:
            syn = [st["t"] for st in states if st["side"] == "client"
                   and st["state"].startswith("SYN_SENT") and st["t"] <= s["t_send"]]
            conn_starts[c] = (max(syn) if syn else s["t_send"]) - 0.0005
    for t in conn_starts.values():
        items.append((t, "*", "conn"))
    for st in states:
        items.append((st["t"], lane_of(st["side"]), "noted" if st.get("note") else "state"))
    for c in calls:
        items.append((c["t"], lane_of(c["side"]), "call"))
    for sp in spans:
        # The bracket's ends, and its label just after its start.
        items.append((sp["t1"], "M", "head"))
        items.append((sp["t2"], "M", "head"))
        items.append((sp["t1"] + SPAN_LABEL_DT, lane_of(sp["side"]), "span"))
    if not items:
        items.append((0.0, "M", "arrow"))
    lay = Layout(items, scale)
    height = int(lay.bottom + 60 + (14 if run.get("check") else 0))

    out = []
    w = out.append
    w('<?xml version="1.0" encoding="UTF-8"?>')
    w('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
      'viewBox="0 0 %d %d" font-family="DejaVu Sans, Verdana, sans-serif" '
      'font-size="11">' % (WIDTH, height, WIDTH, height))
    w('<title>%s</title>' % esc(title or run.get("label", "")))
    w('<defs>')
    for k, c in COLORS.items():
        w('<marker id="head-%s" viewBox="0 0 10 10" refX="10" refY="5" '
          'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
          '<path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker>' % (k, c))
    w('</defs>')
    w('<rect width="100%" height="100%" fill="#ffffff"/>')
    # Heading.
    w('<text x="10" y="20" font-size="13" font-weight="bold">%s</text>'
      % esc(run.get("label", "")))
    if run.get("client") or run.get("server"):
        w('<text x="10" y="37" fill="#555">%s \u2192 %s</text>'
          % (esc(run.get("client", "?")), esc(run.get("server", "?"))))
    for x, name in ((X_CLIENT, "client"), (X_SERVER, "server")):
        w('<rect x="%d" y="48" width="80" height="22" rx="4" fill="#eceff1" '
          'stroke="#546e7a"/>' % (x - 40))
        w('<text x="%d" y="63" text-anchor="middle" font-weight="bold">%s</text>'
          % (x, name))
    w('<text x="%d" y="63" text-anchor="end" fill="#777" font-size="9">ms</text>'
      % X_TIME)

    # Lifelines, cut where the time is cut.
    y0, y1 = 72, lay.bottom + 18
    pieces, at = [], y0
    for top, bot, _ in lay.cuts:
        pieces.append((at, top + 6))
        at = bot - 6
    pieces.append((at, y1))
    for x in (X_CLIENT, X_SERVER):
        for a, b in pieces:
            w('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#90a4ae" '
              'stroke-width="2"/>' % (x, a, x, b))
    for top, bot, gap in lay.cuts:
        mid = (top + bot) / 2
        for x in (X_CLIENT, X_SERVER):
            w('<path d="M%d,%.1f l-7,3 l14,4 l-7,3" fill="none" stroke="#90a4ae" '
              'stroke-width="1.5"/>' % (x, mid - 5))
        w('<text class="cut" x="%d" y="%.1f" text-anchor="end" fill="#777" '
          'font-size="9">+%s</text>' % (X_TIME, mid + 3, esc(fmt_gap(gap))))

    # New connections on the same pair of ends.
    for c, t in sorted(conn_starts.items()):
        y = lay.at(t) - 8
        w('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#b0bec5" '
          'stroke-dasharray="4,3"/>' % (X_CLIENT - 60, y, X_SERVER + 60, y))
        w('<text x="%d" y="%.1f" text-anchor="middle" fill="#78909c" '
          'font-size="9" dy="-3">connection %d</text>' % ((X_CLIENT + X_SERVER) // 2, y, c + 1))

    # Time labels, not closer than 10 px to one another.
    last_label = -100.0
    for t in sorted({s["t_send"] for s in segs} | {st["t"] for st in states
                                                   if not st.get("stated")}):
        y = lay.at(t)
        if y - last_label >= 10:
            w('<text x="%d" y="%.1f" text-anchor="end" fill="#888" '
              'font-size="9">%s</text>' % (X_TIME, y + 3, esc(fmt_ms(t))))
            last_label = y

    # Segments.
    for s in segs:
        k = seg_kind(s["flags"])
        c2s = s["dir"] == "c>s"
        xa, xb = (X_CLIENT, X_SERVER) if c2s else (X_SERVER, X_CLIENT)
        ya, yb = lay.at(s["t_send"]), lay.at(s["t_recv"])
        if yb <= ya:
            yb = ya + SLANT
        xb2 = xb - 2 if c2s else xb + 2
        w('<g class="segment">')
        w('<line class="arrow" x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" '
          'stroke-width="%s" marker-end="url(#head-%s)"/>'
          % (xa, ya, xb2, yb, COLORS[k], "1.8" if k != "ack" else "1.2", k))
        if c2s:
            w('<text x="%d" y="%.1f" fill="%s" font-family="DejaVu Sans Mono, '
              'monospace" font-size="10.5">%s</text>'
              % (xa + 8, ya - 4, COLORS[k], esc(seg_label(s))))
        else:
            w('<text x="%d" y="%.1f" text-anchor="end" fill="%s" '
              'font-family="DejaVu Sans Mono, monospace" font-size="10.5">%s</text>'
              % (xa - 8, ya - 4, COLORS[k], esc(seg_label(s))))
        w('</g>')

    # Spans: a bracket beside the column, and its length.
    for sp in spans:
        left = sp["side"] == "client"
        x = X_CLIENT - 8 if left else X_SERVER + 8
        ya, yb = lay.at(sp["t1"]), lay.at(sp["t2"])
        d = -5 if left else 5
        w('<g class="span"><path d="M%d,%.1f h%d V%.1f h%d" fill="none" '
          'stroke="#8e24aa" stroke-width="1.3"/>' % (x, ya, d, yb, -d))
        tx = x + (2 * d)
        w('<text x="%d" y="%.1f" text-anchor="%s" fill="#8e24aa" font-size="10" '
          'font-style="italic">%s</text></g>'
          % (tx, lay.at(sp["t1"] + SPAN_LABEL_DT) + 3, "end" if left else "start",
             esc(sp["text"])))

    # States, beside their column, where entered.
    for st in states:
        left = st["side"] == "client"
        y = lay.at(st["t"])
        x = X_CLIENT - 14 if left else X_SERVER + 14
        txt = st["state"]
        wbox = 7.2 * len(txt) + 10
        bx = x - wbox if left else x
        dash = ' stroke-dasharray="3,2"' if st.get("stated") else ""
        w('<g class="state">')
        w('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ef6c00"/>'
          % (x, y, X_CLIENT if left else X_SERVER, y))
        w('<rect x="%.1f" y="%.1f" width="%.1f" height="15" rx="3" fill="#fff3e0" '
          'stroke="#ef6c00"%s/>' % (bx, y - 11, wbox, dash))
        w('<text x="%.1f" y="%.1f" text-anchor="middle" fill="#bf360c" '
          'font-weight="bold" font-size="10.5">%s</text>' % (bx + wbox / 2, y + 0.5, esc(txt)))
        if st.get("note"):
            w('<text x="%.1f" y="%.1f" text-anchor="%s" fill="#8d6e63" font-size="8.5">'
              '%s</text>' % (bx + wbox if left else bx, y + 13,
                             "end" if left else "start", esc(st["note"])))
        w('</g>')

    # Calls, in grey, further out.
    for c in calls:
        left = c["side"] == "client"
        y = lay.at(c["t"])
        x = X_CLIENT - LANE + 4 if left else X_SERVER + LANE - 4
        w('<text class="call" x="%d" y="%.1f" text-anchor="%s" fill="#616161" '
          'font-size="9.5" font-style="italic">%s</text>'
          % (x, y + 3, "start" if left else "end", esc(c["text"])))

    chk = run.get("check")
    if chk:
        w('<text x="10" y="%d" fill="%s" font-size="10.5">%s</text>'
          % (height - 14, "#2e7d32" if chk.get("ok") else "#c62828",
             esc(chk.get("text", ""))))
    w('</svg>')
    return "\n".join(out) + "\n"


STATUS_COLOR = {"met": "#2e7d32", "not met": "#c62828", "not checked": "#ef6c00"}


def index_html(lesson, svg_name):
    """The page showing every experiment's diagrams side by side.
    svg_name(exp, run) gives the file name of a run's diagram."""
    exps = lesson.get("experiments", [])
    out = []
    w = out.append
    w("<!DOCTYPE html>")
    w('<html lang="en"><head><meta charset="utf-8">')
    w("<title>atcp and Linux TCP, side by side</title>")
    w("<style>")
    w("body{font-family:sans-serif;margin:1.5em;color:#222;max-width:100%}"
      "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-top:1px solid #ccc;"
      "padding-top:1em}.row{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}"
      "figure{margin:0;border:1px solid #ddd;padding:4px;background:#fff;"
      "flex:1 1 0;min-width:420px;max-width:760px}"
      "figure img{width:100%;height:auto}"
      "figcaption{font-size:.85em;color:#444}"
      ".status{font-weight:bold}.expect{font-style:italic}"
      "td,th{padding:2px 8px;text-align:left;vertical-align:top}"
      "code{background:#f4f4f4;padding:0 3px}")
    w("</style></head><body>")
    w("<h1>atcp and Linux TCP, side by side</h1>")
    w("<p>Each experiment ran over atcp and over Linux's TCP (and, for a knob, "
      "over atcp with two settings) in the same QEMU guest, in fresh network "
      "namespaces.  The arrows are the captured segments, with relative "
      "sequence and acknowledgement numbers; the boxes beside each column are "
      "the states that end entered, from the kernel's tracepoints "
      "(<code>atcp_state</code>, <code>atcp_timewait</code>, "
      "<code>sock:inet_sock_set_state</code>) and, for Linux's TIME_WAIT and "
      "FIN_WAIT2 minisockets, from <code>/proc/net/tcp</code>; a dashed box "
      "was not observed.  Grey text is what the programs called.  Colours: "
      "SYN green, FIN blue, RST red, data black, bare ACK grey.  Long gaps "
      "are cut and labelled; where the delays matter they are drawn to scale, "
      "the same scale for every diagram of the experiment.</p>")
    if lesson.get("kernel"):
        w("<p>Kernel: <code>%s</code>%s</p>" % (
            esc(lesson["kernel"]),
            ", %s" % esc(lesson["date"]) if lesson.get("date") else ""))
    w("<table><tr><th>experiment</th><th>expectation</th><th></th></tr>")
    for i, e in enumerate(exps, 1):
        w('<tr><td><a href="#%s">%d. %s</a></td><td>%s</td>'
          '<td class="status" style="color:%s">%s</td></tr>'
          % (esc(e["name"]), i, esc(e["name"]), esc(e.get("expect", "")),
             STATUS_COLOR.get(e.get("status"), "#000"), esc(e.get("status", ""))))
    w("</table>")
    for i, e in enumerate(exps, 1):
        w('<h2 id="%s">%d. %s: %s</h2>' % (esc(e["name"]), i, esc(e["name"]),
                                           esc(e.get("title", ""))))
        w('<p class="expect">Expected: %s</p>' % esc(e.get("expect", "")))
        w('<p class="status" style="color:%s">Expectation %s%s</p>'
          % (STATUS_COLOR.get(e.get("status"), "#000"), esc(e.get("status", "")),
             (": " + esc("; ".join(e["why"]))) if e.get("why") else ""))
        if e.get("measured"):
            w("<ul>%s</ul>" % "".join("<li>%s</li>" % esc(m) for m in e["measured"]))
        w('<div class="row">')
        for r in e.get("runs", []):
            name = svg_name(e, r)
            w('<figure><img src="%s" alt="%s"><figcaption>%s%s</figcaption></figure>'
              % (esc(name), esc(r.get("label", "")), esc(r.get("label", "")),
                 (' &middot; <a href="%s">capture</a>' % esc(r["pcap"]))
                 if r.get("pcap") else ""))
        w("</div>")
    w("</body></html>")
    return "\n".join(out) + "\n"

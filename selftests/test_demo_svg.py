#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""test_demo_svg.py - the pictures of `make demo`, drawn from a recorded
run, in seconds (no VM work: no capture, no module).

selftests/lib/demo-lesson.json is the lesson.json of one `make demo` run
(scripts/demo -o DIR writes it), cut down to four experiments: threeway,
simultaneous, delack and tw_timeout, over atcp and Linux TCP.
`tools/atcp-lesson render` draws it again: one SVG sequence diagram per
run, and index.html.  For each run:

  - the SVG is well formed XML, an <svg> with a size;
  - it has one arrow (class "arrow", with an arrowhead) per segment of the
    run, each with its flags and relative numbers written beside it;
  - it has one state label (class "state") per state of the run, each
    beside the column of its end;
and the close experiments read as the classic diagram: in threeway the
client's labels, top to bottom, are SYN_SENT, ESTABLISHED, FIN_WAIT1,
FIN_WAIT2, TIME_WAIT, CLOSE (changes less than 5 ms apart share a label,
"A -> B") and the server's ESTABLISHED, CLOSE_WAIT, LAST_ACK, CLOSE; in
simultaneous both ends pass through CLOSING to TIME_WAIT.  index.html
shows every run's SVG, under its experiment.  When rsvg-convert
(librsvg2-bin) is there, it renders every SVG, as a page of one PDF.

And scripts/demo --list names each experiment of the demo with its
expectation, and tools/atcp-lesson has a check for each.
"""

import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "lib"))
from nstest import Tap, load_script  # noqa: E402

FIXTURE = os.path.join(HERE, "lib", "demo-lesson.json")
LESSON = os.path.join(REPO, "tools", "atcp-lesson")
DEMO = os.path.join(REPO, "scripts", "demo")
SVG = "{http://www.w3.org/2000/svg}"
ARROW = " \u2192 "

CLASSIC = {
    "threeway": (["SYN_SENT", "ESTABLISHED", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE"],
                 ["ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSE"]),
    "simultaneous": (["SYN_SENT", "ESTABLISHED", "FIN_WAIT1", "CLOSING", "TIME_WAIT", "CLOSE"],
                     ["ESTABLISHED", "FIN_WAIT1", "CLOSING", "TIME_WAIT", "CLOSE"]),
}


def text_of(el):
    return "".join(el.itertext())


def state_labels(root, x_client, x_server):
    """{side: [label, ...]} top to bottom, from the groups of class state."""
    out = {"client": [], "server": []}
    for g in root.iter(SVG + "g"):
        if g.get("class") != "state":
            continue
        rect = g.find(SVG + "rect")
        txt = g.find(SVG + "text")
        if rect is None or txt is None:
            continue
        x = float(rect.get("x"))
        side = "client" if x < (x_client + x_server) / 2 else "server"
        out[side].append((float(txt.get("y")), text_of(txt)))
    return {k: [t for _, t in sorted(v)] for k, v in out.items()}


def arrows_ok(root):
    """Every arrow has an arrowhead and a label in its group."""
    bad = 0
    for g in root.iter(SVG + "g"):
        if g.get("class") != "segment":
            continue
        line = g.find(SVG + "line")
        txt = g.find(SVG + "text")
        if (line is None or line.get("class") != "arrow" or not line.get("marker-end")
                or txt is None or "seq=" not in text_of(txt)):
            bad += 1
    return bad


class Imgs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.h2 = [], 0

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.imgs.append(dict(attrs).get("src"))
        elif tag == "h2":
            self.h2 += 1


def main():
    with open(FIXTURE) as f:
        lesson = json.load(f)
    runs = [(e, r) for e in lesson["experiments"] for r in e["runs"]]
    classic = [(e, r) for e, r in runs if e["name"] in CLASSIC]
    rsvg = shutil.which("rsvg-convert")
    tap = Tap(2 + 3 * len(runs) + 2 * len(classic) + 1 + 1 + 2)
    tool = load_script("atcp_lesson", LESSON)
    out = tempfile.mkdtemp(prefix="atcp-svg.")
    try:
        res = subprocess.run([sys.executable, LESSON, "render", FIXTURE, "-o", out],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True)
        tap.ok(res.returncode == 0, "atcp-lesson render draws %d runs (exit %d)"
               % (len(runs), res.returncode))
        if res.stderr:
            tap.diag(res.stderr)
        names = ["%s.%s.svg" % (e["name"], r["variant"]) for e, r in runs]
        tap.ok(all(os.path.exists(os.path.join(out, n)) for n in names),
               "one SVG per run: %s" % " ".join(names))

        diagram = tool.diagram
        for (e, r), name in zip(runs, names):
            path = os.path.join(out, name)
            try:
                root = ET.parse(path).getroot()
                ok = (root.tag == SVG + "svg" and float(root.get("width")) > 0
                      and float(root.get("height")) > 0)
            except (ET.ParseError, OSError, TypeError, ValueError) as err:
                tap.diag("%s: %s" % (name, err))
                root, ok = None, False
            tap.ok(ok, "%s: well formed, an <svg> with a size" % name)
            if root is None:
                tap.ok(False, "%s: arrows" % name)
                tap.ok(False, "%s: state labels" % name)
                continue
            classes = [el.get("class") for el in root.iter()]
            na, bad = classes.count("arrow"), arrows_ok(root)
            tap.ok(na == len(r["segments"]) and bad == 0,
                   "%s: %d arrows for %d segments, each with its head and label (%d without)"
                   % (name, na, len(r["segments"]), bad))
            labels = state_labels(root, diagram.X_CLIENT, diagram.X_SERVER)
            ns = len(labels["client"]) + len(labels["server"])
            tap.ok(ns == len(r["states"]) and classes.count("state") == ns,
                   "%s: %d state labels for %d states" % (name, ns, len(r["states"])))
            if e["name"] in CLASSIC:
                for side, want in zip(("client", "server"), CLASSIC[e["name"]]):
                    got = [s for lab in labels[side] for s in lab.split(ARROW)]
                    tap.ok(got == want, "%s: the %s's labels read %s (got %s)"
                           % (name, side, " ".join(want), " | ".join(labels[side])))

        p = Imgs()
        with open(os.path.join(out, "index.html")) as f:
            p.feed(f.read())
        tap.ok(p.imgs == names and p.h2 == len(lesson["experiments"]),
               "index.html shows the %d SVGs under their %d experiments"
               % (len(names), len(lesson["experiments"])))

        if rsvg:
            pdf = os.path.join(out, "all.pdf")
            res = subprocess.run([rsvg, "-f", "pdf", "-o", pdf] +
                                 [os.path.join(out, n) for n in names],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 universal_newlines=True)
            data = b""
            if os.path.exists(pdf):
                with open(pdf, "rb") as f:
                    data = f.read()
            pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
            tap.ok(res.returncode == 0 and data[:5] == b"%PDF-" and pages == len(names),
                   "rsvg-convert renders the %d SVGs: %d PDF pages (exit %d)"
                   % (len(names), pages, res.returncode))
            if res.stderr:
                tap.diag(res.stderr)
        else:
            tap.ok(True, "# SKIP rsvg-convert is not installed (librsvg2-bin)")

        res = subprocess.run(["bash", DEMO, "--list"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True)
        listed = [ln.split(None, 1) for ln in res.stdout.splitlines() if ln.strip()]
        tap.ok(res.returncode == 0 and listed and all(len(x) == 2 for x in listed),
               "scripts/demo --list: %d experiments, each with its expectation"
               % len(listed))
        missing = [n for n, _ in listed
                   if n not in tool.CLOSE_EXPERIMENTS and n not in tool.CHECKS]
        tap.ok(listed and not missing, "tools/atcp-lesson checks each of them (none for: %s)"
               % (" ".join(missing) or "-"))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()

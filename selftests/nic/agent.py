#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""agent.py - the far guest's side of the two-guest tests (scripts/vm-pair).

Listens on TCP port 7000 of $ATCP_PAIR_ADDR_B (Linux TCP: the link's own
tests must not depend on atcp) and runs what the near guest asks, one
request a connection, a JSON line each way:

  {"cmd": "SHELL COMMAND"}            run it; answer {"rc": N, "out": "..."}
  {"cmd": "...", "bg": true}          start it; answer {"id": N}
  {"wait": N, "timeout": S}           wait for that one; {"rc": N, "out": "..."}
  {"exit": true}                      answer {} and end

Exits by itself after $ATCP_AGENT_LIFETIME seconds (default 1800).
"""
import json
import os
import socket
import subprocess
import sys
import tempfile

addr = os.environ.get('ATCP_PAIR_ADDR_B', '10.254.0.2')
lifetime = float(os.environ.get('ATCP_AGENT_LIFETIME', '1800'))
jobs = {}

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((addr, 7000))
srv.listen(8)
srv.settimeout(lifetime)
print('agent: listening on %s:7000' % addr, flush=True)

while True:
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        print('agent: no request for %.0f s, ending' % lifetime, flush=True)
        sys.exit(1)
    with conn:
        req = json.loads(conn.makefile().readline())
        if req.get('exit'):
            conn.sendall(b'{}\n')
            break
        if 'wait' in req:
            p, out = jobs.pop(req['wait'])
            try:
                rc = p.wait(timeout=req.get('timeout', 300))
            except subprocess.TimeoutExpired:
                p.kill()
                rc = p.wait()
            out.seek(0)
            ans = {'rc': rc, 'out': out.read().decode(errors='replace')}
            out.close()
        elif req.get('bg'):
            out = tempfile.TemporaryFile()
            p = subprocess.Popen(['sh', '-c', req['cmd']], stdout=out,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            jobs[p.pid] = (p, out)
            ans = {'id': p.pid}
        else:
            r = subprocess.run(['sh', '-c', req['cmd']], capture_output=True,
                               stdin=subprocess.DEVNULL, timeout=300)
            ans = {'rc': r.returncode,
                   'out': (r.stdout + r.stderr).decode(errors='replace')}
        conn.sendall(json.dumps(ans).encode() + b'\n')

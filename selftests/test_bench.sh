#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_bench.sh - a short run of the benchmark (scripts/bench, as `make
# bench` runs it, with tiny durations and counts), so that the tool keeps
# working: it exits 0, prints its table, writes JSON that parses, and every
# workload over every topology gave a positive figure for both Linux TCP and
# atcp.  Nothing here judges a figure: no timing is asserted.
#
# Sizes (ATCP_BENCH_* of scripts/bench may override them): runs of 0.2 s,
# one run each, 1,000 connections for mem (fewer make the slab figures
# noise: a TIME_WAIT entry is a few hundred bytes), 300 TIME_WAIT entries
# for scale, loopback and veth; of the lossy section, 256 KiB over 1% loss
# and 512 KiB over the long fat path.  About three minutes under TCG.

. "$(dirname "$0")/lib/common.sh"

need_root
need_cmd ip python3
[ -e /proc/net/atcp ] || tap_skip_all "the atcp module is not loaded"

BENCH=$REPO/tools/atcp-bench
if [ ! -x "$BENCH" ] || [ "$BENCH" -ot "$BENCH.c" ]; then
	if ! ${CC:-cc} -O2 -Wall -Wextra -I"$REPO/include" -o "$BENCH.tmp.$$" \
		"$BENCH.c" -lpthread >"$T/cc.log" 2>&1; then
		cat "$T/cc.log" >&2
		rm -f "$BENCH.tmp.$$"
		echo "Bail out! cannot build tools/atcp-bench"
		exit 1
	fi
	mv -f "$BENCH.tmp.$$" "$BENCH"
fi

export ATCP_BENCH_SECS=${ATCP_BENCH_SECS:-0.2}
export ATCP_BENCH_RUNS=${ATCP_BENCH_RUNS:-1}
export ATCP_BENCH_MEM_RUNS=${ATCP_BENCH_MEM_RUNS:-1}
export ATCP_BENCH_CONNS=${ATCP_BENCH_CONNS:-1000}
export ATCP_BENCH_TW=${ATCP_BENCH_TW:-300}
export ATCP_BENCH_TOPOS=${ATCP_BENCH_TOPOS:-lo veth}
export ATCP_BENCH_MEM_TOPOS=${ATCP_BENCH_MEM_TOPOS:-lo}
export ATCP_BENCH_LOSSY_BYTES=${ATCP_BENCH_LOSSY_BYTES:-262144}
export ATCP_BENCH_LFN_BYTES=${ATCP_BENCH_LFN_BYTES:-524288}
export ATCP_BENCH_LOSSY_CASES=${ATCP_BENCH_LOSSY_CASES:-'^loss 1%|^long fat'}
json=$T/bench.json

rc=0
start=$SECONDS
"$REPO/scripts/bench" -q -o "$json" >"$T/table" 2>"$T/err" || rc=$?
tap_diag "$(cat "$T/table")"
[ ! -s "$T/err" ] || tap_diag "stderr: $(cat "$T/err")"
tap_ok $rc "scripts/bench exits 0 (exit $rc, $((SECONDS - start)) s)"

grep -q '^workload .*TCP .*atcp .*atcp/TCP' "$T/table"
tap_ok $? "it prints the table"

# One result line per figure: "0 description" or "1 description".
"$PYTHON" - "$json" "$ATCP_BENCH_TW" "$ATCP_BENCH_TOPOS" "$ATCP_BENCH_MEM_TOPOS" \
	>"$T/checks" 2>&1 <<'EOF'
import json, sys

path, tw, topos, mem_topos = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split()
try:
    with open(path) as f:
        d = json.load(f)
except (OSError, ValueError) as e:
    print(f"1 {path} parses as JSON ({e})")
    sys.exit(0)
print(f"0 {path} parses as JSON: {len(d['rows'])} figures from {len(d['runs'])} runs")
want = []
for topo in topos:
    want += [("stream", 1, topo, "MBps"), ("stream", 4, topo, "MBps"),
             ("rr", None, topo, "tps"), ("rr", None, topo, "p50_us"),
             ("rr", None, topo, "p99_us"), ("crr", None, topo, "cps")]
for topo in mem_topos:
    want += [("mem", None, topo, "estab_bytes"), ("mem", None, topo, "tw_bytes"),
             ("scale", 0, topo, "cps"), ("scale", tw, topo, "cps")]
cases = sorted({r["case"] for r in d["runs"] if r["workload"] == "lossy"})
for case in cases:
    figure = "MBps" if case.startswith("long fat") else "secs"
    want += [("lossy", case, "veth", figure)]
if len(cases) != 2:
    print(f"1 the two lossy cases asked for ran: {cases}")
rows = {(r["workload"], r.get("variant"), r["topo"], r["metric"]): r for r in d["rows"]}
for key in want:
    r = rows.get(key)
    name = f"{key[0]}{'' if key[1] is None else ' ' + str(key[1])} over {key[2]}: {key[3]}"
    if not r:
        print(f"1 {name}: no figure")
        continue
    ok = all(r[t] and r[t]["median"] > 0 for t in ("tcp", "atcp"))
    got = ", ".join(f"{t} {r[t]['median']:.1f}" if r[t] else f"{t} none"
                    for t in ("tcp", "atcp"))
    print(f"{0 if ok else 1} {name} > 0 for TCP and atcp ({got})")
EOF
while read -r ok desc; do
	case $ok in
	0 | 1) tap_ok "$ok" "$desc" ;;
	*) tap_ok 1 "checking the JSON: $ok $desc" ;;
	esac
done <"$T/checks"

tap_done

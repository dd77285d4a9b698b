#!/usr/bin/env python3
"""`make bench-compare`: the same work through dive and through its Python baseline, run
interleaved in one run, with medians and ratios: every performance figure the README's
performance section gives comes from this one command.

Sections (each measures dive and its baseline in alternation, round by round, so both
see the same machine load):

1. Process start. One `dive call bio_seq_translate` process with the whole built-in pool
   (the pool index in a private cache dir warmed first), the same with only its own
   package (`--no-builtin --tools build/tools/bio_seq`), `dive tools list`, and a `python3`
   process that imports Biopython and translates the same sequence (what one call costs
   as a subprocess, the way DIVE runs its code tool). Wall time and peak RSS (wait4).
2. Score-only alignment, 1 kb and 5 kb random DNA, global and local: the
   `pairwise2_{global,local}_align` tools with `score_only` through one `dive call`
   process each, against Biopython's C `PairwiseAligner.score` in-process, same scores
   (checked equal). "net" subtracts the median of a trivial alignment call (process
   start + sandbox), measured in the same rounds.
3. Per-call cost in-process (unless --no-criterion): the criterion benches
   `call/sandboxed_local_tool_1KiB` (one fresh-sandbox call of a 1 KiB echo),
   `call/native_same_work_1KiB` and `call_throughput/…_2_threads` (calls/s on the 2
   worker threads), run with short measurement times; their medians are read from
   target/criterion.

Usage: python3 scripts/bench_compare.py [--rounds N] [--align-reps N] [--no-criterion]
(from the repository root after `make` and `make guests`).
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIVE = str(ROOT / "target/release/dive")
POOL = ROOT / "build/tools"
SCORES = {"match_score": 2, "mismatch_score": -1, "gap_open": -0.5, "gap_extend": -0.1}


def run(argv, env=None):
    """Run a process to completion; (wall seconds, peak RSS MiB, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = b"", b""
    # communicate() would reap the child itself; read the pipes, then wait4 for rusage.
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv[:6])} … failed ({proc.returncode}): {out[:300]!r} {err[:300]!r}")
    return wall, usage.ru_maxrss / 1024.0, out


def med(xs):
    return statistics.median(xs)


def process_start(rounds, env):
    seq = "ATG" + "GCC" * 300 + "TAG"
    args = json.dumps({"sequence": seq})
    py = (
        "import sys; from Bio.Seq import Seq; "
        f"print(str(Seq(sys.argv[1]).translate()))"
    )
    cases = {
        "dive call, built-in pool (25 packages)": [DIVE, "call", "bio_seq_translate", args],
        "dive call, its own package only": [DIVE, "--no-builtin", "--tools", str(POOL / "bio_seq"), "call", "bio_seq_translate", args],
        "dive tools list, built-in pool": [DIVE, "tools", "list"],
        "python3 + Biopython, translate": [sys.executable, "-c", py, seq],
    }
    for argv in cases.values():  # warm the compiled cache and the pool index
        run(argv, env)
    walls = {k: [] for k in cases}
    rss = {k: [] for k in cases}
    for _ in range(rounds):
        for name, argv in cases.items():
            w, m, _ = run(argv, env)
            walls[name].append(w)
            rss[name].append(m)
    py_wall = med(walls["python3 + Biopython, translate"])
    print(f"\n## Process start (median of {rounds}, interleaved)")
    print("| what | wall | peak RSS | vs python3 + Biopython |")
    print("|---|---|---|---|")
    for name in cases:
        w = med(walls[name])
        print(f"| {name} | {w * 1000:.1f} ms | {med(rss[name]):.1f} MiB | {w / py_wall:.2f}× |")


def alignment(reps, env):
    from Bio.Align import PairwiseAligner

    r = random.Random(1)
    tools = str(POOL / "pairwise2")

    def dive_call(tool, args):
        w, _, out = run([DIVE, "--no-builtin", "--tools", tools, "call", tool, json.dumps(args)], env)
        return w, json.loads(out)

    trivial = {"sequence_a": "A", "sequence_b": "A"}
    dive_call("pairwise2_globalxx", trivial)
    print(f"\n## Score-only alignment (median of {reps}, interleaved; dive = one process per call)")
    print("| case | dive | dive net | PairwiseAligner | net ratio |")
    print("|---|---|---|---|---|")
    for n in (1000, 5000):
        a = "".join(r.choice("ACGT") for _ in range(n))
        b = "".join(r.choice("ACGT") for _ in range(n))
        for mode in ("global", "local"):
            aligner = PairwiseAligner(mode=mode, match_score=2, mismatch_score=-1,
                                      open_gap_score=-0.5, extend_gap_score=-0.1)
            tool = f"pairwise2_{mode}_align"
            args = {"sequence_a": a, "sequence_b": b, **SCORES, "score_only": True}
            dive_t, base_t, bio_t = [], [], []
            for _ in range(reps):
                t, res = dive_call(tool, args)
                dive_t.append(t)
                base_t.append(dive_call("pairwise2_globalxx", trivial)[0])
                start = time.perf_counter()
                score = aligner.score(a, b)
                bio_t.append(time.perf_counter() - start)
                if abs(res["score"] - score) > 1e-6:
                    sys.exit(f"score mismatch {tool} {n}: dive {res['score']} vs PairwiseAligner {score}")
            d, base, p = med(dive_t), med(base_t), med(bio_t)
            net = max(d - base, 0.0)
            print(f"| {mode} {n // 1000} kb | {d * 1000:.1f} ms | {net * 1000:.1f} ms | {p * 1000:.1f} ms | {net / p:.2f}× |")


def criterion_figures():
    filt = "^call(_throughput)?/(sandboxed_local_tool_1KiB|native_same_work_1KiB)"
    cmd = ["cargo", "bench", "-p", "dive-integration-tests", "--bench", "runtime", "--",
           "--measurement-time", "3", "--warm-up-time", "1", filt]
    print("\n## Per call, in-process (criterion; " + " ".join(cmd[5:]) + ")", flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    crit = ROOT / "target/criterion"

    def median_ns(group, name):
        est = json.loads((crit / group / name / "new/estimates.json").read_text())
        return est["median"]["point_estimate"]

    one = median_ns("call", "sandboxed_local_tool_1KiB")
    native = median_ns("call", "native_same_work_1KiB")
    batch = median_ns("call_throughput", "sandboxed_local_tool_1KiB_2_threads")
    bench = json.loads((crit / "call_throughput/sandboxed_local_tool_1KiB_2_threads/new/benchmark.json").read_text())
    calls = bench["throughput"]["Elements"]
    print("| what | median | calls/s |")
    print("|---|---|---|")
    print(f"| fresh-sandbox 1 KiB echo, one call at a time | {one / 1000:.1f} µs | {1e9 / one:,.0f} |")
    print(f"| the same, batches of {calls} on 2 worker threads | {batch / calls / 1000:.1f} µs per call | {calls * 1e9 / batch:,.0f} |")
    print(f"| the same work natively (Rust, no sandbox) | {native / 1000:.2f} µs | {1e9 / native:,.0f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--align-reps", type=int, default=5)
    ap.add_argument("--no-criterion", action="store_true")
    opts = ap.parse_args()
    for need in (Path(DIVE), POOL / "bio_seq", POOL / "pairwise2"):
        if not need.exists():
            sys.exit(f"{need} is missing: run `make` first")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, DIVE_CACHE_DIR=cache)
        env.pop("DIVE_BUILTIN_TOOLS", None)
        env.pop("DIVE_TOOLS", None)
        print(f"bench-compare {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        process_start(opts.rounds, env)
        alignment(opts.align_reps, env)
    if not opts.no_criterion:
        criterion_figures()


if __name__ == "__main__":
    main()

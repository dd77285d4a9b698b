#!/usr/bin/env python3
"""Benchmark: the pairwise2 tools through the `dive` binary vs Biopython's PairwiseAligner.

Times global and local alignment of random DNA (1 kb x 1 kb and 5 kb x 5 kb), score
only and with one alignment, on this machine in the same run:

* dive: `target/release/dive --no-builtin --tools build/tools/pairwise2 call TOOL ARGS`,
  one process per call (the CLI has no batch mode), so every figure includes process
  start, package loading (the compiled component comes from the runtime's cache) and
  a fresh sandbox. The median of a trivial call (`pairwise2_globalxx` on "A"/"A") is
  printed as the fixed overhead, and "net" subtracts it.
* Biopython: Bio.Align.PairwiseAligner in-process, with the same scores (match 2,
  mismatch -1, gap open -0.5, gap extend -0.1; pairwise2's "open" is the score of a
  gap's first position, as PairwiseAligner's open_gap_score), score only via
  aligner.score(), one alignment via aligner.align(a, b)[0]. The script checks that
  both report the same score.

Prints one line per case with medians (seconds) and the ratio dive / PairwiseAligner.

Usage: python3 tests/bio/bench_align.py [--reps N] [--seed S] [--dive PATH] [--tools DIR]
(run from the repository root after `make pool` and `cargo build --release -p dive-cli`;
defaults: 5 repetitions, seed 1).
"""

import argparse
import json
import random
import statistics
import subprocess
import sys
import time

from Bio.Align import PairwiseAligner

SCORES = {"match_score": 2, "mismatch_score": -1, "gap_open": -0.5, "gap_extend": -0.1}


def dive_call(dive, tools, tool, args):
    t = time.perf_counter()
    out = subprocess.run([dive, "--no-builtin", "--tools", tools, "call", tool, json.dumps(args)],
                         capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if out.returncode != 0:
        sys.exit(f"dive call {tool} failed ({out.returncode}): {out.stdout[:300]} {out.stderr[:300]}")
    return elapsed, json.loads(out.stdout)


def median_time(f, reps):
    times, result = [], None
    for _ in range(reps):
        t = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dive", default="target/release/dive")
    ap.add_argument("--tools", default="build/tools/pairwise2")
    opts = ap.parse_args()
    r = random.Random(opts.seed)

    # Warm the component cache, then measure the fixed cost of one CLI call.
    dive_call(opts.dive, opts.tools, "pairwise2_globalxx", {"sequence_a": "A", "sequence_b": "A"})
    base = statistics.median(dive_call(opts.dive, opts.tools, "pairwise2_globalxx",
                                       {"sequence_a": "A", "sequence_b": "A"})[0] for _ in range(opts.reps))
    print(f"dive fixed overhead per call (trivial alignment): {base:.3f} s")
    print(f"{'case':<34} {'dive':>8} {'net':>8} {'Aligner':>9} {'ratio':>7} {'net ratio':>9}")

    for n in (1000, 5000):
        a = "".join(r.choice("ACGT") for _ in range(n))
        b = "".join(r.choice("ACGT") for _ in range(n))
        for mode in ("global", "local"):
            aligner = PairwiseAligner(mode=mode, match_score=2, mismatch_score=-1,
                                      open_gap_score=-0.5, extend_gap_score=-0.1)
            tool = f"pairwise2_{mode}_align"
            for what in ("score_only", "one_alignment"):
                args = {"sequence_a": a, "sequence_b": b, **SCORES}
                if what == "score_only":
                    args["score_only"] = True
                    bio = lambda: aligner.score(a, b)
                else:
                    args["one_alignment_only"] = True
                    bio = lambda: aligner.align(a, b)[0]
                dive_times, res = [], None
                for _ in range(opts.reps):
                    t, res = dive_call(opts.dive, opts.tools, tool, args)
                    dive_times.append(t)
                d = statistics.median(dive_times)
                p, bres = median_time(bio, opts.reps)
                bscore = bres if what == "score_only" else bres.score
                if abs(res["score"] - bscore) > 1e-6:
                    sys.exit(f"score mismatch {tool} {what} {n}: dive {res['score']} vs PairwiseAligner {bscore}")
                net = max(d - base, 0.0)
                print(f"{mode} {what} {n}x{n}".ljust(34)
                      + f" {d:8.3f} {net:8.3f} {p:9.4f} {d / p:7.1f} {net / p:9.1f}")


if __name__ == "__main__":
    main()

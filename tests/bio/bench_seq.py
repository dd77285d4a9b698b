#!/usr/bin/env python3
"""Benchmark: translation, reverse complement and GC content of a 1 Mb DNA sequence,
through the `dive` binary (sandboxed bio_seq / bio_sequtils tools) vs Biopython in the
same run on the same machine.

dive figures are one `dive call` process each (process start, package load from the
compiled-component cache, fresh sandbox, 1 MB of JSON in and out); the median of a
trivial call is printed as the fixed overhead and "net" subtracts it. Biopython is
timed in-process (Seq.translate, Seq.reverse_complement, SeqUtils.gc_fraction), and
the script checks both give the same result.

Usage: python3 tests/bio/bench_seq.py [--reps N] [--seed S] [--dive PATH] [--tools DIR]
(from the repository root after `make`; defaults 5 repetitions, seed 1).
"""

import argparse
import json
import random
import statistics
import subprocess
import os
import sys
import tempfile
import time

from Bio.Seq import Seq
from Bio.SeqUtils import gc_fraction


def dive_call(dive, tools, tool, args):
    # Large arguments go through a file (`@FILE`): a command-line argument is limited to 128 KiB.
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(args, f)
    t = time.perf_counter()
    out = subprocess.run([dive, "--no-builtin", "--tools", tools, "call", tool, "@" + f.name],
                         capture_output=True, text=True)
    os.unlink(f.name)
    elapsed = time.perf_counter() - t
    if out.returncode != 0:
        sys.exit(f"dive call {tool} failed ({out.returncode}): {out.stdout[:300]} {out.stderr[:300]}")
    return elapsed, json.loads(out.stdout)


def median(f, reps):
    times, result = [], None
    for _ in range(reps):
        t = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dive", default="target/release/dive")
    ap.add_argument("--tools", default="build/tools")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    seq = "".join(rng.choice("ACGT") for _ in range(1_000_000))

    overhead = statistics.median(dive_call(a.dive, a.tools, "bio_seq_transcribe", {"sequence": "A"})[0] for _ in range(a.reps))
    print(f"fixed overhead of one dive call (trivial tool): {overhead:.3f} s")
    cases = [
        ("translate 1 Mb", "bio_seq_translate", {"sequence": seq}, lambda: str(Seq(seq).translate()), lambda r: r["protein"]),
        ("reverse complement 1 Mb", "bio_seq_complement", {"sequence": seq, "operation": "reverse_complement"},
         lambda: str(Seq(seq).reverse_complement()), lambda r: r["result"]),
        ("GC content 1 Mb", "bio_sequtils_gc_content", {"sequence": seq}, lambda: gc_fraction(seq, ambiguous="ignore"), lambda r: r["gc_fraction"]),
    ]
    print(f"{'case':28} {'dive s':>8} {'net s':>8} {'biopython s':>12} {'net ratio':>10}")
    for label, tool, args, bio, pick in cases:
        times = []
        for _ in range(a.reps):
            t, out = dive_call(a.dive, a.tools, tool, args)
            times.append(t)
        d = statistics.median(times)
        b, expected = median(bio, a.reps)
        if pick(out) != expected:
            sys.exit(f"{label}: dive and Biopython disagree")
        net = max(d - overhead, 1e-9)
        print(f"{label:28} {d:8.3f} {net:8.3f} {b:12.4f} {net / b:10.2f}")


if __name__ == "__main__":
    main()

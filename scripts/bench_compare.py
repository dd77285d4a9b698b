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
3. One alignment (not score-only), 1 kb, global and local: `pairwise2_*_align` with
   `one_alignment_only` against `PairwiseAligner.align(...)[0]` (same score checked).
4. Sequence tools on 1 Mb of DNA: translate, reverse complement and GC content through
   `dive call` (arguments from a file, 1 MB of JSON in and out) against Biopython's
   `Seq.translate`, `Seq.reverse_complement` and `gc_fraction` in-process (same results
   checked); "net" subtracts a trivial call of the same package.
5. The criterion benches (unless --no-criterion): the whole `runtime` bench
   (tests/benches/runtime.rs: per-call cost, calls/s on 2 threads, HTTP and API calls
   against loopback fixtures and their native baselines, replay, the store, trace ids);
   every median it wrote in this run is printed, read from target/criterion.

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


def dive_call_file(tools, tool, args, env):
    """One `dive call` process with the arguments in a file (`@FILE`: a command line is
    limited to 128 KiB); (wall seconds, result)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(args, f)
    try:
        w, _, out = run([DIVE, "--no-builtin", "--tools", str(POOL / tools), "call", tool, "@" + f.name], env)
    finally:
        os.unlink(f.name)
    return w, json.loads(out)


def one_alignment(reps, env):
    from Bio.Align import PairwiseAligner

    r = random.Random(2)
    trivial = {"sequence_a": "A", "sequence_b": "A"}
    print(f"\n## One alignment, 1 kb (median of {reps}, interleaved; dive = one process per call)")
    print("| case | dive | dive net | PairwiseAligner | net ratio |")
    print("|---|---|---|---|---|")
    a = "".join(r.choice("ACGT") for _ in range(1000))
    b = "".join(r.choice("ACGT") for _ in range(1000))
    for mode in ("global", "local"):
        aligner = PairwiseAligner(mode=mode, match_score=2, mismatch_score=-1,
                                  open_gap_score=-0.5, extend_gap_score=-0.1)
        args = {"sequence_a": a, "sequence_b": b, **SCORES, "one_alignment_only": True}
        dive_t, base_t, bio_t = [], [], []
        for _ in range(reps):
            t, res = dive_call_file("pairwise2", f"pairwise2_{mode}_align", args, env)
            dive_t.append(t)
            base_t.append(dive_call_file("pairwise2", "pairwise2_globalxx", trivial, env)[0])
            start = time.perf_counter()
            first = aligner.align(a, b)[0]
            bio_t.append(time.perf_counter() - start)
            if abs(res["alignments"][0]["score"] - first.score) > 1e-6:
                sys.exit(f"score mismatch, one {mode} alignment: dive {res['alignments'][0]['score']} vs {first.score}")
        d, base, p = med(dive_t), med(base_t), med(bio_t)
        net = max(d - base, 0.0)
        print(f"| {mode} 1 kb | {d * 1000:.1f} ms | {net * 1000:.1f} ms | {p * 1000:.1f} ms | {net / p:.2f}× |")


def sequence_tools(reps, env):
    from Bio.Seq import Seq
    from Bio.SeqUtils import gc_fraction

    r = random.Random(1)
    seq = "".join(r.choice("ACGT") for _ in range(1_000_000))
    cases = [
        ("translate 1 Mb", "bio_seq", "bio_seq_translate", {"sequence": seq},
         lambda: str(Seq(seq).translate()), lambda res: res["protein"]),
        ("reverse complement 1 Mb", "bio_seq", "bio_seq_complement", {"sequence": seq, "operation": "reverse_complement"},
         lambda: str(Seq(seq).reverse_complement()), lambda res: res["result"]),
        ("GC content 1 Mb", "bio_sequtils", "bio_sequtils_gc_content", {"sequence": seq},
         lambda: gc_fraction(seq, ambiguous="ignore"), lambda res: res["gc_fraction"]),
    ]
    trivial = {"bio_seq": ("bio_seq_transcribe", {"sequence": "A"}),
               "bio_sequtils": ("bio_sequtils_gc_content", {"sequence": "A"})}
    print(f"\n## Sequence tools on 1 Mb of DNA (median of {reps}, interleaved; dive = one process per call)")
    print("| case | dive | dive net | Biopython | net ratio |")
    print("|---|---|---|---|---|")
    for label, package, tool, args, bio, pick in cases:
        dive_t, base_t, bio_t = [], [], []
        for _ in range(reps):
            t, res = dive_call_file(package, tool, args, env)
            dive_t.append(t)
            base_t.append(dive_call_file(package, *trivial[package], env)[0])
            start = time.perf_counter()
            want = bio()
            bio_t.append(time.perf_counter() - start)
            if pick(res) != want:
                sys.exit(f"{label}: dive and Biopython disagree")
        d, base, p = med(dive_t), med(base_t), med(bio_t)
        net = max(d - base, 0.0)
        print(f"| {label} | {d * 1000:.1f} ms | {net * 1000:.1f} ms | {p * 1000:.1f} ms | {net / p:.2f}× |")


def criterion_figures():
    cmd = ["cargo", "bench", "-p", "dive-integration-tests", "--bench", "runtime"]
    print("\n## The criterion benches (" + " ".join(cmd) + ")", flush=True)
    started = time.time()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    crit = ROOT / "target/criterion"
    print("| bench | median | per second |")
    print("|---|---|---|")
    rows = []
    for est in sorted(crit.glob("*/*/new/estimates.json")):
        if est.stat().st_mtime < started:
            continue  # written by an earlier run
        bench = est.parent.parent
        ns = json.loads(est.read_text())["median"]["point_estimate"]
        meta = json.loads((est.parent / "benchmark.json").read_text())
        elements = (meta.get("throughput") or {}).get("Elements")
        rows.append((meta.get("full_id", f"{bench.parent.name}/{bench.name}"), ns, elements))
    for name, ns, elements in rows:
        per_s = f"{elements * 1e9 / ns:,.0f} elements/s ({elements} a batch)" if elements else f"{1e9 / ns:,.0f}/s"
        print(f"| {name} | {fmt_ns(ns)} | {per_s} |")


def fmt_ns(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.0f} ns"


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
        one_alignment(opts.align_reps, env)
        sequence_tools(opts.align_reps, env)
    if not opts.no_criterion:
        criterion_figures()


if __name__ == "__main__":
    main()

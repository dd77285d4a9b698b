#!/usr/bin/env python3
"""The README's "writing a tool" figures, measured in one run on this machine.

For each language (rust, python, js), the scaffolded example tool (the same trivial
tool in each):
- time from `dive tool new` to the first sandboxed call's result: new + build + the
  first `dive call` (a fresh compiled-component cache, so the call compiles it).
  Rust is timed twice: with a cold cargo target dir (every dependency built) and warm
  (a second package, the SDK's dependencies already built);
- the component's size;
- a fresh call's latency: the sandboxed call alone (`usage.wall_us` as `dive tool
  check --json` reports it: a fresh instance, the call, its result), and a whole
  `dive call` process (start, load, call, exit), medians of N runs.

    scripts/measure_authoring.py [--runs N]   (after `make setup host`)
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIVE = ROOT / "target/release/dive"
ARGS = '{"sequence": "ATGCGCGATTACA"}'


def env(home, cache, cargo_target):
    e = dict(os.environ)
    e.update(
        DIVE_BUILTIN_TOOLS="",
        DIVE_CACHE_DIR=str(cache),
        CARGO_TARGET_DIR=str(cargo_target),
        DIVE_COMPONENTIZE_PY=str(ROOT / ".venv/bin/componentize-py"),
        DIVE_COMPONENTIZE_JS=str(ROOT / "node_modules/.bin/componentize-js"),
        DIVE_SDK_DIR=str(ROOT / "tool-modules/sdk"),
    )
    return e


def run(args, cwd, e):
    t = time.perf_counter()
    p = subprocess.run(args, cwd=cwd, env=e, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return time.perf_counter() - t, p.stdout


def new_to_first_call(work, lang, name, cargo_target):
    cache = work / f"cache-{name}"
    e = env(work, cache, cargo_target)
    pkg = work / name
    steps = {}
    steps["new"], _ = run([DIVE, "tool", "new", name, "--lang", lang, "--dir", pkg], work, e)
    steps["build"], _ = run([DIVE, "tool", "build", pkg], work, e)
    steps["first call"], out = run([DIVE, "--tools", pkg, "call", name, ARGS], work, e)
    assert json.loads(out)["length"] == 13, out
    return pkg, e, steps


def fresh_call(pkg, name, e, runs):
    in_sandbox, process = [], []
    for _ in range(runs):
        _, out = run([DIVE, "--json", "tool", "check", pkg], pkg.parent, e)
        in_sandbox.append(json.loads(out)["tools"][0]["call"]["wall_us"] / 1000)
        t, _ = run([DIVE, "--tools", pkg, "call", name, ARGS], pkg.parent, e)
        process.append(t * 1000)
    return statistics.median(in_sandbox), statistics.median(process)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dive-authoring-"))
    try:
        rows = []
        cold_target = work / "cargo-target"
        for lang in ["rust", "python", "js"]:
            name = f"gc_{lang}"
            pkg, e, steps = new_to_first_call(work, lang, name, cold_target)
            size = (pkg / f"{name}.wasm").stat().st_size
            sandbox_ms, process_ms = fresh_call(pkg, name, e, a.runs)
            rows.append((lang, steps, size, sandbox_ms, process_ms))
            if lang == "rust":
                _, _, warm = new_to_first_call(work, lang, "gc_rust_again", cold_target)
                rows.append(("rust (deps built)", warm, None, None, None))
        print(f"| language | new → first call | of which build | component | fresh call in the sandbox | `dive call` process |")
        print("|---|---|---|---|---|---|")
        for lang, steps, size, sandbox_ms, process_ms in rows:
            total = sum(steps.values())
            cells = [
                lang,
                f"{total:.1f} s",
                f"{steps['build']:.1f} s",
                f"{size / 1e6:.2f} MB" if size else "",
                f"{sandbox_ms:.2f} ms" if sandbox_ms is not None else "",
                f"{process_ms:.1f} ms" if process_ms is not None else "",
            ]
            print("| " + " | ".join(cells) + " |")
        print(f"\nmedians of {a.runs} runs; first call includes compiling the component (fresh cache)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

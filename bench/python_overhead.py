#!/usr/bin/env python3
"""What the Python package adds over the C++ library (docs/PERFORMANCE.md,
"Python overhead"):
  1. run_with_cache on 4,000 Count01 examples (the count01_tl fixture and its
     test set), Python end to end vs the library call timed in C++;
  2. training steps/s, headcount.train vs `headcount train`, same options.
Run: .venv/bin/python3 bench/python_overhead.py [--repeats 5]"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import headcount
from headcount._core import core

ROOT = Path(__file__).resolve().parents[1]


def cache_overhead(repeats):
    model = headcount.load(ROOT / "tests/data/count01_tl.safetensors", task="count01")
    tokens = model.task.load_text(ROOT / "tests/data/count01_tl.test.txt").tokens
    assert len(tokens) == 4000
    model.run_with_cache(tokens)  # warm up
    py = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        logits, cache = model.run_with_cache(tokens)
        py.append(time.perf_counter() - t0)
        del logits, cache
    cpp = core.time_run_with_cache(model._m, tokens, repeats)
    return statistics.median(py), cpp


def train_rates(repeats, steps, threads):
    opts = dict(task="max-of-list", steps=steps, eval_every=steps, eval_size=500, seed=1)
    py, cl = [], []
    with tempfile.TemporaryDirectory() as d:
        for r in range(repeats):
            m = headcount.train(progress=False, threads=threads, **opts)
            py.append(m.training["steps_per_second"])
            args = [str(ROOT / "build/headcount"), "train", "--json", "--quiet", "--threads", str(threads),
                    "--out", f"{d}/cli{r}"]
            for k, v in opts.items():
                args += ["--" + k.replace("_", "-"), str(v)]
            cl.append(json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)[
                "steps_per_second"])
    return statistics.median(py), statistics.median(cl)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    py, cpp = cache_overhead(a.repeats)
    print(f"run_with_cache, 4000 Count01 examples: Python {py * 1e3:.1f} ms, C++ call {cpp * 1e3:.1f} ms, "
          f"ratio {py / cpp:.3f}")
    p, c = train_rates(a.repeats, a.steps, a.threads)
    print(f"train max-of-list {a.steps} steps, {a.threads} thread(s): Python {p:.0f} steps/s, CLI {c:.0f} steps/s, "
          f"Python/CLI {p / c:.3f}")


if __name__ == "__main__":
    sys.exit(main())

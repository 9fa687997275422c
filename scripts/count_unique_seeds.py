#!/usr/bin/env python3
"""The count-unique seed study of docs/PUZZLES.md: trains the default recipe
(optionally with extra options) for a range of seeds, then tabulates, per seed,
whether it meets issue 14's acceptance line (>= 99.9% held out and every count
>= 99%), which counts miss 99%, how often count 1's held-out answer flipped
between evaluations in the second half of training, and the final probability
of `#1` on count 1's one held-out string. Pass rates get a Wilson 95% interval
(the unit is the seed: one model each), and two arms a two-sided Fisher exact
test.

    scripts/count_unique_seeds.py --arm normal= --arm puzzle="--init puzzle" \\
        --seeds 1-16 --jobs 2 --out runs/cu-seeds

Each run is `headcount train --task count-unique --seed S --threads 1 ARGS`
into OUT/ARM-sS; finished runs (metrics.json at the last step) are reused.
"""
import argparse
import concurrent.futures as cf
import csv
import json
import math
import os
import shlex
import subprocess
import sys

HELD_OUT_ONE = "BOS e e e e e e e e e e ANS"  # count 1's held-out string (the split is by hash rank)


def seeds_of(text):
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def wilson(k, n, z=1.959964):
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def fisher_two_sided(a, b, c, d):
    """Two-sided Fisher exact p for the table [[a, b], [c, d]] (sum of the
    hypergeometric probabilities no larger than the observed one)."""
    r1, c1, n = a + b, a + c, a + b + c + d

    def prob(x):
        return math.comb(c1, x) * math.comb(n - c1, r1 - x) / math.comb(n, r1)

    p_obs = prob(a)
    lo, hi = max(0, r1 + c1 - n), min(r1, c1)
    return min(1.0, sum(prob(x) for x in range(lo, hi + 1) if prob(x) <= p_obs * (1 + 1e-9)))


def run_one(binary, out, arm, args, seed, steps):
    d = os.path.join(out, f"{arm}-s{seed}")
    m = os.path.join(d, "metrics.json")
    if not (os.path.exists(m) and json.load(open(m))["steps"] == steps):
        cmd = [binary, "train", "--task", "count-unique", "--seed", str(seed), "--threads", "1", "--out", d]
        cmd += shlex.split(args)
        with open(d + ".log", "w") as log:
            subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=True)
    return d


def summarise(binary, d):
    m = json.load(open(os.path.join(d, "metrics.json")))
    parts = {k: v["accuracy"] for k, v in m["accuracy_parts"].items()}
    low = {k: v for k, v in parts.items() if v < 0.99}
    ok = m["accuracy"] >= 0.999 and not low
    rows = list(csv.DictReader(open(os.path.join(d, "train_log.csv"))))
    half = [r for r in rows if int(r["step"]) >= m["steps"] // 2]
    flips = sum(1 for x, y in zip(half, half[1:]) if (float(x["test_count_1"]) >= 0.5) != (float(y["test_count_1"]) >= 0.5))
    ins = subprocess.run([binary, "inspect", d, "--example", HELD_OUT_ONE, "--json"], capture_output=True, text=True,
                         check=True)
    j = json.loads(ins.stdout)
    p1 = next((t["probability"] for t in j["top_k"] if t["token"] == "#1"), 0.0)
    return {"pass": ok, "acc": m["accuracy"], "low": low, "flips": flips, "evals": len(half), "p1": p1}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="build/headcount")
    ap.add_argument("--arm", action="append", required=True, help="NAME=\"extra train options\" (repeatable)")
    ap.add_argument("--seeds", default="1-16")
    ap.add_argument("--steps", type=int, default=40000, help="the recipe's steps (to recognise finished runs)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default="runs/cu-seeds")
    a = ap.parse_args()
    arms = [x.partition("=")[::2] for x in a.arm]
    seeds = seeds_of(a.seeds)
    os.makedirs(a.out, exist_ok=True)
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        futs = {(arm, s): ex.submit(run_one, a.bin, a.out, arm, args, s, a.steps) for arm, args in arms for s in seeds}
        dirs = {k: f.result() for k, f in futs.items()}
    passes = {}
    for arm, args in arms:
        print(f"\n### {arm}: `headcount train --task count-unique --seed S {args}`\n")
        print("| seed | verdict | held out | counts under 99% | count-1 flips, 2nd half | p(#1), e x 10 |")
        print("|---|---|---|---|---|---|")
        k = 0
        for s in seeds:
            r = summarise(a.bin, dirs[(arm, s)])
            k += r["pass"]
            low = ", ".join(f"{key[6:]}: {v * 100:.1f}%" for key, v in r["low"].items()) or "none"
            print(f"| {s} | {'pass' if r['pass'] else 'miss'} | {r['acc'] * 100:.2f}% | {low} | "
                  f"{r['flips']} of {r['evals'] - 1} | {r['p1']:.3f} |")
        lo, hi = wilson(k, len(seeds))
        passes[arm] = k
        print(f"\npass rate {k}/{len(seeds)} = {k / len(seeds) * 100:.0f}% (Wilson 95% interval {lo * 100:.0f}-{hi * 100:.0f}%)")
    if len(arms) == 2:
        (x, _), (y, _) = arms
        n = len(seeds)
        p = fisher_two_sided(passes[x], n - passes[x], passes[y], n - passes[y])
        print(f"\n{x} {passes[x]}/{n} vs {y} {passes[y]}/{n}: two-sided Fisher exact p = {p:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

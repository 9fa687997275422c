#!/usr/bin/python3
"""Makes tests/data/puzzle1a/ with the puzzle series' own trainer.

The public puzzle series (github.com/andyrdt/puzzles) ships each model as its
trainer writes it: a folder with model.pt (torch.save of the state dict),
config.json and model.py. This script runs that trainer, puzzle 1a
(04_2026/puzzle1a/train.py with 04_2026/model.py), on the CPU for a few
hundred steps with Debian's python3-torch, from a checkout given on the
command line (nothing is fetched, none of its code is copied here), and keeps:

  model.pt, config.json  exactly as train.py's train() writes them
  eval.txt               the first N lists of train.py's own held-out split
                         (generate_data with the same seed), in headcount's
                         text form (docs/TASKS.md)
  expected.json          the accuracy at ANS that the puzzle's own model
                         (model.py, loaded from model.pt as the puzzle's
                         notebooks do) computes on exactly those lists

Stand-ins, only for what Debian's python3 lacks: einops.einsum (the one
einops call model.py makes, as torch.einsum), tqdm (a silent progress bar)
and matplotlib (train.py plots training.png; the plot is skipped).

Usage: /usr/bin/python3 tests/data/make_puzzle_fixture.py PUZZLES_CHECKOUT OUT_DIR [STEPS] [N_EVAL]
       (defaults: 300 steps, 2000 evaluation lists)
"""
import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import torch


def install_stand_ins():
    try:
        import einops  # noqa: F401
    except ImportError:
        einops = types.ModuleType("einops")
        # "b i d, b j d -> b i j" -> torch.einsum("bid,bjd->bij", ...): one-letter axis names only.
        einops.einsum = lambda *args: torch.einsum(args[-1].replace(" ", ""), *args[:-1])
        sys.modules["einops"] = einops
    try:
        import tqdm  # noqa: F401
    except ImportError:
        class Bar:
            def __init__(self, *a, **k): pass
            def update(self, *a): pass
            def set_postfix(self, *a, **k): pass
            def write(self, s): print(s)
            def close(self): pass
        tqdm = types.ModuleType("tqdm")
        tqdm.tqdm = Bar
        sys.modules["tqdm"] = tqdm
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        mpl = types.ModuleType("matplotlib")
        mpl.use = lambda *a, **k: None
        mpl.pyplot = types.ModuleType("matplotlib.pyplot")
        sys.modules["matplotlib"] = mpl
        sys.modules["matplotlib.pyplot"] = mpl.pyplot


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("puzzles", help="a checkout of github.com/andyrdt/puzzles")
    p.add_argument("out", help="the fixture folder to write (e.g. tests/data/puzzle1a)")
    p.add_argument("steps", nargs="?", type=int, default=300)
    p.add_argument("n_eval", nargs="?", type=int, default=2000)
    a = p.parse_args()

    root = Path(a.puzzles).resolve() / "04_2026"
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    install_stand_ins()
    torch.set_num_threads(1)
    train_mod = load_module("puzzle1a_train", root / "puzzle1a" / "train.py")
    train_mod.plot_training = lambda *args, **kwargs: None  # needs matplotlib; not part of the checkpoint

    # The trainer's own defaults, except the step count and the device.
    with tempfile.TemporaryDirectory() as tmp:
        sys.argv = ["train.py", "--steps", str(a.steps), "--eval_every", str(a.steps), "--device", "cpu",
                    "--save_dir", tmp]
        args = train_mod.get_args()
        train_mod.train(args)
        for name in ("model.pt", "config.json"):
            (out / name).write_bytes((Path(tmp) / name).read_bytes())

    # The trainer's held-out split, regenerated with its own function and seed.
    _, test_numbers = train_mod.generate_data(args.num_range, args.list_len, args.min_per_value, args.seed)
    lists = test_numbers[: a.n_eval]
    vocab = train_mod.Vocab(args.num_range)
    with open(out / "eval.txt", "w") as f:
        for row in lists:
            toks = ["BOS"] + " SEP ".join(str(int(n)) for n in row).split() + ["ANS", str(int(row.max())), "EOS"]
            f.write(" ".join(toks) + "\n")

    # Accuracy by the puzzle's own model, loaded from what was written.
    model_mod = load_module("puzzle_model", root / "model.py")
    config = json.loads((out / "config.json").read_text())
    model = model_mod.AttentionOnlyTransformer.from_config(config["model"])
    model.load_state_dict(torch.load(out / "model.pt", map_location="cpu"))
    model.eval()
    ds = train_mod.MaxOfListDataset(vocab, args.list_len, lists)
    with torch.no_grad():
        logits, _ = model(ds.inputs)
    ans = 2 * args.list_len
    correct = int((logits[:, ans].argmax(-1) == ds.targets[:, ans]).sum())
    commit = subprocess.run(["git", "-C", a.puzzles, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    expected = {
        "accuracy": correct / len(lists),
        "correct": correct,
        "n": len(lists),
        "trainer": "github.com/andyrdt/puzzles 04_2026/puzzle1a/train.py" + (f" at {commit}" if commit else ""),
        "steps": a.steps,
        "seed": args.seed,
        "torch": torch.__version__,
    }
    (out / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    print(json.dumps(expected))


if __name__ == "__main__":
    main()

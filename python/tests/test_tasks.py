"""headcount.tasks follows the C++ registry and the text form."""
import subprocess

import numpy as np

import headcount
from conftest import cli


def test_registered_tasks_and_options():
    names = headcount.tasks.names()
    assert "count01" in names and "max-of-list" in names
    opts = headcount.tasks.options("max-of-list")
    assert "list_len" in set(opts["name"])


def test_generate_matches_headcount_data(tmp):
    t = headcount.tasks.get("count01")
    ex = t.generate(50, split="test", seed=3)
    out = tmp / "d.txt"
    subprocess.run([cli(), "data", "--task", "count01", "--n", "50", "--seed", "3", "--out", str(out)], check=True)
    assert ex.lines() == out.read_text().splitlines()
    back = t.parse(out.read_text())
    assert np.array_equal(back.sequences, ex.sequences)


def test_arrays_of_an_example_set():
    t = headcount.tasks.get("max-of-list")
    ex = t.generate(10, split="train", seed=1)
    assert ex.tokens.shape == (10, t.n_ctx)
    assert (ex.loss_mask.sum(1) == 2).all()
    tg = ex.targets
    q = ex.query_positions
    assert (tg[np.arange(10), q] == ex.answers).all()
    assert (tg[~ex.loss_mask] == -1).all()
    assert ex.token_names()[0, 0] == "BOS"
    assert len(ex[2:5]) == 3

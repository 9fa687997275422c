"""headcount.train against `headcount train`: the same options and seed give
the same weights, byte for byte; Ctrl-C stops cleanly with a checkpoint."""
import os
import signal
import subprocess
import threading
import time

import numpy as np
import pytest

import headcount
from conftest import cli, read_safetensors

OPTS = dict(steps=300, batch=64, eval_every=100, eval_size=200, seed=7)


@pytest.mark.parametrize("task,extra", [("max-of-list", {}), ("count01", {"d_model": 16, "heads": 4})])
def test_weights_bytes_equal_to_the_cli(tmp, task, extra):
    opts = dict(OPTS, **extra)
    py_out, cli_out = tmp / "py", tmp / "cli"
    model = headcount.train(task=task, out=py_out, progress=False, threads=2, **opts)
    args = [cli(), "train", "--task", task, "--out", str(cli_out), "--quiet", "--threads", "1"]
    for k, v in opts.items():
        args += ["--" + k.replace("_", "-"), str(v)]
    subprocess.run(args, check=True)
    assert (py_out / "model.safetensors").read_bytes() == (cli_out / "model.safetensors").read_bytes()
    assert (py_out / "config.json").read_bytes() == (cli_out / "config.json").read_bytes()
    assert model.training["steps"] == opts["steps"]
    # the returned model is the one written
    w = read_safetensors(py_out / "model.safetensors")
    for k, v in model.state_dict().items():
        assert np.array_equal(v, w[k]), k


def test_in_memory_training_equals_the_written_run(tmp):
    a = headcount.train(task="max-of-list", progress=False, **OPTS)
    b = headcount.load(headcount.train(task="max-of-list", out=tmp / "r", progress=False, **OPTS).training["out"])
    for k, v in a.state_dict().items():
        assert np.array_equal(v, b.state_dict()[k]), k


def test_options_are_the_option_table(tmp):
    with pytest.raises(ValueError, match="d-modle|d_modle"):
        headcount.train(task="count01", d_modle=16, progress=False)
    with pytest.raises(ValueError, match="steps"):
        headcount.train(task="count01", steps=0, progress=False)
    table = headcount.train_options()
    assert {"task", "d_model", "steps", "lr", "seed"} <= set(table["name"])


def test_keyboard_interrupt_stops_cleanly_with_a_checkpoint(tmp):
    out = tmp / "run"
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt, match="resume"):
        headcount.train(task="max-of-list", out=out, steps=1_000_000, batch=64, eval_every=100_000,
                        progress=False, threads=1)
    timer.cancel()
    assert time.monotonic() - t0 < 30
    assert (out / "checkpoint.safetensors").exists() and not (out / "model.safetensors").exists()


def test_existing_out_is_not_replaced_without_force(tmp):
    out = tmp / "r"
    headcount.train(task="max-of-list", out=out, progress=False, **dict(OPTS, steps=20))
    with pytest.raises(ValueError, match="force=True"):
        headcount.train(task="max-of-list", out=out, progress=False, **dict(OPTS, steps=20))
    headcount.train(task="max-of-list", out=out, force=True, progress=False, **dict(OPTS, steps=30))
    assert headcount.load(out).config["steps"] == 30

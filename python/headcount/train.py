"""headcount.train: the command line's `headcount train` with keyword
options from the same option table (names with '_' or '-', same defaults,
ranges and messages). Progress shows as a bar in a notebook or a terminal;
Ctrl-C (KeyboardInterrupt) stops after the current step, leaving a
checkpoint in `out` to resume from."""
from __future__ import annotations

import os
import sys
import time
from typing import Optional

import pandas as pd

from ._core import core
from .model import HookedModel


class _Progress:
    """A bar on a terminal (redrawn on stderr), an updating line in a notebook, nothing otherwise."""

    def __init__(self, total: int):
        self.total, self.start = total, time.monotonic()
        self.handle = None
        self.tty = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        try:  # a notebook: one display that updates in place
            from IPython import get_ipython
            ip = get_ipython()
            if ip is not None and type(ip).__name__ == "ZMQInteractiveShell":
                from IPython.display import display
                self.handle = display(self._text(0), display_id=True)
        except ImportError:
            pass

    def _text(self, step):
        dt = time.monotonic() - self.start
        rate = step / dt if dt > 0 else 0
        n = 30
        done = int(n * step / max(1, self.total))
        return f"[{'#' * done}{'.' * (n - done)}] step {step}/{self.total}  {rate:.0f} steps/s  ({dt:.1f} s)"

    def __call__(self, step, total):
        if self.handle is not None:
            self.handle.update(self._text(step))
        elif self.tty:
            sys.stderr.write("\r" + self._text(step))
            sys.stderr.flush()

    def finish(self, step):
        self(step, self.total)
        if self.handle is None and self.tty:
            sys.stderr.write("\n")


def train(task: Optional[str] = None, *, out: Optional[str] = None, force: bool = False,
          resume: Optional[str] = None, threads: int = 0, progress: bool = True, **options) -> HookedModel:
    """Trains a model as `headcount train --task TASK --OPTION VALUE ...` does, with the same options and
    defaults (headcount.train_options() lists them). out=DIR writes a run directory (config.json,
    model.safetensors, train_log.csv, metrics.json, checkpoints); force=True replaces an existing one;
    resume=DIR continues a stopped run. threads=0 takes the idle cores (results do not depend on it).
    Returns the model; model.training holds steps, seconds, steps_per_second, accuracy, ..."""
    if task is not None:
        options = {"task": task, **options}
    bar = None
    cb = None
    if progress:
        total = core.train_config(options)["steps"] if not resume else 0
        bar = _Progress(total)
        cb = bar
    handle, result = core.train(options, os.fspath(out) if out else "", force, os.fspath(resume) if resume else "",
                                threads, cb)
    if bar is not None:
        bar.total = result["steps"] if not bar.total else bar.total
        bar.finish(result["steps"])
    return HookedModel(handle, training=result)


def train_options() -> pd.DataFrame:
    """The option table: name, type, default (of the first task for task-independent options), range, help, and
    the tasks that declare an option (empty for an option of every task)."""
    rows = core.train_options()
    return pd.DataFrame(rows, columns=["name", "type", "default", "range", "tasks", "help"])

"""headcount.tasks: the registered tasks (a task added to the C++ registry
appears here without an edit). A task generates examples by seed and split,
parses and prints the text form, and gives the arrays a model reads.

    t = headcount.tasks.get("count01")
    ex = t.generate(4000, split="test", seed=1)
    ex.tokens, ex.targets, ex.loss_mask, ex.token_names()
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ._core import core


def names() -> list:
    """Registered task names, in registration order."""
    return core.task_names()


def options(name: str) -> pd.DataFrame:
    """A task's declared options: name, type, default, range, help."""
    return pd.DataFrame(core.task_options(name), columns=["name", "type", "default", "range", "help"])


def get(name: str, **task_options) -> "Task":
    """The task with its default options, or those given (list_len=6, noise=0.2, ...)."""
    return Task(core.make_task(name, task_options))


class Examples:
    """A fixed set of examples of one task (the C++ Dataset), with the arrays a model reads."""

    def __init__(self, data, task: "Task"):
        self._d, self.task = data, task

    def __len__(self):
        return len(self._d)

    def __repr__(self):
        return f"<{len(self)} {self.task.name} examples: {self._d.source}>"

    @property
    def source(self) -> str:
        return self._d.source

    @property
    def tokens(self) -> np.ndarray:
        """Model input [N, n_ctx] (int32)."""
        return self._d.sequences[:, : self.task.n_ctx]

    @property
    def sequences(self) -> np.ndarray:
        """Input plus the final target [N, n_ctx + 1]."""
        return self._d.sequences

    @property
    def loss_positions(self) -> np.ndarray:
        """[N, P]: input positions whose next token is a target (answer, then EOS)."""
        return self._d.loss_positions

    @property
    def loss_mask(self) -> np.ndarray:
        """[N, n_ctx] bool: True where the loss is taken."""
        m = np.zeros((len(self), self.task.n_ctx), dtype=bool)
        np.put_along_axis(m, self.loss_positions.astype(np.int64), True, axis=1)
        return m

    @property
    def targets(self) -> np.ndarray:
        """[N, n_ctx]: the target token at loss positions, -1 elsewhere."""
        seq = self.sequences
        t = np.full((len(self), self.task.n_ctx), -1, dtype=np.int64)
        pos = self.loss_positions.astype(np.int64)
        np.put_along_axis(t, pos, np.take_along_axis(seq, pos + 1, axis=1), axis=1)
        return t

    @property
    def answers(self) -> np.ndarray:
        return self._d.answers

    @property
    def query_positions(self) -> np.ndarray:
        """[N]: where each example's answer is predicted."""
        return self._d.query_positions

    def token_names(self) -> np.ndarray:
        """[N, n_ctx] token names of the model input."""
        return np.array(self.task.vocab, dtype=object)[self.tokens]

    def lines(self) -> list:
        """The text form, one line per example."""
        return self.task._t.format(self._d)

    def __getitem__(self, s: slice) -> "Examples":
        if not isinstance(s, slice) or s.step not in (None, 1):
            raise TypeError("examples can be sliced with [begin:end] only")
        b, e, _ = s.indices(len(self))
        return Examples(self._d.subset(b, max(b, e)), self.task)

    def save_text(self, path):
        """Writes the text form atomically (headcount eval --eval-set reads it)."""
        self.task._t.save_text(self._d, os.fspath(path))


class Task:
    def __init__(self, handle):
        self._t = handle

    name = property(lambda self: self._t.name)
    config = property(lambda self: self._t.config, doc="The task's options as config.json holds them")
    vocab = property(lambda self: self._t.vocab, doc="Token names by id")
    vocab_size = property(lambda self: self._t.vocab_size)
    n_ctx = property(lambda self: self._t.n_ctx, doc="Model input length")

    def __repr__(self):
        return repr(self._t)

    def token_id(self, name: str) -> int:
        return self._t.token_id(name)

    def generate(self, n: int, split: str = "test", seed: int = 1, stream=None) -> Examples:
        """n examples of split "train" or "test" from seed. By default the stream is the one `headcount data`
        uses (test: the held-out set train and eval use for that seed)."""
        return Examples(self._t.generate(n, split, seed, stream), self)

    def parse(self, text: str, source: str = "text") -> Examples:
        """Examples from the text form (one per line); a bad line raises ValueError naming it."""
        return Examples(self._t.parse(text, source), self)

    def load_text(self, path) -> Examples:
        return Examples(self._t.load_text(os.fspath(path)), self)

    def format(self, examples: Examples) -> list:
        return self._t.format(examples._d)

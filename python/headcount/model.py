"""A model as TransformerLens users hold one: call it for logits, run it with
a cache or with hooks. Arrays are numpy; tokens may be numpy, torch or lists.
The C++ forward runs with the GIL released; hooks are called back with the
GIL held."""
from __future__ import annotations

import os
from typing import Callable, Iterable, Optional, Union

import numpy as np

from ._core import core

Names = Union[None, str, Iterable[str], Callable[[str], bool]]


def _tokens(tokens):
    # An Examples set (headcount.tasks) gives its model inputs.
    return getattr(tokens, "tokens", tokens) if not isinstance(tokens, np.ndarray) else tokens


class ActivationCache(dict):
    """Hook name -> numpy array, as TransformerLens's cache (read-only views of the C++ buffers)."""

    def __init__(self, arrays, model):
        super().__init__(arrays)
        self.model = model

    def __missing__(self, name):
        valid = self.model.hook_names()
        if name in valid:
            raise KeyError(f"{name} is not in this cache (names_filter left it out); run run_with_cache without "
                           f"names_filter or with it")
        raise KeyError(f"{name!r} is not a hook point of this model (valid: {', '.join(valid)})")

    def stack_head_results(self, layer: int = -1):
        """blocks.L.attn.hook_result [batch, pos, head, d_model] of one layer (default: the last)."""
        L = self.model.cfg["n_layers"]
        return self[f"blocks.{layer % L}.attn.hook_result"]


class HookedModel:
    """A headcount model (see headcount.load, headcount.train)."""

    def __init__(self, handle, training: Optional[dict] = None):
        self._m = handle
        self.training = training  # what headcount.train reported, for a trained model

    # ---- what it is ----
    @property
    def cfg(self) -> dict:
        """The model shape: n_layers, d_model, n_heads, d_head, d_vocab, n_ctx, pos_embed, biases, init_std (and init, when not "normal")."""
        return self._m.model_config

    @property
    def config(self) -> dict:
        """The whole configuration (task, model, training) as config.json holds it."""
        return self._m.config

    @property
    def task(self):
        """The model's task (headcount.tasks.Task)."""
        from .tasks import Task
        return Task(self._m.task)

    @property
    def notes(self):
        return self._m.notes

    @property
    def n_params(self) -> int:
        return self._m.n_params

    def hook_names(self):
        """Every hook point, in forward order (TransformerLens names)."""
        return self._m.hook_names()

    def __repr__(self):
        c = self.cfg
        return (f"<headcount model {self._m.task_config['name']}: L{c['n_layers']} D{c['d_model']} H{c['n_heads']} "
                f"E{c['d_head']} V{c['d_vocab']} T{c['n_ctx']}, {self.n_params} parameters, from {self._m.source}>")

    # ---- running ----
    def __call__(self, tokens, threads: int = 1) -> np.ndarray:
        """Logits [batch, pos, d_vocab] (float32) for tokens [batch, n_ctx] or [n_ctx]."""
        return self._m.logits(_tokens(tokens), threads)

    forward = __call__

    def run_with_cache(self, tokens, names_filter: Names = None):
        """(logits [batch, pos, d_vocab], cache): the cache maps hook names to arrays with TransformerLens
        shapes (hook_pattern [batch, head, query, key], hook_z [batch, pos, head, d_head], ...).
        names_filter: None (all), a name, a list of names, or a predicate on names."""
        logits, arrays = self._m.run_with_cache(_tokens(tokens), names_filter)
        for a in arrays.values():
            a.setflags(write=False)
        return logits, ActivationCache(arrays, self)

    def run_with_hooks(self, tokens, fwd_hooks=(), return_cache: bool = False):
        """Logits with fwd_hooks applied: a list of (name, fn) where name is a hook name or a predicate on names,
        and fn(activation, hook) may edit the array in place or return a replacement of the same shape (numpy or
        torch); hook.name is the hook point. Each hook sees the whole batch once."""
        pairs = []
        names = None
        for name, fn in fwd_hooks:
            if callable(name):
                names = names or self.hook_names()
                pairs.extend((n, fn) for n in names if name(n))
            else:
                pairs.append((name, fn))
        if not return_cache:
            return self._m.run_with_hooks(_tokens(tokens), pairs)
        cache = {}

        def keep(name):
            def f(act, hook):
                cache[name] = act
            return f

        # The cache records each point after the user's hooks on it ran.
        pairs = pairs + [(n, keep(n)) for n in self.hook_names()]
        logits = self._m.run_with_hooks(_tokens(tokens), pairs)
        return logits, ActivationCache(cache, self)

    # ---- weights ----
    def state_dict(self, layout: str = "transformer-lens") -> dict:
        """Name -> float32 array: "transformer-lens" (TransformerLens names and shapes, headcount's native
        layout) or "puzzle" (the puzzle series' model.py state_dict). torch: {k: torch.from_numpy(v)}."""
        return self._m.state_dict(layout)

    def save(self, path: str, layout: str = "transformer-lens"):
        """Writes the weights as safetensors (task config in the metadata), atomically."""
        self._m.save(os.fspath(path), layout)


def load(path, task: Optional[str] = None, layout: Optional[str] = None, **task_options) -> HookedModel:
    """A model from a run directory, a puzzle checkpoint folder (model.pt + config.json), or a weights file
    (.safetensors or a torch.save .pt state dict) in any layout. task= and task options say which task the
    weights are for when the file does not; layout= overrides the detected layout."""
    if task is not None:
        task_options = {"task": task, **task_options}
    return HookedModel(core.load(os.fspath(path), layout or "", task_options))


def from_state_dict(state_dict: dict, task: str, layout: Optional[str] = None, **task_options) -> HookedModel:
    """A model from a dict of arrays (numpy or torch), in TransformerLens or puzzle layout (detected)."""
    return HookedModel(core.from_state_dict(dict(state_dict), layout or "", {"task": task, **task_options}))

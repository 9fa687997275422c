"""Analyses from the C++ registry (an analysis registered there appears
here without an edit), their typed results with tables as pandas
DataFrames; the patch driver's ablation and attention-edit logits;
reproduce and sweeps."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from ._core import core


def _frame(t: dict) -> pd.DataFrame:
    df = pd.DataFrame(t["rows"], columns=t["columns"])
    df.attrs.update(name=t["name"], description=t["description"], dataset=t["dataset"])
    return df


def analyses() -> pd.DataFrame:
    """Every registered analysis: name, description, by_default, uses_train_set."""
    return pd.DataFrame(core.analyses(), columns=["name", "description", "by_default", "uses_train_set"])


@dataclass
class AnalysisResult:
    """What an analysis returned: its figures (summary, as summary.json holds them), its tables (name ->
    DataFrame; df.attrs has description and dataset), per-head figures for sweeps, and its text block."""
    name: str
    summary: dict = field(repr=False)
    tables: dict = field(repr=False)
    head_values: pd.DataFrame = field(repr=False)
    run_values: dict = field(repr=False)
    text: str = field(repr=False)

    def __repr__(self):
        return f"<{self.name} result: tables {', '.join(self.tables) or '(none)'}; summary keys {', '.join(self.summary)}>"

    def __getitem__(self, table: str) -> pd.DataFrame:
        if table not in self.tables:
            raise KeyError(f"{self.name} has no table {table!r} (its tables: {', '.join(self.tables)})")
        return self.tables[table]


def _examples(model, data, n, seed):
    from .tasks import Examples
    if data is None:
        return model.task.generate(n, split="test", seed=seed)
    if isinstance(data, Examples):
        return data
    if isinstance(data, (str, os.PathLike)):
        return model.task.load_text(data)
    raise TypeError("data must be headcount.tasks Examples, a path to a text-form file, or None (generated)")


def analyze(model, name: str, data=None, *, n: int = 5000, seed: int = 1, train=None, **options) -> AnalysisResult:
    """Runs the registered analysis `name` on model (headcount.analyses() lists them) over data (Examples, a
    text-form file, or n generated held-out examples of seed, as `headcount analyze` uses). train: the split
    probes are fitted on (Examples; default generated). options: threads, seed, heads_of_interest, families,
    n_families."""
    ex = _examples(model, data, n, seed)
    tr = _examples(model, train, n, seed)._d if train is not None else None
    if "seed" not in options:
        options["seed"] = seed
    r = core.run_analysis(name, model._m, ex._d, tr, options)
    hv = pd.DataFrame(r.head_values, columns=["head", "metric", "value"])
    return AnalysisResult(name=r.name, summary=r.summary, tables={t["name"]: _frame(t) for t in r.tables},
                          head_values=hv, run_values=r.run_values, text=r.text)


def zero_ablation_logits(model, data, heads, threads: int = 1) -> np.ndarray:
    """Logits [N, d_vocab] at each example's query position with the heads' z zeroed at every position (flat head
    indices layer * n_heads + head), through the C++ patch driver."""
    return core.zero_ablation_logits(model._m, data._d, list(heads), threads)


def edge_scaling_logits(model, data, heads, s: float, mode: str = "weight", threads: int = 1) -> np.ndarray:
    """Logits [N, d_vocab] with the attention of `heads` from the query to the task's key target scaled by s
    (mode "weight": post-softmax weights scaled and the row renormalised; "score": pre-softmax scores)."""
    return core.edge_scaling_logits(model._m, data._d, list(heads), float(s), mode, threads)


def reproduce(out: str, full: bool = False, jobs: int = 1, progress: bool = True):
    """`headcount reproduce`: trains and studies the Count01 paper's models and the Max-of-List head study into
    out. Returns (summary dict, tables {name: DataFrame}, REPRODUCTION.md text)."""
    summary, tables, markdown = core.reproduce(os.fspath(out), full, jobs, progress)
    return summary, {t["name"]: _frame(t) for t in tables}, markdown


def sweep(spec, out: str, jobs: int = 1, force: bool = False, progress: bool = True) -> pd.DataFrame:
    """`headcount sweep`: spec is a dict (as spec.json holds it, docs/SWEEPS.md) or a path to a spec file. Runs
    (or resumes) the grid into out and returns the results table (one row per run)."""
    if isinstance(spec, dict):
        text, source = json.dumps(spec), "the sweep spec"
    else:
        with open(os.fspath(spec)) as f:
            text, source = f.read(), os.fspath(spec)
    return _frame(core.sweep(text, source, os.fspath(out), jobs, force, progress))


def sweep_results(out: str) -> pd.DataFrame:
    """The results table of a finished sweep directory."""
    return _frame(core.sweep_results(os.fspath(out)))

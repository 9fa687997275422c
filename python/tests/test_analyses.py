"""Registered analyses from Python: typed results with pandas tables."""
import pandas as pd
import pytest

import headcount


def test_every_registered_analysis_is_listed():
    names = set(headcount.analyses()["name"])
    assert {"ablation", "edge_scaling", "head_metrics"} <= names


def test_ablation_result_tables_are_dataframes(mol_model, mol_test):
    r = headcount.analyze(mol_model, "ablation", mol_test[:500])
    t = r["ablation_zero_single"]
    assert isinstance(t, pd.DataFrame) and len(t) == 4
    assert r.summary["zero"]["single"].keys() == {"0", "1", "2", "3"}
    # the summary and the table agree
    for _, row in t.iterrows():
        assert abs(r.summary["zero"]["single"][str(row.iloc[0])] - row["accuracy"]) < 1e-9
    assert list(r.head_values.columns) == ["head", "metric", "value"]
    assert "zero" in r.text or "ablation" in r.text.lower()


def test_count01_head_metrics_match_the_pytorch_figures(c01_model, c01_test):
    import json
    from conftest import DATA
    train = c01_model.task.load_text(DATA / "count01_tl.train.txt")
    r = headcount.analyze(c01_model, "head_metrics", c01_test, train=train, threads=2)
    expected = json.loads((DATA / "count01_tl.expected.json").read_text())["heads"]
    df = r["heads"]
    assert len(df) == len(expected) == 16
    for e in expected:
        row = df[df["head"] == e["head"]].iloc[0]
        assert abs(row["s_acc"] - e["s_acc"]) <= 2 / 4000, e["head"]
        assert abs(row["l_acc"] - e["l_acc"]) <= 2 / 4000, e["head"]
        assert abs(row["auc"] - e["auc"]) <= 1e-4, e["head"]
        assert row["w01"] == pytest.approx(e["w01"], rel=1e-4) and row["w02"] == pytest.approx(e["w02"], rel=1e-4)
    # the typed result: per-head figures for sweeps and the summary agree with the table
    hv = r.head_values
    assert set(hv["metric"]) >= {"s_acc", "w01"}
    assert hv[(hv["head"] == 3) & (hv["metric"] == "s_acc")]["value"].iloc[0] == df[df["head"] == 3]["s_acc"].iloc[0]
    assert r.summary["weighted_s_acc"] == r.run_values["weighted_s_acc"]


def test_sweep_results_as_a_dataframe(tmp):
    spec = {"task": "count01", "d-model": 8, "heads": [2, 4], "steps": 20, "eval-every": 10, "eval-size": 50,
            "seeds": 1}
    df = headcount.sweep(spec, tmp / "sw", progress=False)
    assert isinstance(df, pd.DataFrame) and len(df) == 2
    assert sorted(df["heads"]) == [2, 4] and "accuracy" in df.columns
    again = headcount.sweep_results(tmp / "sw")
    assert again.equals(df)

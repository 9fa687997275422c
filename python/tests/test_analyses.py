"""Registered analyses from Python: typed results with pandas tables."""
import pandas as pd

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
    df = next(iter(r.tables.values()))
    assert len(df) == len(expected)

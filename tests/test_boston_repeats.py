"""The repeat rule against Boston's own duplicate labels (the figures of docs/insight.md come from the script)."""

from __future__ import annotations

import sys
from pathlib import Path

from analytics.repeats.clusters import RepeatRule
from tests.conftest import need_real_data

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))


def test_boston_duplicate_labels_recall_and_precision():
    from boston_repeats import boston_cases, evaluate

    path = need_real_data() / "boston311_2015" / "boston311_2015.parquet"
    cases = boston_cases(path)
    assert int(cases["label"].sum()) == 3871  # the count the issue and SOURCE.md give
    table = evaluate(cases, (RepeatRule(100, 72, 0.0), RepeatRule(200, 168, 0.0)))
    tight, loose = table.iloc[0], table.iloc[1]
    assert 0 < tight["recall"] <= loose["recall"] <= 1  # a looser rule finds at least as many
    assert tight["labelled_flagged"] <= tight["flagged"] and 0 < tight["precision"] <= 1
    assert tight["recall"] == tight["labelled_flagged"] / 3871

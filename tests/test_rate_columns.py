"""The per-area rates derived on columns (metrics.derive_rate_columns, used by area_frame) equal the per-row
definition (metrics.derive_rates) and the hand-worked values of metrics.md."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analytics import metrics


def _counts(**values) -> dict:
    row = {name: 0 for name in metrics.AGGREGATES if name not in metrics.NOT_COUNTS}
    row.update({"median_handling_hours": None, "p90_handling_hours": None, "suspended_overdue_max_days": None})
    row["satisfaction_points"] = 0.0
    row.update(values)
    return row


# 0: the 911/737/972 check figures; 1: cases to judge but none with a deadline; 2: nothing at all;
# 3: call-backs and disputes (7 valid: 6 contacted, 5 solved, 6.3 points; 4 received, 3 resolved, 2 locally)
ROWS = [
    _counts(closed=911, closed_on_time=737, open_overdue=61, to_judge=980, with_deadline=980),
    _counts(closed=3, closed_on_time=0, closed_without_deadline=3, to_judge=4, with_deadline=0, open_overdue=0),
    _counts(),
    _counts(
        closed=10,
        closed_on_time=8,
        closed_without_deadline=2,
        closed_with_rework=1,
        to_judge=10,
        with_deadline=8,
        valid_callbacks=7,
        callbacks_contacted=6,
        callbacks_solved=5,
        satisfaction_points=6.3,
        worker_reported=4,
        worker_self_handled=1,
        disputes_received=4,
        disputes_resolved=3,
        disputes_resolved_local=2,
    ),
]


def _frame() -> pd.DataFrame:
    frame = pd.DataFrame(ROWS)
    frame.insert(0, "area_id", ["a", "b", "c", "d"])
    frame["area_name"] = frame["area_id"]
    frame["population"] = [1000.0, 0.0, None, 2000.0]
    frame["grids"] = 1
    frame["grids_without_population"] = [0, 0, 1, 0]
    return frame


def test_rates_by_hand():
    out = metrics.area_frame(_frame())
    assert out.loc[0, "due_to_close"] == 972
    assert out.loc[0, "closure_rate"] == 911 / 972
    assert out.loc[0, "on_time_closure_rate"] == 737 / 972
    # no deadline among the 4 to judge: due to close, open overdue and the closure rates are null
    assert not out.loc[1, "deadlines_known"] and out.loc[0, "deadlines_known"]
    for name in metrics.DEADLINE_KEYS:
        assert math.isnan(out.loc[1, name])
    assert math.isnan(out.loc[2, "closure_rate"]) and out.loc[2, "due_to_close"] == 0
    d = out.loc[3]
    assert d["on_time_closure_rate"] == 8 / (10 - 2) and d["rework_rate"] == 1 / 10
    assert (d["response_rate"], d["solve_rate"], d["satisfaction_rate"]) == (6 / 7, 5 / 7, 6.3 / 7)
    assert d["three_rates_composite"] == pytest.approx(0.1 * 6 / 7 + 0.5 * 5 / 7 + 0.4 * 6.3 / 7)
    assert (d["self_handled_rate"], d["dispute_resolution_rate"], d["local_resolution_rate"]) == (1 / 4, 3 / 4, 2 / 3)
    assert math.isnan(out.loc[0, "response_rate"]) and math.isnan(out.loc[0, "three_rates_composite"])
    assert out["due_to_close"].dtype == "float64"  # a row without deadlines makes the count nullable
    assert out["reported_per_1000"].isna().tolist() == [False, True, True, False]


@pytest.mark.parametrize("weights", [None, {"satisfaction_rate": 0.3, "solve_rate": 0.3, "response_rate": 0.4}])
@pytest.mark.parametrize("rows", [[0, 1, 2, 3], [0, 3], [1], [2]])
def test_columns_equal_the_row_definition(rows, weights):
    frame = _frame().iloc[rows].reset_index(drop=True)
    cfg = {"three_rates": {"weights": weights}} if weights else None
    out = metrics.area_frame(frame, cfg)
    for i, counts in enumerate(ROWS[r] for r in rows):
        expected = metrics.derive_rates(counts, weights)
        for name in ("due_to_close", "open_overdue", *metrics.RATE_KEYS, "deadlines_known"):
            got, want = out.loc[i, name], expected[name]
            assert (want is None and math.isnan(got)) or got == want, (rows, i, name, got, want)  # exact
    known = all(metrics.derive_rates(ROWS[r])["deadlines_known"] for r in rows)
    assert out["due_to_close"].dtype == ("int64" if known else "float64")

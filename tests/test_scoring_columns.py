"""add_scores on numpy columns: nulls, dtypes, column order and scoring a scored frame again (hand-worked)."""

import math

import numpy as np
import pandas as pd

from analytics.config import DEFAULTS
from analytics.scoring import add_scores, weighted_score

COLUMNS = ["area_id", "on_time_closure_rate", "closure_rate", "satisfaction_rate", "rework_rate"]


def _frame(rows):
    return pd.DataFrame(rows, columns=[*COLUMNS, "due_to_close", "open_overdue"])


def test_nulls_dtypes_and_order():
    f = _frame(
        [
            # every component null (nothing due, no call-back, no rework rate) but enough cases: no score at all
            ("n", None, None, None, None, 8, 0),
            # due to close unknown (no deadline among the cases): grey, not graded
            ("u", 1.0, 1.0, 1.0, 0.0, None, None),
            # 40*0.75 + 30*1 + 20*(0.6875) + 10*1 = 30 + 30 + 13.75 + 10 = 83.75 -> 83.8 (halves up), B;
            # open overdue 2 of 10 = 20 %, not above 20 %: green
            ("b", 0.75, 1.0, 0.6875, 0.0, 10, 2),
            # (40*0.5 + 30*0.5) / 70 * 100 = 35 / 0.7 = 50.0 -> D (satisfaction and rework null), red
            ("d", 0.5, 0.5, None, None, 6, 0),
        ]
    )
    s = add_scores(f, DEFAULTS)
    points = [f"points_{n}" for n in DEFAULTS["score"]["weights"]]
    assert list(s.columns) == [*f.columns, *points, "score", "grade", "status", "rank"]
    assert s["score"].dtype == "float64" and s["grade"].dtype == object and s["status"].dtype == object
    assert str(s["rank"].dtype) == "Int64"
    assert math.isnan(s.loc[0, "score"]) and s.loc[0, "grade"] is pd.NA and s.loc[0, "status"] == "grey"
    assert s.loc[0, "rank"] is pd.NA and all(math.isnan(s.loc[0, p]) for p in points)
    assert s.loc[1, "status"] == "grey" and s.loc[1, "grade"] is pd.NA  # 100 points, but due to close unknown
    assert s.loc[2, "score"] == 83.8 and s.loc[2, "grade"] == "B" and s.loc[2, "status"] == "green"
    assert s.loc[2, "points_satisfaction_rate"] == 13.75
    assert s.loc[3, "score"] == 50.0 and s.loc[3, "grade"] == "D" and s.loc[3, "status"] == "red"
    assert s.loc[3, "points_on_time_closure_rate"] == 40 * 0.5 * (100.0 / 70)
    assert list(s["rank"].astype("float").fillna(-1)) == [-1, -1, 1, 2]


def test_points_add_up_in_component_order():
    # 0.1 + 0.2 + 0.3 is 0.6000000000000001 added left to right: the score sums the points in that order
    rates = pd.DataFrame({"x": [0.1], "y": [0.2], "z": [0.3]})
    out = weighted_score(rates, {"x": 1.0, "y": 1.0, "z": 1.0})
    pts = [0.1 * 1.0 * (100.0 / 3.0), 0.2 * 1.0 * (100.0 / 3.0), 0.3 * 1.0 * (100.0 / 3.0)]
    assert out.loc[0, "score"] == (0.0 + pts[0] + pts[1]) + pts[2]
    assert list(out.columns) == ["points_x", "points_y", "points_z", "score"]


def test_scoring_again_replaces_the_columns():
    f = _frame([("a", 1.0, 1.0, 1.0, 0.0, 10, 0), ("b", 0.5, 0.5, 0.5, 0.5, 10, 5)])
    once = add_scores(f, DEFAULTS)
    twice = add_scores(once, DEFAULTS)
    pd.testing.assert_frame_equal(twice, once)
    # 40*0.5 + 30*0.5 + 20*0.5 + 10*0.5 = 50 -> D; open overdue 5 of 10: red
    assert list(once["score"]) == [100.0, 50.0] and list(once["grade"]) == ["A", "D"]


def test_department_has_no_status():
    d = pd.DataFrame(
        {
            "department": ["x", "y"],
            "on_time_handling_rate": [0.9, np.nan],
            "handled_rate": [1.0, np.nan],
            "rework_rate": [0.0, np.nan],
            "due_to_handle": [30, 30],
        }
    )
    s = add_scores(d, DEFAULTS, entity="department")
    assert "status" not in s.columns
    # the configured weights (in their order) over 90 %, 100 % and 100 %, rounded to one decimal
    w = DEFAULTS["score"]["department_weights"]
    want = 0.0 + 0.9 * w["on_time_handling_rate"] * (100.0 / sum(w.values()))
    want = want + 1.0 * w["handled_rate"] * (100.0 / sum(w.values()))
    want = want + 1.0 * w["non_rework_rate"] * (100.0 / sum(w.values()))
    assert s.loc[0, "score"] == np.floor(want * 10 + 0.5) / 10
    assert math.isnan(s.loc[1, "score"]) and s.loc[1, "grade"] is pd.NA

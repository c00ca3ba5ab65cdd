"""Grid score, grades, status and city index against hand-worked values."""

import pandas as pd
import pytest

from analytics.config import DEFAULTS
from analytics.scoring import add_scores, city_index


def frame(rows):
    return pd.DataFrame(
        rows,
        columns=[
            "area_id",
            "on_time_closure_rate",
            "closure_rate",
            "satisfaction_rate",
            "rework_rate",
            "due_to_close",
            "open_overdue",
        ],
    )


def test_scores_grades_status_ranks_and_ties():
    f = frame(
        [
            # 40*0.95 + 30*1.0 + 20*0.9 + 10*(1-0.0) = 38 + 30 + 18 + 10 = 96 -> A, green
            ("a", 0.95, 1.00, 0.90, 0.00, 100, 0),
            # tie with a: same rates -> same score, same rank 1
            ("b", 0.95, 1.00, 0.90, 0.00, 50, 0),
            # 40*0.5 + 30*0.8 + 20*0.6 + 10*0.9 = 20 + 24 + 12 + 9 = 65 -> C, amber; rank 3 after the tie
            ("c", 0.50, 0.80, 0.60, 0.10, 40, 2),
            # no call-backs: satisfaction left out, weights rescaled over 80:
            # (40*0.3 + 30*0.5 + 10*1.0) / 80 * 100 = (12 + 15 + 10) / 0.8 = 46.25 -> 46.3 (one decimal) -> D, red
            ("d", 0.30, 0.50, None, 0.00, 10, 0),
            # too few cases (due to close 4 < 5): no score, no grade, grey, no rank
            ("e", 0.0, 0.0, 0.0, 1.0, 4, 4),
            # B by score (40*0.8+30*0.9+20*0.8+10*1 = 32+27+16+10 = 85) but 30 % open overdue > 20 % -> red
            ("f", 0.80, 0.90, 0.80, 0.00, 10, 3),
        ]
    )
    s = add_scores(f, DEFAULTS).set_index("area_id")
    assert s.loc["a", "score"] == pytest.approx(96.0)
    assert s.loc["c", "score"] == pytest.approx(65.0)
    assert s.loc["d", "score"] == pytest.approx(46.3)
    assert s.loc["f", "score"] == pytest.approx(85.0)
    assert list(s["grade"].fillna("-")) == ["A", "A", "C", "D", "-", "B"]
    assert list(s["status"]) == ["green", "green", "amber", "red", "grey", "red"]
    assert list(s["rank"].astype("float").fillna(-1)) == [1, 1, 4, 5, -1, 3]
    # the points explain the score: they add up to it
    points = s[[c for c in s.columns if c.startswith("points_")]].sum(axis=1)
    assert points.loc["c"] == pytest.approx(65.0)
    assert s.loc["c", "points_on_time_closure_rate"] == pytest.approx(20.0)


def test_weight_change_reorders():
    f = frame([("x", 1.0, 0.5, 0.5, 0.0, 20, 0), ("y", 0.5, 1.0, 0.5, 0.0, 20, 0)])
    default = add_scores(f, DEFAULTS).set_index("area_id")
    # default: x = 40 + 15 + 10 + 10 = 75, y = 20 + 30 + 10 + 10 = 70
    assert default.loc["x", "score"] == pytest.approx(75.0) and default.loc["y", "score"] == pytest.approx(70.0)
    heavy_closure = {"on_time_closure_rate": 10, "closure_rate": 70, "satisfaction_rate": 10, "non_rework_rate": 10}
    other = add_scores(f, DEFAULTS, heavy_closure).set_index("area_id")
    # x = 10 + 35 + 5 + 10 = 60, y = 5 + 70 + 5 + 10 = 90
    assert other.loc["x", "score"] == pytest.approx(60.0) and other.loc["y", "score"] == pytest.approx(90.0)
    assert other.loc["y", "rank"] == 1 and default.loc["x", "rank"] == 1


def test_city_index_mean_of_ratios():
    cfg = {
        "city_index": {
            "targets": {
                "closure_rate": 0.95,
                "satisfaction_rate": 0.90,
                "median_handling_hours": 48.0,
                "response_rate": 0.95,
            },
            "lower_is_better": ["median_handling_hours"],
        }
    }
    r = city_index(
        {"closure_rate": 0.76, "satisfaction_rate": 0.99, "median_handling_hours": 96.0, "response_rate": None}, cfg
    )
    # 0.76/0.95 = 0.8, 0.99/0.90 = 1.1, 48/96 = 0.5; response has no value -> left out; mean = 2.4/3 = 0.8
    assert r["ratios"]["closure_rate"] == pytest.approx(0.8)
    assert r["ratios"]["response_rate"] is None
    assert r["index"] == pytest.approx(0.8)

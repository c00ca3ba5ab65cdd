"""City index views (day, week, month, quarter): each ratio is actual / target of that window."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics import cityscore, metrics
from analytics.config import DEFAULTS
from analytics.filters import Filters
from tests.helpers import add_cases, empty_store


def test_view_windows_end_with_the_period():
    views = cityscore.view_filters(Filters(dt.date(2025, 12, 1), dt.date(2026, 1, 1), kind="demand"))
    assert {v: (w.start, w.end) for v, w in views.items()} == {
        "day": (dt.date(2025, 12, 31), dt.date(2026, 1, 1)),
        "week": (dt.date(2025, 12, 25), dt.date(2026, 1, 1)),
        "month": (dt.date(2025, 12, 2), dt.date(2026, 1, 1)),
        "quarter": (dt.date(2025, 10, 2), dt.date(2026, 1, 1)),
    }
    assert views["week"].kind == "demand"


def test_ratios_by_hand():
    con = empty_store()
    # the last day: 1 case closed on time of 2 due (one open overdue) -> closure 50 %;
    # earlier in the week: 2 more closed on time -> week closure 3/4 = 75 %
    add_cases(
        con,
        [
            {"reported_at": "2025-12-31 09:00", "closed_at": "2025-12-31 12:00", "due_at": "2025-12-31 17:00",
             "status": "closed"},
            {"reported_at": "2025-12-29 09:00", "due_at": "2025-12-30 17:00"},
            {"reported_at": "2025-12-27 09:00", "closed_at": "2025-12-27 10:00", "due_at": "2025-12-28 17:00",
             "status": "closed"},
            {"reported_at": "2025-12-26 09:00", "closed_at": "2025-12-26 10:00", "due_at": "2025-12-28 17:00",
             "status": "closed"},
        ],
    )  # fmt: skip
    cfg = {**DEFAULTS, "city_index": {"targets": {"closure_rate": 0.8}, "lower_is_better": []}}
    table = cityscore.index_views(con, Filters(dt.date(2025, 12, 1), dt.date(2026, 1, 1)), cfg).set_index("metric")
    assert table.at["closure_rate", "day"] == pytest.approx(0.5 / 0.8)
    assert table.at["closure_rate", "week"] == pytest.approx(0.75 / 0.8)
    assert table.at["closure_rate", "quarter"] == pytest.approx(0.75 / 0.8)
    assert table.at["index", "week"] == pytest.approx(0.75 / 0.8)  # one metric: the index is its ratio
    assert table.at["closure_rate", "target"] == 0.8


def test_views_match_summary_on_demo(demo_con):
    f = Filters(dt.date(2025, 11, 1), dt.date(2025, 12, 1))
    table = cityscore.index_views(demo_con, f, DEFAULTS).set_index("metric")
    week = metrics.summary(demo_con, Filters(dt.date(2025, 11, 24), dt.date(2025, 12, 1)), DEFAULTS)
    assert table.at["on_time_closure_rate", "week"] == pytest.approx(week["on_time_closure_rate"] / 0.90)
    assert table.at["median_handling_hours", "week"] == pytest.approx(48.0 / week["median_handling_hours"])

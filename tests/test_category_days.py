"""The overview's one scan of reports per day, kind and category (:mod:`analytics.category_days`): worked out by
hand on a few cases, and equal to the two queries it replaces (top categories, the spike alert's daily counts)
on the demo city for every kind of filter."""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import pandas as pd
import pytest

from analytics import alerts, category_days, queries
from analytics.access.scope import Scope
from analytics.config import load_config
from analytics.filters import Filters

OCT = Filters(dt.date(2026, 10, 1), dt.date(2026, 11, 1))
WEEKS = 8  # since = min(previous start 2026-09-01, 2026-10-01 - 8 weeks = 2026-08-06) = 2026-08-06


def _hand_cases() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE cases (case_id TEXT, kind TEXT, category_code TEXT, category_name TEXT,
           category_major TEXT, grid_id TEXT, source TEXT, reported_at TIMESTAMP)"""
    )
    rows = [
        ("a", "demand", "x", "X", "M", "g", "app", "2026-10-05 08:00"),  # in P
        ("b", "demand", "x", "X", "M", "g", "app", "2026-10-05 12:00"),  # in P, same day
        ("c", "demand", "x", "X", "M", "g", "app", "2026-09-10 09:00"),  # previous period
        ("d", "incident", "x", "X", "M", "g", "app", "2026-10-20 09:00"),  # in P, same code, other kind
        ("e", "demand", "y", "Y", "M", "g", "app", "2026-09-15 09:00"),  # previous only: not a top category
        ("f", "demand", "y", "Y", "M", "g", "app", "2026-08-10 09:00"),  # baseline weeks only
        ("g", "demand", "z", "Z", "M", "g", "app", "2026-08-01 09:00"),  # before both windows: not read
        ("h", "demand", "x", "X", "M", "g", "app", "2026-11-01 00:00"),  # at the period's end: outside
    ]
    con.executemany("INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return con


def test_category_days_by_hand():
    con = _hand_cases()
    assert category_days.since(OCT, WEEKS) == dt.date(2026, 8, 6)
    days = category_days.category_days(con, OCT, WEEKS)
    got = {(str(r.day)[:10], r.kind, r.category_code): r.n for r in days.itertuples()}
    assert got == {
        ("2026-10-05", "demand", "x"): 2,
        ("2026-09-10", "demand", "x"): 1,
        ("2026-10-20", "incident", "x"): 1,
        ("2026-09-15", "demand", "y"): 1,
        ("2026-08-10", "demand", "y"): 1,
    }
    top = category_days.category_counts(days, OCT)
    assert top[["kind", "category_code", "category_name", "reported", "reported_previous"]].values.tolist() == [
        ["demand", "x", "X", 2, 1],
        ["incident", "x", "X", 1, 0],
    ]
    daily = category_days.daily_counts(days, OCT, WEEKS)
    got = {(str(r.day)[:10], r.category_code): r.n for r in daily.itertuples()}
    assert got == {
        ("2026-10-05", "x"): 2,
        ("2026-10-20", "x"): 1,  # the incident: the daily counts take the kinds together
        ("2026-09-10", "x"): 1,
        ("2026-09-15", "y"): 1,
        ("2026-08-10", "y"): 1,
    }
    with pytest.raises(ValueError, match="negative"):
        category_days.category_days(con, OCT, -1)


def _filter_sets(con) -> list[Filters]:
    street, grid, district = con.execute("SELECT min(street_id), min(grid_id), min(district_id) FROM grids").fetchone()
    category = con.execute("SELECT category_code FROM cases GROUP BY 1 ORDER BY count(*) DESC").fetchone()[0]
    month = Filters(dt.date(2025, 10, 1), dt.date(2025, 11, 1))
    return [
        month,
        Filters(dt.date(2025, 4, 1), dt.date(2025, 7, 1)),  # a quarter: its previous period reaches further back
        Filters(dt.date(2025, 6, 3), dt.date(2025, 6, 17), kind="dispute"),
        dataclasses.replace(month, level="street", area=street, kind="demand"),
        dataclasses.replace(month, level="grid", area=grid),
        dataclasses.replace(month, category=category),
        dataclasses.replace(month, source="hotline"),
        dataclasses.replace(month, scope=Scope((("district", district),))),
        dataclasses.replace(month, level="street", area="x'; DROP TABLE cases;--"),
        Filters(dt.date(2031, 1, 1), dt.date(2031, 2, 1)),
    ]


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a total order (the plain query orders by count and code only: kinds sharing both may swap)."""
    return frame.sort_values(["reported", "category_code", "kind"], ascending=[False, True, True]).reset_index(
        drop=True
    )


def test_one_scan_equals_the_two_queries(demo_con):
    cfg = load_config()
    weeks = int(cfg["spikes"]["baseline_weeks"])
    listed = spiked = 0
    for f in _filter_sets(demo_con):
        days = category_days.category_days(demo_con, f, weeks)
        plain = queries.category_counts(demo_con, f)
        pd.testing.assert_frame_equal(_ordered(category_days.category_counts(days, f)), _ordered(plain))
        table, names = alerts.daily_category_counts(demo_con, f, weeks, days)
        plain_table, plain_names = alerts.daily_category_counts(demo_con, f, weeks)
        pd.testing.assert_frame_equal(table.sort_index(axis=1), plain_table.sort_index(axis=1))
        pd.testing.assert_series_equal(names.sort_index(), plain_names.sort_index())
        with_days = alerts.spike_alerts(demo_con, f, cfg["spikes"], days)
        pd.testing.assert_frame_equal(with_days, alerts.spike_alerts(demo_con, f, cfg["spikes"]))
        listed += len(plain)
        spiked += len(with_days)
    assert listed > 0 and spiked > 0, (listed, spiked)  # the comparison compared something

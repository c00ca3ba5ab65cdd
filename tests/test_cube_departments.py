"""The department figures the overview's alerts read from the cube (``department_daily``,
``department_histogram``): worked out by hand on a few cases, and equal to the case-level
:func:`analytics.departments.department_metrics_pair` on the demo city (medians and p90 within the histogram's
bound), so the cube-mode overview reads no case row."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pandas as pd
import pytest

from analytics.access.scope import Scope
from analytics.cube.build import CUBE_DB, WHOLE_RANGE
from analytics.cube.departments import FLOWS, cube_department_pair
from analytics.cube.dialect import cube_settings, statements
from analytics.cube.read import quantile_error_bound
from analytics.departments import department_metrics_pair
from analytics.filters import Filters

EVERY_DAY = {"period_start": WHOLE_RANGE[0], "period_end": WHOLE_RANGE[1]}
QUANTILES = ("median_handling_hours", "p90_handling_hours")


@pytest.fixture()
def cube_con(duck_cube):
    con = duckdb.connect(str(duck_cube / CUBE_DB), read_only=True)
    yield con
    con.close()


def _hand_cases() -> duckdb.DuckDBPyConnection:
    """Four cases of department D in grid g (times on 2025-01-xx):

    a: dispatched 02 09:00, due 05 12:00, handled 10 08:00 -> open overdue at the ends 06..10 (+1 on 05, -1 on 10)
    b: dispatched 03 10:00, due 02 00:00 (before dispatch), still open, suspended -> suspended overdue from 03 on
    c: dispatched 04 10:00, due 20 00:00, handled 06 10:00, 1 rework, never re-dispatched -> handled on time on 06
    d: dispatched 04 11:00, cancelled -> counts in ``dispatched`` only
    """
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE cases (grid_id TEXT, kind TEXT, department TEXT, status TEXT, dispatched_at TIMESTAMP,
           due_at TIMESTAMP, handled_at TIMESTAMP, rework_count INTEGER, redispatch_count INTEGER)"""
    )
    day = dt.datetime(2025, 1, 1)
    rows = [
        ("g", "demand", "D", "closed", day.replace(day=2, hour=9), day.replace(day=5, hour=12),
         day.replace(day=10, hour=8), 0, 1),
        ("g", "demand", "D", "suspended", day.replace(day=3, hour=10), day.replace(day=2), None, 0, None),
        ("g", "demand", "D", "closed", day.replace(day=4, hour=10), day.replace(day=20),
         day.replace(day=6, hour=10), 1, 0),
        ("g", "demand", "D", "cancelled", day.replace(day=4, hour=11), None, None, 0, 0),
    ]  # fmt: skip
    con.executemany("INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return con


def test_department_daily_by_hand():
    con = _hand_cases()
    frame = con.execute(statements(cube_settings())["department_daily"], EVERY_DAY).df().set_index("day")
    frame.index = [d.day for d in pd.to_datetime(frame.index)]
    assert frame.loc[2, "dispatched"] == 1 and frame.loc[2, "dispatched_known"] == 1  # a: re-dispatched once
    assert frame.loc[2, "dispatched_first_time"] == 0
    # b (suspended, due before dispatch) is overdue from its dispatch day; its re-dispatch count is unknown
    assert frame.loc[3, ["dispatched", "dispatched_known", "suspended_overdue", "open_overdue"]].tolist() == [
        1,
        0,
        1,
        0,
    ]
    # c and d dispatched on the 4th: both count as dispatched, only c (not cancelled) as first-time
    assert frame.loc[4, ["dispatched", "dispatched_known", "dispatched_first_time"]].tolist() == [2, 1, 1]
    assert frame.loc[5, "open_overdue"] == 1  # a passes its deadline
    assert frame.loc[6, ["handled", "handled_on_time", "handled_with_rework"]].tolist() == [1, 1, 1]  # c
    assert frame.loc[10, ["handled", "handled_on_time", "open_overdue"]].tolist() == [1, 0, -1]  # a, late
    assert frame["handled_before_dispatch"].sum() == 0
    assert set(frame.index) == {2, 3, 4, 5, 6, 10}
    # the running sum of the changes before an end day is the open overdue at that end
    running = frame["open_overdue"].sort_index().cumsum()
    assert [int(running[running.index < end].iloc[-1]) for end in (5, 6, 10, 11)] == [0, 1, 1, 0]


def test_department_histogram_by_hand():
    con = _hand_cases()
    rows = con.execute(statements(cube_settings())["department_histogram"], EVERY_DAY).fetchall()
    # a: 7 days 23 h after dispatch, c: exactly 2 days; cancelled d and open b have no duration
    assert sorted(r[5] for r in rows) == [1, 1] and len(rows) == 2
    assert {r[1].day for r in rows} == {6, 10}


def _filter_sets(demo_con) -> list[Filters]:
    grid, street, district = demo_con.execute(
        "SELECT grid_id, street_id, district_id FROM grids ORDER BY grid_id LIMIT 1"
    ).fetchone()
    return [
        Filters(dt.date(2025, 10, 1), dt.date(2025, 11, 1)),
        Filters(dt.date(2025, 1, 1), dt.date(2025, 7, 1), "street", street, kind="demand"),
        Filters(dt.date(2025, 6, 1), dt.date(2025, 7, 1), "grid", grid),
        Filters(dt.date(2025, 3, 5), dt.date(2025, 3, 19), kind="incident"),
        Filters(dt.date(2025, 4, 1), dt.date(2025, 5, 1), scope=Scope((("district", district),))),
        Filters(dt.date(2025, 6, 1), dt.date(2025, 7, 1), kind="x'; DROP TABLE department_daily;--"),
        Filters(dt.date(2010, 1, 1), dt.date(2010, 2, 1)),
    ]


def _assert_same_departments(cube: pd.DataFrame, cases: pd.DataFrame, label: str) -> None:
    relative, absolute = quantile_error_bound(cube_settings())
    assert list(cube.columns) == list(cases.columns), label
    # the case rows also list departments whose only relevant cases are open and not overdue (all zeros)
    absent = cases[~cases["department"].isin(cube["department"])]
    assert (absent[[*FLOWS, "open_overdue"]] == 0).all().all(), (label, absent)
    cases = cases[cases["department"].isin(cube["department"])].reset_index(drop=True)
    assert cube["department"].tolist() == cases["department"].tolist(), label
    for got, expected in zip(cube.to_dict("records"), cases.to_dict("records")):
        for key, value in expected.items():
            if isinstance(value, float) and math.isnan(value):
                assert got[key] is None or math.isnan(got[key]), (label, key, got[key])
            elif key in QUANTILES:
                assert abs(got[key] - value) <= relative * value + absolute, (label, key, got[key], value)
            elif isinstance(value, float):
                assert got[key] == pytest.approx(value, rel=1e-12), (label, key)
            else:
                assert got[key] == value, (label, key, got[key], value)


@pytest.mark.parametrize("exclude_suspended", [True, False])
def test_cube_department_pair_equals_case_level(demo_con, cube_con, exclude_suspended):
    cfg = {"metrics": {"exclude_suspended": exclude_suspended}}
    compared = overdue = 0
    for f in _filter_sets(demo_con):
        assert cube_department_pair(cube_con, f, not exclude_suspended) is not None, f  # the cube answers
        for cube, cases in zip(department_metrics_pair(cube_con, f, cfg), department_metrics_pair(demo_con, f, cfg)):
            _assert_same_departments(cube, cases, repr(f))
            compared += len(cube)
            overdue += int(cube["open_overdue"].sum())
    assert compared > 0 and overdue > 0


def test_category_filter_reads_the_case_rows(demo_con, cube_con):
    category = demo_con.execute("SELECT category_code FROM cases GROUP BY 1 ORDER BY count(*) DESC").fetchone()[0]
    f = Filters(dt.date(2025, 6, 1), dt.date(2025, 9, 1), category=category)
    assert cube_department_pair(cube_con, f, False) is None
    for cube, cases in zip(department_metrics_pair(cube_con, f), department_metrics_pair(demo_con, f)):
        pd.testing.assert_frame_equal(cube, cases, check_dtype=False)  # the lake's rows: exactly equal


@pytest.mark.parametrize("exclude_suspended", [True, False])
def test_alert_numbers_from_the_cube_equal_case_level(demo_con, cube_con, exclude_suspended):
    """The overview's department alert numbers in cube mode come from the cube's department tables, reading no
    case row of the lake: the same departments and the same handled and open overdue counts as the case rows
    give, medians within the histogram's bound."""
    import re

    from analytics.bench.tracing import Ledger, TracedConnection
    from analytics.departments import alert_numbers

    cfg = {"metrics": {"exclude_suspended": exclude_suspended}}
    ledger = Ledger()
    traced = TracedConnection(cube_con, ledger)
    compared = overdue = 0
    for f in _filter_sets(demo_con):
        ledger.reset()
        cube_pair = alert_numbers(traced, f, cfg)
        assert not [sql for sql in ledger.statements if re.search(r"(FROM|JOIN)\s+cases\b", sql)], f  # no lake read
        for cube, cases in zip(cube_pair, alert_numbers(demo_con, f, cfg)):
            assert list(cube.columns) == list(cases.columns), f
            assert cube["department"].tolist() == cases["department"].tolist(), f
            exact = [c for c in cube.columns if c != "median_handling_hours"]
            pd.testing.assert_frame_equal(cube[exact], cases[exact], check_dtype=False)
            relative, absolute = quantile_error_bound(cube_settings())
            for got, value in zip(cube["median_handling_hours"], cases["median_handling_hours"]):
                assert (math.isnan(got) and math.isnan(value)) or abs(got - value) <= relative * value + absolute
            compared += len(cube)
        overdue += int(cube_pair[0]["open_overdue"].sum())
    assert compared > 0 and overdue > 0

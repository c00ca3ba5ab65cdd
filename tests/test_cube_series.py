"""The report counts the overview's charts and alerts read from the cube in cube mode (trend series, category
counts, reports per area, daily reports per category, the alert list) equal the case-level ones, exactly, on
the demo city: the case-level functions run on the demo database are the independent reference."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from analytics import alerts, metrics, queries, trends
from analytics.access.scope import Scope
from analytics.config import load_config
from analytics.coverage import data_coverage, default_period
from analytics.cube.build import CUBE_DB
from analytics.cube.dialect import cube_settings
from analytics.cube.read import quantile_error_bound
from analytics.filters import Filters


@pytest.fixture()
def cube_con(duck_cube):
    con = duckdb.connect(str(duck_cube / CUBE_DB), read_only=True)
    yield con
    con.close()


def _filter_sets(demo_con) -> list[Filters]:
    grid, street, district = demo_con.execute(
        "SELECT grid_id, street_id, district_id FROM grids ORDER BY grid_id LIMIT 1"
    ).fetchone()
    category = demo_con.execute("SELECT category_code FROM cases GROUP BY 1 ORDER BY count(*) DESC").fetchone()[0]
    return [
        Filters(dt.date(2025, 10, 1), dt.date(2025, 11, 1)),
        Filters(dt.date(2025, 1, 1), dt.date(2025, 7, 1), "street", street, kind="demand"),
        Filters(dt.date(2025, 6, 1), dt.date(2025, 7, 1), "grid", grid),
        Filters(dt.date(2025, 6, 1), dt.date(2025, 9, 1), category=category),
        Filters(dt.date(2025, 6, 1), dt.date(2025, 7, 1), source="hotline"),
        Filters(dt.date(2025, 4, 1), dt.date(2025, 5, 1), scope=Scope((("district", district),))),
        Filters(dt.date(2025, 6, 1), dt.date(2025, 7, 1), kind="x'; DROP TABLE daily;--"),
        Filters(dt.date(2010, 1, 1), dt.date(2010, 2, 1)),
    ]


def _same(left: pd.DataFrame, right: pd.DataFrame, label: str) -> None:
    left, right = left.reset_index(drop=True), right.reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False, obj=label)


def _same_alerts(cases: pd.DataFrame, cube: pd.DataFrame, label: str) -> None:
    """Equal alert lists, but for the median handling times of ``slow_department`` (from the cube's histogram,
    within its bound; their ratio, the severity, within the bound of a quotient of two such medians)."""
    relative, absolute = quantile_error_bound(cube_settings())
    slow_a, slow_b = (frame["alert"] == "slow_department" for frame in (cases, cube))
    _same(cases[~slow_a], cube[~slow_b], label)
    a, b = cases[slow_a].reset_index(drop=True), cube[slow_b].reset_index(drop=True)
    assert a["subject_id"].tolist() == b["subject_id"].tolist(), label
    for column in ("value", "previous"):
        assert (abs(b[column] - a[column]) <= relative * a[column] + absolute).all(), (label, column)
    assert ((b["severity"] / a["severity"] - 1).abs() <= 3 * relative).all(), label


def test_cube_trend_series_equal_case_level(demo_con, cube_con):
    for f in _filter_sets(demo_con):
        for grain, split in [("week", "kind"), ("day", "category"), ("month", "source"), ("week", "none")]:
            a, b = trends.series(demo_con, f, grain, split), trends.series(cube_con, f, grain, split)
            sort = ["bucket", "series"]
            _same(a.sort_values(sort), b.sort_values(sort), f"{f!r} {grain} {split}")
        a, b = (trends.series(c, f, "week", "area", level="street") for c in (demo_con, cube_con))
        _same(a.sort_values(["bucket", "series"]), b.sort_values(["bucket", "series"]), f"{f!r} area")
    assert trends.series(cube_con, _filter_sets(demo_con)[0], "week", "kind")["reported"].sum() > 0


def test_cube_category_and_area_counts_equal_case_level(demo_con, cube_con):
    seen = 0
    for f in _filter_sets(demo_con):
        a, b = queries.category_counts(demo_con, f), queries.category_counts(cube_con, f)
        _same(a, b, f"category_counts {f!r}")
        seen += len(a)
        for level in ("grid", "street"):
            _same(metrics.reported_by_area(demo_con, f, level), metrics.reported_by_area(cube_con, f, level), level)
        weeks = 8
        a_table, a_names = alerts.daily_category_counts(demo_con, f, weeks)
        b_table, b_names = alerts.daily_category_counts(cube_con, f, weeks)
        pd.testing.assert_frame_equal(a_table, b_table, check_dtype=False)
        pd.testing.assert_series_equal(a_names.sort_index(), b_names.sort_index(), check_dtype=False)
    assert seen > 0


def test_cube_alerts_and_coverage_equal_case_level(demo_con, cube_con):
    cfg = load_config()
    assert data_coverage(cube_con) == data_coverage(demo_con)
    coverage = data_coverage(demo_con)
    assert default_period(cube_con, coverage) == default_period(demo_con, coverage)
    start, end = default_period(demo_con, coverage)
    kinds = set()
    for f in [Filters(start, end), *_filter_sets(demo_con)[:3]]:
        a, b = alerts.alerts(demo_con, f, cfg), alerts.alerts(cube_con, f, cfg)
        _same_alerts(a, b, f"alerts {f!r}")
        kinds |= set(a["alert"])
    assert {"spike", "rising_demand"} <= kinds  # the two rules whose counts come from the cube's report days
    assert {"overdue_department", "slow_department"} <= kinds  # from the cube's department tables

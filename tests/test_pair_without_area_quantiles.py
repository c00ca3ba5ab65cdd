"""The overview's period pair without the per-grid handling-time quantiles (``area_quantiles=False``).

The summaries are those of the full pair (their quantiles included), the grid frames those of
:func:`analytics.metrics.by_area` without ``median_handling_hours`` and ``p90_handling_hours`` — on the case-day
path, on the one-scan path over ``cases`` and on the cube; on a file and on a live connection.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from analytics import metrics, period_pair
from analytics.casedays import read
from analytics.cube.build import CUBE_DB
from analytics.filters import Filters
from tests.test_casedays import (  # noqa: F401
    JAN,
    SUSPENDED_COUNT,
    check_every_pair_set,
    counted_city,
    file_and_live,
    plain_by_area,
    plain_summary,
    six_case_city,
)
from tests.test_period_pair import awkward_city, pair_sets  # noqa: F401  (fixture)

QUANTILES = ["median_handling_hours", "p90_handling_hours"]


def assert_lean_pair_is_plain(con, plain, f, cfg=None) -> None:
    lean = period_pair.summaries_and_grids(con, f, cfg, area_quantiles=False)
    for period, summary, areas in ((f, lean.current, lean.areas), (f.previous(), lean.previous, lean.previous_areas)):
        assert summary == plain_summary(plain, period, cfg), period
        assert not set(QUANTILES) & set(areas.columns)
        pd.testing.assert_frame_equal(areas, plain_by_area(plain, period, "grid", cfg).drop(columns=QUANTILES))


def test_six_cases_worked_out_by_hand(tmp_path):
    path = tmp_path / "six.duckdb"
    six_case_city(path, 30)
    with duckdb.connect(str(path), read_only=True) as con:
        assert read.usable(con, JAN)
        lean = period_pair.summaries_and_grids(con, JAN, area_quantiles=False)
        assert_lean_pair_is_plain(con, con, JAN)
    # handling hours (closed - filed) in January: B 119 h, C 551.5 h, D 124 h. Median 124; p90 by linear
    # interpolation at (3 - 1) * 0.9 = 1.8 of the sorted hours: 124 + 0.8 * (551.5 - 124) = 466
    assert lean.current["median_handling_hours"] == 124.0
    assert lean.current["p90_handling_hours"] == pytest.approx(466.0)
    assert lean.previous["median_handling_hours"] is None  # nothing closed in December
    assert list(lean.areas["area_id"]) == ["G1"] and lean.areas["closed"].tolist() == [3]
    assert "median_handling_hours" not in lean.areas


@pytest.mark.parametrize("cfg", [None, SUSPENDED_COUNT], ids=["default", "suspended_counted"])
@pytest.mark.parametrize("live", [False, True], ids=["file", "live"])
def test_case_days_path_equals_plain(counted_city, live, cfg):  # noqa: F811
    check_every_pair_set(counted_city, live, cfg, assert_lean_pair_is_plain)


@pytest.mark.parametrize("live", [False, True], ids=["file", "live"])
def test_one_scan_path_over_cases_equals_plain(awkward_city, live):  # noqa: F811
    with file_and_live(awkward_city, live) as (con, plain):
        for f in pair_sets(plain):
            assert not read.usable(con, f)  # the city has no case-day counts: the one-scan query over cases
            assert_lean_pair_is_plain(con, plain, f)


def test_the_lean_quantile_query_groups_by_period_only():
    where = "TRUE"
    full = read.narrow_sql(where)["quantiles"]
    lean = read.narrow_sql(where, area_quantiles=False)["quantiles"]
    assert "GROUPING SETS" in full and "GROUPING SETS" not in lean
    assert lean.rstrip().endswith("GROUP BY period")
    assert "median_handling_hours" not in period_pair.period_pair_sql(where, area_quantiles=False)
    assert "median_handling_hours" in period_pair.period_pair_sql(where)


def _cube_filter_sets(con) -> list[Filters]:
    """A whole month, a part-month period, a kind, a grid, a street, a category (the day tables, not the
    roll-ups) and a major class with a kind."""
    grid, street = con.execute("SELECT grid_id, street_id FROM grids WHERE grid_id IS NOT NULL ORDER BY 1").fetchone()
    category, major = con.execute("SELECT category_code, category_major FROM categories ORDER BY 1").fetchone()
    month, part = (dt.date(2025, 11, 1), dt.date(2025, 12, 1)), (dt.date(2025, 10, 20), dt.date(2025, 12, 10))
    sets = [{}, {"kind": "demand"}, {"level": "grid", "area": grid}, {"level": "street", "area": street}]
    sets += [{"category": category}, {"category_major": major, "kind": "incident"}]
    return [Filters(*period, **extra) for period in (month, part) for extra in sets]


def test_cube_pair_drops_the_grid_quantiles(duck_cube):
    # without the grid quantiles the cube reads one whole-filter histogram per period and bin (no grid rows):
    # the summaries (their median and p90 included) and the grid counts equal the full pair's
    with duckdb.connect(str(duck_cube / CUBE_DB), read_only=True) as con:
        assert metrics.is_cube(con)
        for f in _cube_filter_sets(con):
            full = period_pair.summaries_and_grids(con, f)
            lean = period_pair.summaries_and_grids(con, f, area_quantiles=False)
            assert lean.current == full.current and lean.previous == full.previous, f
            pd.testing.assert_frame_equal(lean.areas, full.areas.drop(columns=QUANTILES))
            pd.testing.assert_frame_equal(lean.previous_areas, full.previous_areas.drop(columns=QUANTILES))
            assert full.current["median_handling_hours"] is not None or f.category is not None, f

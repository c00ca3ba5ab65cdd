"""The cube's read-side roll-ups and look-ups: the grid x month histogram gives the same bins as the day rows for
whole months, part months and periods inside one month; a cube built before a table was added gets it (and its
roll-ups) without a rebuild, equal to a full build; a cube connection asks its database once."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pandas as pd
import pytest

from analytics.access.scope import Scope
from analytics.coverage import data_coverage
from analytics.cube.build import CUBE_DB, add_missing_tables
from analytics.cube.read import MONTHLY_HISTOGRAM, histogram_sql, is_cube, month_split, remembered
from analytics.filters import Filters, area_filter_sql, area_params, case_filter_sql

PERIODS = [
    (dt.date(2025, 10, 1), dt.date(2025, 11, 1)),  # one whole month
    (dt.date(2025, 1, 15), dt.date(2025, 4, 3)),  # part, two whole months, part
    (dt.date(2025, 3, 5), dt.date(2025, 3, 19)),  # inside one month
    (dt.date(2025, 1, 1), dt.date(2026, 1, 1)),  # a year
    (dt.date(2010, 1, 1), dt.date(2010, 2, 1)),  # before the data
]


@pytest.fixture()
def cube_con(duck_cube):
    con = duckdb.connect(str(duck_cube / CUBE_DB), read_only=True)
    yield con
    con.close()


def test_month_split_by_hand():
    # 2025-01-15 .. 2025-04-03: days 15-31 of January and 1-2 of April by day, February and March by month
    assert month_split(dt.date(2025, 1, 15), dt.date(2025, 4, 3)) == {
        "first_month": dt.date(2025, 2, 1),
        "last_month": dt.date(2025, 4, 1),
    }
    assert month_split(dt.date(2025, 12, 2), dt.date(2026, 2, 1)) == {
        "first_month": dt.date(2026, 1, 1),
        "last_month": dt.date(2026, 2, 1),
    }
    assert month_split(dt.date(2025, 12, 1), dt.date(2025, 12, 1)) == {
        "first_month": dt.date(2025, 12, 1),
        "last_month": dt.date(2025, 12, 1),
    }


def test_monthly_histogram_equals_day_rows(cube_con, demo_con):
    street = demo_con.execute("SELECT min(street_id) FROM grids").fetchone()[0]
    total = 0
    for start, end in PERIODS:
        for f, group in [
            (Filters(start, end), None),
            (Filters(start, end), "grid_id"),
            (Filters(start, end, "street", street, kind="demand"), "grid_id"),
            (Filters(start, end, scope=Scope((("street", street),))), "street_id"),
        ]:
            where, params = case_filter_sql(f)
            if group:
                where = f"{where} AND {area_filter_sql(f, 'g')}"
                params = {**params, **area_params(f)}
            days = {**params, "start_day": start, "end_day": end}
            by_day = cube_con.execute(histogram_sql(where, group, "_by_kind"), days).df()
            by_month = cube_con.execute(
                histogram_sql(where, group, "_by_kind", monthly=True), {**days, **month_split(start, end)}
            ).df()
            pd.testing.assert_frame_equal(by_day, by_month, check_dtype=False, obj=f"{f!r} {group}")
            total += int(by_day["cases"].sum())
    assert total > 0


def test_add_missing_tables_equals_a_full_build(duck_cube, lake, tmp_path):
    copy = tmp_path / "old"
    copy.mkdir()
    shutil.copy(duck_cube / CUBE_DB, copy / CUBE_DB)
    dropped = ["department_daily", "department_histogram", "department_daily_all_grids"]
    dropped += ["department_histogram_all_grids", MONTHLY_HISTOGRAM, "daily_by_category"]
    con = duckdb.connect(str(copy / CUBE_DB))
    for table in dropped:
        con.execute(f"DROP TABLE {table}")
    con.close()
    result = add_missing_tables(lake, copy)
    expected = ["department_daily", "department_histogram", MONTHLY_HISTOGRAM, "daily_by_category"]
    assert sorted(result["added"]) == sorted(expected)
    con = duckdb.connect(str(copy / CUBE_DB), read_only=True)
    con.execute(f"ATTACH '{duck_cube / CUBE_DB}' AS full_build (READ_ONLY)")
    for table in dropped:
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert rows > 0, table
        for a, b in ((table, f"full_build.{table}"), (f"full_build.{table}", table)):
            assert con.execute(f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})").fetchone()[0] == 0, table
    con.close()
    assert add_missing_tables(lake, copy)["added"] == []  # nothing left to add


def test_a_cube_connection_asks_once(cube_con, demo_con):
    calls = []
    assert is_cube(cube_con) and not is_cube(demo_con)
    for con in (cube_con, cube_con, demo_con, demo_con):
        remembered(con, "probe", lambda: calls.append(1) or len(calls))
    assert len(calls) == 3  # once on the cube, every time on the case database
    assert data_coverage(cube_con) == data_coverage(demo_con) is not None


def test_quantile_bins_in_sql_equal_the_full_histogram(cube_con, demo_con):
    from analytics.cube.dialect import cube_settings
    from analytics.cube.read import bin_middles_hours, quantile_bins_sql, quantiles_by_area, quantiles_from_bins

    middles = bin_middles_hours(cube_settings())
    street = demo_con.execute("SELECT min(street_id) FROM grids").fetchone()[0]
    areas = 0
    for start, end in PERIODS:
        for f, group in [(Filters(start, end), "grid_id"), (Filters(start, end, "street", street), "community_id")]:
            where = f"{case_filter_sql(f)[0]} AND {area_filter_sql(f, 'g')}"
            params = {**case_filter_sql(f)[1], **area_params(f), "start_day": start, "end_day": end}
            sql = histogram_sql(where, group, "_by_kind")
            full = dict(zip(*quantiles_by_area(cube_con.execute(sql, params).df(), middles)))
            from_bins = quantiles_from_bins(cube_con.execute(quantile_bins_sql(sql), params).df(), middles)
            assert from_bins == full, f
            areas += len(full)
    assert areas > 0

"""Both periods' handling-time quantiles from one cube query (analytics.cube.histograms), worked out by hand on a
small cube database: the grid x bin matrix, the whole months from the monthly roll-up plus the days around them,
the null grid counted in the whole filter's figures, the kind filter, and an empty period."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import numpy as np
import pytest

from analytics.cube.histograms import matrix_quantiles, period_quantiles, period_totals
from analytics.cube.read import bin_middles_hours
from analytics.filters import Filters, case_filter_sql

SETTINGS = {"bin_base_seconds": 60, "bins_per_decade": 50, "dispute_days": 30, "last_bin": 363, "max_seconds": 10**9}
M = bin_middles_hours(SETTINGS)  # the value standing for each bin (the histogram's definition, not the code tested)


def test_matrix_quantiles_by_hand():
    # row 0: bins 1, 2, 2, 3 (running 0, 1, 3, 4): median rank 1.5 -> order statistics 1 and 2 both in bin 2;
    # p90 rank 2.7 -> statistic 2 in bin 2 (20), statistic 3 in bin 3 (30): 20 + 0.7 * 10 = 27.
    # row 1: one case in bin 3: every statistic is 30.
    median, p90 = matrix_quantiles(np.array([[0, 1, 2, 1], [0, 0, 0, 1]]), [0.0, 10.0, 20.0, 30.0])
    assert median.tolist() == [20.0, 30.0]
    assert p90.tolist() == pytest.approx([27.0, 30.0], abs=1e-12)


@pytest.fixture()
def small_cube():
    con = duckdb.connect()
    con.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    con.execute("INSERT INTO meta VALUES ('cube', 'true'), ('cube_settings', ?)", [json.dumps(SETTINGS)])
    con.execute("CREATE TABLE grids (grid_id TEXT, grid_name TEXT)")
    con.execute("INSERT INTO grids VALUES ('A', 'a'), ('B', 'b')")
    con.execute(
        "CREATE TABLE handling_histogram_by_kind (grid_id TEXT, day DATE, kind TEXT, bin SMALLINT, cases BIGINT)"
    )
    rows = [  # grid, day, kind, bin, cases
        ("A", "2025-02-10", "complaint", 5, 2),  # February: the whole month of period 0
        ("A", "2025-02-11", "request", 5, 1),  # bin 5 of A under a second kind: two rows to add up
        ("A", "2025-02-20", "request", 7, 1),
        ("A", "2025-03-02", "complaint", 9, 1),  # March 1-2: period 0's days after its whole month
        ("A", "2025-03-05", "complaint", 100, 50),  # after period 0 (ends March 3): in no period
        ("B", "2025-01-20", "complaint", 40, 3),  # January 15-31: period 1
        (None, "2025-02-01", "complaint", 200, 1),  # no grid: only in the whole filter's figures
    ]
    con.executemany("INSERT INTO handling_histogram_by_kind VALUES (?, ?, ?, ?, ?)", rows)
    con.execute("""CREATE TABLE handling_histogram_by_month AS
                   SELECT grid_id, CAST(date_trunc('month', day) AS DATE) AS month, kind, bin, sum(cases)::BIGINT AS cases
                   FROM handling_histogram_by_kind GROUP BY ALL""")
    yield con
    con.close()


def _ask(con, f: Filters, previous: Filters):
    where, params = case_filter_sql(f)
    return period_quantiles(con, f, [f, previous], f"{where} AND TRUE", params, whole=True)


def test_two_periods_from_one_query_by_hand(small_cube):
    now = Filters(dt.date(2025, 2, 1), dt.date(2025, 3, 3))  # February whole, March 1-2 by day
    before = Filters(dt.date(2025, 1, 15), dt.date(2025, 2, 1))
    first, second = _ask(small_cube, now, before)
    # A in period 0: bins 5, 5, 5, 7, 9 (n = 5). Median rank 2: statistic 2 (bin 5); p90 rank 3.6: statistics
    # 3 (bin 7) and 4 (bin 9).
    assert list(first.areas) == ["A"]
    assert first.areas["A"] == pytest.approx((M[5], M[7] + 0.6 * (M[9] - M[7])), rel=1e-12)
    # The whole filter adds the case without a grid (bin 200): bins 5, 5, 5, 7, 9, 200; median rank 2.5:
    # statistics 2 (bin 5) and 3 (bin 7); p90 rank 4.5: statistics 4 (bin 9) and 5 (bin 200).
    assert first.total == pytest.approx((M[5] + 0.5 * (M[7] - M[5]), M[9] + 0.5 * (M[200] - M[9])), rel=1e-12)
    assert second.areas == {"B": (M[40], M[40])}
    assert second.total == (M[40], M[40])


def test_kind_filter_and_an_empty_period_by_hand(small_cube):
    now = Filters(dt.date(2025, 2, 1), dt.date(2025, 3, 3), kind="request")
    empty = Filters(dt.date(2024, 1, 1), dt.date(2024, 2, 1), kind="request")
    first, second = _ask(small_cube, now, empty)
    # the two requests, bins 5 and 7: median rank 0.5, p90 rank 0.9 between them
    want = (M[5] + 0.5 * (M[7] - M[5]), M[5] + 0.9 * (M[7] - M[5]))
    assert list(first.areas) == ["A"]
    assert first.areas["A"] == pytest.approx(want, rel=1e-12)
    assert first.total == pytest.approx(want, rel=1e-12)
    assert second.areas == {}
    assert second.total == (None, None)


def _totals(con, f: Filters, previous: Filters):
    where, params = case_filter_sql(f)
    return period_totals(con, f, [f, previous], where, params)


def test_whole_filter_totals_without_grid_rows_by_hand(small_cube):
    now = Filters(dt.date(2025, 2, 1), dt.date(2025, 3, 3))  # February from the monthly roll-up, March 1-2 by day
    before = Filters(dt.date(2025, 1, 15), dt.date(2025, 2, 1))
    first, second = _totals(small_cube, now, before)
    # period 0: bins 5, 5, 5, 7, 9 of grid A and 200 of the case without a grid (n = 6). Median rank 2.5:
    # statistics 2 (bin 5) and 3 (bin 7); p90 rank 4.5: statistics 4 (bin 9) and 5 (bin 200).
    assert first == pytest.approx((M[5] + 0.5 * (M[7] - M[5]), M[9] + 0.5 * (M[200] - M[9])), rel=1e-12)
    assert second == (M[40], M[40])  # three cases of B, all in bin 40


def test_whole_filter_totals_kind_filter_days_only_and_empty_by_hand(small_cube):
    # March 1-4 is no whole month: every day from the day rows (bin 9 on the 2nd; March 5 is outside)
    days = Filters(dt.date(2025, 3, 1), dt.date(2025, 3, 5))
    empty = Filters(dt.date(2024, 1, 1), dt.date(2024, 2, 1))
    assert _totals(small_cube, days, empty) == [(M[9], M[9]), (None, None)]
    # requests only, February: bins 5 and 7 (median rank 0.5, p90 rank 0.9 between them)
    requests = Filters(dt.date(2025, 2, 1), dt.date(2025, 3, 1), kind="request")
    first, second = _totals(small_cube, requests, Filters(dt.date(2025, 1, 1), dt.date(2025, 2, 1), kind="request"))
    assert first == pytest.approx((M[5] + 0.5 * (M[7] - M[5]), M[5] + 0.9 * (M[7] - M[5])), rel=1e-12)
    assert second == (None, None)


def test_whole_filter_totals_equal_the_grid_matrix_total(small_cube):
    now = Filters(dt.date(2025, 2, 1), dt.date(2025, 3, 3))
    before = Filters(dt.date(2025, 1, 15), dt.date(2025, 2, 1))
    assert _totals(small_cube, now, before) == [q.total for q in _ask(small_cube, now, before)]

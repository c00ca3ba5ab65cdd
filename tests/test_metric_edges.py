"""Issue 11: the metric core on the edges of real exports, against values worked out by hand.

Closed-before-reported cases, negative durations, no deadlines, suspended (挂账) cases, the dispute
resolution window and the data coverage (metrics.md as updated for issue 11).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics import trends
from analytics.closed_loop import overdue_cases, overdue_summary, stage_durations
from analytics.config import DEFAULTS
from analytics.coverage import Coverage, data_coverage, default_period
from analytics.filters import Filters
from analytics.metrics import by_area, summary
from analytics.schema import write_meta
from analytics.scoring import add_scores
from tests.helpers import add_cases, empty_store

MARCH = Filters(dt.date(2025, 3, 1), dt.date(2025, 4, 1))


def out_of_order_store():
    con = empty_store()
    add_cases(
        con,
        [
            # A: reported in March, closed in February (before it was reported): reported in P, not closed in P
            {"reported_at": "2025-03-10 09:00", "closed_at": "2025-02-25 10:00", "status": "closed"},
            # B: closed in March, reported (and filed) in April: closed in P, a negative handling time
            {"reported_at": "2025-04-05 09:00", "closed_at": "2025-03-28 10:00", "status": "closed"},
            # C and D: ordinary, 24 h and 12 h from filing to closure
            {"reported_at": "2025-03-02 09:00", "closed_at": "2025-03-03 09:00", "status": "closed"},
            {"reported_at": "2025-03-05 09:00", "closed_at": "2025-03-05 21:00", "status": "closed", "grid_id": "G2"},
        ],
    )
    return con


def test_closed_before_reported_counts_where_its_own_time_falls():
    con = out_of_order_store()
    r = summary(con, MARCH)
    assert r["reported"] == 3  # A, C, D
    assert r["closed"] == 3  # B, C, D
    assert r["closed_before_reported"] == 1  # B (A was closed before March)
    assert r["negative_handling_time"] == 1  # B: closed 8 days before it was filed
    assert r["median_handling_hours"] == pytest.approx(18.0)  # median of 24 h and 12 h; B left out
    # the areas add up to the summary; G1 holds A, B, C
    grids = by_area(con, MARCH, "grid").set_index("area_id")
    assert grids.loc["G1", "reported"] == 2 and grids.loc["G1", "closed"] == 2
    assert grids["reported"].sum() == 3 and grids["closed"].sum() == 3
    # the trends page counts the same reported cases
    assert trends.series(con, MARCH, "week", "none")["reported"].sum() == r["reported"]


def test_stage_times_leave_negative_durations_out_and_count_them():
    con = out_of_order_store()
    stages = stage_durations(con, MARCH).set_index(["stage_from", "stage_to"])
    # reported -> closed over cases reported in March closed by the end: A (-11 d, left out), C 24 h, D 12 h
    row = stages.loc[("reported", "closed")]
    assert (row["cases"], row["negative"]) == (2, 1)
    assert row["median_hours"] == pytest.approx(18.0)


def no_deadline_store():
    con = empty_store()
    add_cases(
        con,
        [
            {"reported_at": f"2025-03-{d:02d} 09:00", "closed_at": f"2025-03-{d:02d} 18:00", "status": "closed"}
            for d in range(2, 9)
        ]
        + [{"reported_at": "2025-03-20 09:00", "status": "dispatched"}],  # open at the end, no deadline
    )
    return con


def test_without_deadlines_closure_rates_and_overdue_are_unknown_not_100_percent():
    con = no_deadline_store()
    r = summary(con, MARCH)
    assert r["closed"] == 7
    assert r["deadlines_known"] is False
    for key in ("open_overdue", "due_to_close", "closure_rate", "on_time_closure_rate"):
        assert r[key] is None, key
    scored = add_scores(by_area(con, MARCH, "grid"), DEFAULTS).set_index("area_id")
    assert scored.loc["G1", "status"] == "grey"  # not green
    assert not scored.loc["G1", "deadlines_known"]
    assert pd.isna(scored.loc["G1", "closure_rate"])


def test_suspended_cases_are_shown_apart_and_do_not_paint_a_grid_red():
    con = empty_store()
    ok = {"reported_at": "2025-03-03 09:00", "due_at": "2025-03-05 17:00", "closed_at": "2025-03-04 10:00"}
    add_cases(
        con,
        [{**ok, "status": "closed"} for _ in range(10)]
        + [
            # suspended since January, overdue since 20 January 17:00: 70 days and 7 hours at 1 April
            {"reported_at": "2025-01-10 09:00", "due_at": "2025-01-20 17:00", "status": "suspended"},
            {"reported_at": "2025-03-10 09:00", "due_at": "2025-03-21 00:00", "status": "suspended"},  # 11 days
            {"reported_at": "2025-03-10 09:00", "due_at": "2025-03-30 00:00", "status": "suspended"},  # 2 days
        ],
    )
    grids = add_scores(by_area(con, MARCH, "grid"), DEFAULTS).set_index("area_id")
    g1 = grids.loc["G1"]
    # before issue 11: 3 open overdue of 13 due = 23 % > 20 % -> red. Now: 10 closed of 10 due, 10 on time
    assert (g1["open_overdue"], g1["suspended_overdue"], g1["due_to_close"]) == (0, 3, 10)
    assert g1["score"] == 100.0 and g1["status"] == "green"
    listed = overdue_cases(con, MARCH, suspended=True)
    assert len(listed) == 3 and overdue_cases(con, MARCH).empty
    age = overdue_summary(con, MARCH, suspended=True)
    assert age["count"] == 3
    assert age["max_days_overdue"] == pytest.approx(70.3)  # 70 d 7 h, rounded to 0.1 day
    assert age["median_days_overdue"] == pytest.approx(11.0)
    assert summary(con, MARCH)["suspended_overdue_max_days"] == pytest.approx(70 + 7 / 24)


def test_dispute_resolution_is_final_once_the_window_has_passed():
    con = empty_store()
    dispute = {"kind": "dispute", "status": "closed", "resolution_level": "grid"}
    add_cases(
        con,
        [
            {**dispute, "reported_at": "2025-03-05 10:00", "closed_at": "2025-03-06 10:00"},  # 1 day
            {**dispute, "reported_at": "2025-03-20 10:00", "closed_at": "2025-04-25 10:00"},  # 36 days: not within 30
            # a case reported in May moves the data end to 11 May: every March dispute's window has closed
            {"reported_at": "2025-05-10 10:00"},
        ],
    )
    r = summary(con, MARCH)
    assert r["dispute_resolution_rate"] == pytest.approx(1 / 2)
    assert r["dispute_resolution_provisional"] is False


def test_coverage_from_meta_or_the_cases():
    con = out_of_order_store()
    # no meta keys: first report day (2 March) to the day after the last report (6 April)
    assert data_coverage(con) == Coverage(dt.date(2025, 3, 2), dt.date(2025, 4, 6))
    write_meta(con, {"data_start": "2025-03-01", "data_end": "2025-04-30"})
    assert data_coverage(con) == Coverage(dt.date(2025, 3, 1), dt.date(2025, 4, 30))


def test_a_period_outside_the_coverage_is_not_measured():
    con = out_of_order_store()
    r = summary(con, Filters(dt.date(2024, 6, 1), dt.date(2024, 7, 1)))
    assert r["coverage"] == "outside"
    assert r["reported"] is None and r["closure_rate"] is None and r["due_to_close"] is None
    assert summary(con, Filters(dt.date(2025, 3, 15), dt.date(2025, 4, 15)))["coverage"] == "partial"
    assert summary(con, Filters(dt.date(2025, 3, 2), dt.date(2025, 3, 9)))["coverage"] == "inside"


def test_default_period_is_the_latest_complete_month_with_data():
    con = empty_store()
    # cases in January to March 2025 and one on 2 June; the export runs to 15 June (meta)
    add_cases(con, [{"reported_at": f"2025-{m:02d}-10 09:00"} for m in (1, 2, 3)] + [{"reported_at": "2025-06-02"}])
    write_meta(con, {"data_start": "2025-01-10", "data_end": "2025-06-15"})
    cov = data_coverage(con)
    # complete months inside the coverage: February to May; April and May hold no case -> March
    assert default_period(con, cov) == (dt.date(2025, 3, 1), dt.date(2025, 4, 1))


def test_default_period_on_short_data_is_the_whole_coverage():
    con = empty_store()
    add_cases(con, [{"reported_at": f"2025-07-{d:02d} 09:00"} for d in (28, 29, 30, 31)])  # four days
    cov = data_coverage(con)
    assert cov == Coverage(dt.date(2025, 7, 28), dt.date(2025, 8, 1))
    assert default_period(con, cov) == (dt.date(2025, 7, 28), dt.date(2025, 8, 1))
    # six weeks spanning one complete month (August) is still under two months: the whole coverage
    add_cases(con, [{"reported_at": "2025-09-05 09:00"}])
    assert default_period(con, data_coverage(con)) == (dt.date(2025, 7, 28), dt.date(2025, 9, 6))


def test_shares_are_of_the_true_total_with_the_rest_as_other():
    from analytics.profile import category_mix
    from analytics.queries import top_categories

    con = empty_store()
    # one grid: M00 8 reports, M01 3, M02..M10 2 each (9 classes), M11 and M12 1 each = 31 reports, 13 classes
    rows = [{"reported_at": "2025-03-03 09:00", "category_major": "M00", "category_code": "00"}] * 8
    rows += [{"reported_at": "2025-03-04 09:00", "category_major": "M01", "category_code": "01"}] * 3
    for i in range(2, 11):
        rows += [{"reported_at": "2025-03-05 09:00", "category_major": f"M{i:02d}", "category_code": f"{i:02d}"}] * 2
    rows += [{"reported_at": "2025-03-06 09:00", "category_major": "M11", "category_code": "11"}]
    rows += [{"reported_at": "2025-03-06 09:00", "category_major": "M12", "category_code": "12"}]
    add_cases(con, rows)
    grid = Filters(MARCH.start, MARCH.end, "grid", "G1")
    mix = category_mix(con, grid, limit=10)
    # before: 8 / (sum of the top 10 rows = 8 + 3 + 8*2 = 27) = 29.6 %; the area's total is 31 -> 25.8 %;
    # the rest (M10 2, M11 1, M12 1) is one row "other"
    assert mix.iloc[0]["share"] == pytest.approx(8 / 31)
    assert mix.iloc[-1]["category_major"] == "other" and mix.iloc[-1]["reported"] == 2 + 1 + 1
    assert mix["reported"].sum() == 31 and mix["share"].sum() == pytest.approx(1.0)
    top = top_categories(con, grid, limit=3, other=True)
    assert top["category_code"].tolist() == ["00", "01", "02", "other"]
    assert top["reported"].tolist() == [8, 3, 2, 31 - 13]
    assert top.iloc[0]["share"] == pytest.approx(8 / 31)


def test_department_open_overdue_leaves_suspended_cases_out_by_default():
    from analytics.departments import department_metrics

    con = empty_store()
    base = {"department": "A", "dispatched_at": "2025-03-03 10:00", "due_at": "2025-03-10 17:00"}
    add_cases(
        con,
        [
            {**base, "reported_at": "2025-03-03 09:00", "status": "suspended"},  # not handled, overdue, suspended
            {**base, "reported_at": "2025-03-03 09:00", "status": "dispatched"},  # not handled, overdue
            {
                **base,
                "reported_at": "2025-03-03 09:00",
                "status": "closed",
                "handled_at": "2025-03-05 10:00",
                "closed_at": "2025-03-05 12:00",
            },
        ],
    )
    a = department_metrics(con, MARCH).set_index("department").loc["A"]
    assert (a["open_overdue"], a["due_to_handle"]) == (1, 2)  # handled 1 + open overdue 1
    switched = department_metrics(con, MARCH, {"metrics": {"exclude_suspended": False}}).set_index("department")
    assert switched.loc["A", "open_overdue"] == 2

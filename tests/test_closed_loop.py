"""Closed-loop and scorecard numbers against hand-worked fixtures, and the planted demo signals in the rankings."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics.closed_loop import (
    lifecycle_funnel,
    listed_summary,
    overdue_cases,
    overdue_summary,
    stage_durations,
    worker_metrics,
)
from analytics.config import DEFAULTS
from analytics.departments import department_metrics
from analytics.filters import Filters
from analytics.scorecards import scorecard
from tests.helpers import add_cases, empty_store

MARCH = Filters(dt.date(2025, 3, 1), dt.date(2025, 4, 1))


def fixture_store():
    con = empty_store()
    con.execute("INSERT INTO departments VALUES ('A', '甲局', 'Dept A'), ('B', '乙局', 'Dept B')")
    con.execute("INSERT INTO workers VALUES ('W1', 'G1', '专职网格员', TRUE), ('W2', 'G2', '兼职网格员', FALSE)")
    base = {"reported_at": "2025-03-03 08:00", "filed_at": "2025-03-03 09:00", "dispatched_at": "2025-03-03 10:00"}
    add_cases(
        con,
        [
            # A: handled in 4 h, on time, closed 2 h later; reported by W1
            {
                **base,
                "department": "A",
                "handled_at": "2025-03-03 14:00",
                "closed_at": "2025-03-03 16:00",
                "due_at": "2025-03-04 17:00",
                "status": "closed",
                "reporter_worker_id": "W1",
            },
            # A: handled in 10 h, late, with rework
            {
                **base,
                "department": "A",
                "handled_at": "2025-03-03 20:00",
                "closed_at": "2025-03-04 08:00",
                "due_at": "2025-03-03 18:00",
                "status": "closed",
                "rework_count": 1,
            },
            # A: dispatched, never handled, due 2025-03-20 17:00: open overdue at the end (1 April 00:00), 11 days 7 h overdue
            {**base, "department": "A", "due_at": "2025-03-20 17:00", "status": "dispatched"},
            # B: handled in 1 h on time
            {
                **base,
                "department": "B",
                "handled_at": "2025-03-03 11:00",
                "closed_at": "2025-03-03 12:00",
                "due_at": "2025-03-05 17:00",
                "status": "closed",
            },
            # B: dispatched, not yet due at the end
            {**base, "department": "B", "due_at": "2025-04-10 17:00", "status": "dispatched"},
            # W1: a self-handled report (no dispatch) and a cancelled one
            {
                "reported_at": "2025-03-05 08:00",
                "filed_at": "2025-03-05 08:30",
                "closed_at": "2025-03-05 09:30",
                "due_at": "2025-03-06 17:00",
                "status": "closed",
                "reporter_worker_id": "W1",
                "self_handled": True,
            },
            {"reported_at": "2025-03-06 08:00", "filed_at": None, "status": "cancelled", "reporter_worker_id": "W1"},
        ],
    )
    return con


def test_department_metrics_by_hand():
    d = department_metrics(fixture_store(), MARCH).set_index("department")
    a, b = d.loc["A"], d.loc["B"]
    assert (a.dispatched, a.handled, a.handled_on_time, a.handled_with_rework, a.open_overdue) == (3, 2, 1, 1, 1)
    assert a.due_to_handle == 3
    assert a.handled_rate == pytest.approx(2 / 3)
    assert a.on_time_handling_rate == pytest.approx(1 / 3)
    assert a.rework_rate == pytest.approx(1 / 3)
    assert a.median_handling_hours == pytest.approx(7.0)  # median of 4 h and 10 h
    assert (b.dispatched, b.handled, b.open_overdue, b.due_to_handle) == (2, 1, 0, 1)
    assert b.on_time_handling_rate == pytest.approx(1.0)


def test_worker_metrics_by_hand():
    w = worker_metrics(fixture_store(), MARCH).set_index("worker_id")
    assert (w.loc["W1", "reports"], w.loc["W1", "valid_reports"], w.loc["W1", "self_handled"]) == (3, 2, 1)
    assert w.loc["W1", "valid_report_rate"] == pytest.approx(2 / 3)
    assert w.loc["W1", "self_handled_rate"] == pytest.approx(1 / 2)
    assert w.loc["W2", "reports"] == 0 and pd.isna(w.loc["W2", "self_handled_rate"])


def test_funnel_stage_times_and_overdue_list():
    con = fixture_store()
    f = lifecycle_funnel(con, MARCH)
    assert (f["reported"], f["filed"], f["dispatched"], f["handled"], f["closed"]) == (7, 6, 5, 3, 4)
    assert (f["cancelled"], f["rework"], f["self_handled"]) == (1, 1, 1)
    stages = stage_durations(con, MARCH).set_index(["stage_from", "stage_to"])
    # dispatched -> handled: 4, 10, 1 hours -> median 4
    assert stages.loc[("dispatched", "handled"), "median_hours"] == pytest.approx(4.0)
    # reported -> filed: 1 h for the 5 dispatched cases and 0.5 h for the self-handled one -> median 1
    assert stages.loc[("reported", "filed"), "cases"] == 6
    overdue = overdue_cases(con, MARCH)
    assert len(overdue) == 1 and overdue.iloc[0]["hours_overdue"] == pytest.approx(11 * 24 + 7)


def test_department_scorecard_with_too_few_cases():
    cfg = {**DEFAULTS, "status": {**DEFAULTS["status"], "min_due_to_close": 2}}
    card = scorecard(fixture_store(), MARCH, "department", cfg).set_index("entity_id")
    # A: 50 * 1/3 + 30 * 2/3 + 20 * (1 - 1/3) = 16.67 + 20 + 13.33 = 50.0 -> grade D, rank 1 of the graded
    assert card.loc["A", "score"] == pytest.approx(50.0)
    assert card.loc["A", "grade"] == "D" and card.loc["A", "rank"] == 1
    # B has 1 case due to handle (< 2): no score, no grade, no rank
    assert pd.isna(card.loc["B", "score"]) and pd.isna(card.loc["B", "grade"]) and pd.isna(card.loc["B", "rank"])


def _planted(con, name):
    row = con.execute("SELECT subject_id, start_date, end_date FROM signals WHERE signal = $s", {"s": name}).fetchone()
    return row[0], pd.Timestamp(row[1]).date(), pd.Timestamp(row[2]).date()


def test_slow_department_ranks_last_only_in_its_period(demo_con):
    dept, start, end = _planted(demo_con, "slow_department")
    during = scorecard(demo_con, Filters(start, end), "department", DEFAULTS).dropna(subset=["rank"])
    before = scorecard(demo_con, Filters(start, end).previous(), "department", DEFAULTS).dropna(subset=["rank"])
    assert during.set_index("entity_id")["rank"].idxmax() == dept
    assert before.set_index("entity_id")["rank"].idxmax() != dept


def test_collapsing_grid_ranks_at_the_bottom_only_in_its_period(demo_con):
    grid, start, end = _planted(demo_con, "collapsing_grid")
    during = scorecard(demo_con, Filters(start, end), "grid", DEFAULTS).dropna(subset=["rank"]).set_index("entity_id")
    before = (
        scorecard(demo_con, Filters(start, end).previous(), "grid", DEFAULTS)
        .dropna(subset=["rank"])
        .set_index("entity_id")
    )
    assert during.loc[grid, "rank"] >= 0.95 * during["rank"].max()  # in the bottom 5 %
    assert before.loc[grid, "rank"] < 0.8 * before["rank"].max()  # not near the bottom before


def test_overdue_summary_counts_every_case_when_the_list_holds_fewer():
    con = empty_store()
    # five open cases past their deadline at the end of March (1 April 00:00): 1, 2, 3, 10 and 20.5 days
    dues = ["2025-03-31 00:00", "2025-03-30 00:00", "2025-03-29 00:00", "2025-03-22 00:00", "2025-03-11 12:00"]
    add_cases(con, [{"reported_at": "2025-03-01 09:00", "due_at": d, "status": "dispatched"} for d in dues])
    listed = overdue_cases(con, MARCH, limit=2)
    assert list(listed["days_overdue"]) == [20.5, 10.0]  # the two most overdue
    summary = overdue_summary(con, MARCH)
    # all five, not the two listed: median of 1, 2, 3, 10, 20.5 is 3; the oldest 20.5
    assert summary == {"count": 5, "median_days_overdue": 3.0, "max_days_overdue": 20.5}
    # a list that holds every case gives the same figures without the second query (ui.closed_loop_parts)
    assert listed_summary(overdue_cases(con, MARCH)) == summary
    assert overdue_summary(con, MARCH, suspended=True) == {
        "count": 0,
        "median_days_overdue": None,
        "max_days_overdue": None,
    }

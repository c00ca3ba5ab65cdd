"""Metric core against hand-worked expected values (metrics.md, including its check figures)."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.filters import Filters
from analytics.metrics import summary
from tests.helpers import add_cases, empty_store

MARCH = Filters(dt.date(2025, 3, 1), dt.date(2025, 4, 1))


def test_check_figures_911_737_972():
    """A real city's report: 911 closed, 737 on time, 972 due to close -> 93.72 % and 75.82 %."""
    con = empty_store()
    on_time = [
        {
            "reported_at": "2025-03-02 09:00",
            "due_at": "2025-03-05 17:00",
            "closed_at": "2025-03-04 10:00",
            "status": "closed",
        }
    ] * 737
    late = [
        {
            "reported_at": "2025-03-02 09:00",
            "due_at": "2025-03-03 17:00",
            "closed_at": "2025-03-10 10:00",
            "status": "closed",
        }
    ] * (911 - 737)
    overdue = [{"reported_at": "2025-03-02 09:00", "due_at": "2025-03-20 17:00", "status": "dispatched"}] * (972 - 911)
    add_cases(con, on_time + late + overdue)
    r = summary(con, MARCH)
    assert (r["closed"], r["closed_on_time"], r["open_overdue"], r["due_to_close"]) == (911, 737, 61, 972)
    assert round(r["closure_rate"] * 100, 2) == 93.72
    assert round(r["on_time_closure_rate"] * 100, 2) == 75.82


def test_deadline_edges_and_cancelled():
    con = empty_store()
    add_cases(
        con,
        [
            # closed exactly at its deadline: closed and on time
            {
                "reported_at": "2025-03-03 09:00",
                "due_at": "2025-03-04 17:00",
                "closed_at": "2025-03-04 17:00",
                "status": "closed",
            },
            # closed one minute late
            {
                "reported_at": "2025-03-03 09:00",
                "due_at": "2025-03-04 17:00",
                "closed_at": "2025-03-04 17:01",
                "status": "closed",
            },
            # still open, not yet due at the end (due after the end): not due to close
            {"reported_at": "2025-03-30 09:00", "due_at": "2025-04-02 17:00", "status": "dispatched"},
            # still open, due exactly at the end: not yet overdue (due_at < end is false)
            {"reported_at": "2025-03-30 09:00", "due_at": "2025-04-01 00:00", "status": "dispatched"},
            # open as of the end (closed in April) and due in March: open overdue
            {
                "reported_at": "2025-03-20 09:00",
                "due_at": "2025-03-25 17:00",
                "closed_at": "2025-04-03 10:00",
                "status": "closed",
            },
            # reported in February, still open and overdue: the backlog counts as open overdue
            {"reported_at": "2025-02-10 09:00", "due_at": "2025-02-20 17:00", "status": "suspended"},
            # cancelled: counts in reported only, even though its deadline passed
            {"reported_at": "2025-03-05 09:00", "filed_at": None, "due_at": "2025-03-06 17:00", "status": "cancelled"},
            # closed in February: outside P entirely
            {
                "reported_at": "2025-02-01 09:00",
                "due_at": "2025-02-03 17:00",
                "closed_at": "2025-02-02 09:00",
                "status": "closed",
            },
        ],
    )
    r = summary(con, MARCH)
    assert r["reported"] == 6  # all reported in March, the cancelled one included
    assert r["filed"] == 5  # the cancelled one was never filed
    assert r["closed"] == 2
    assert r["closed_on_time"] == 1
    # closed in April (as of end still open); the February backlog is suspended (挂账): suspended overdue,
    # left out of open overdue and the rates by default (metrics.md, issue 11)
    assert r["open_overdue"] == 1
    assert r["suspended_overdue"] == 1
    assert r["due_to_close"] == 3
    assert r["closure_rate"] == pytest.approx(2 / 3)
    assert r["on_time_closure_rate"] == pytest.approx(1 / 3)
    # with the configuration switch the suspended backlog counts again: 2 open overdue, due to close 4
    r = summary(con, MARCH, {"metrics": {"exclude_suspended": False}})
    assert r["open_overdue"] == 2
    assert r["due_to_close"] == 4
    assert r["closure_rate"] == pytest.approx(2 / 4)
    assert r["on_time_closure_rate"] == pytest.approx(1 / 4)


def test_empty_period_gives_null_rates_not_zero():
    con = empty_store()
    add_cases(
        con,
        [
            {
                "reported_at": "2025-03-03 09:00",
                "due_at": "2025-03-04 17:00",
                "closed_at": "2025-03-04 10:00",
                "status": "closed",
            },
            # a case in May 2024, so that June 2024 lies inside the data coverage and is merely empty
            {"reported_at": "2024-05-03 09:00", "closed_at": "2024-05-04 10:00", "status": "closed"},
        ],
    )
    r = summary(con, Filters(dt.date(2024, 6, 1), dt.date(2024, 7, 1)))
    assert r["coverage"] == "inside"
    assert r["reported"] == 0 and r["due_to_close"] == 0
    for key in (
        "closure_rate",
        "on_time_closure_rate",
        "rework_rate",
        "response_rate",
        "solve_rate",
        "satisfaction_rate",
        "dispute_resolution_rate",
        "local_resolution_rate",
        "self_handled_rate",
        "median_handling_hours",
    ):
        assert r[key] is None, key


def test_missing_deadline_is_excluded_from_on_time_rate():
    con = empty_store()
    add_cases(
        con,
        [
            {
                "reported_at": "2025-03-03 09:00",
                "due_at": "2025-03-04 17:00",
                "closed_at": "2025-03-04 10:00",
                "status": "closed",
            },
            {
                "reported_at": "2025-03-03 09:00",
                "due_at": "2025-03-04 17:00",
                "closed_at": "2025-03-05 10:00",
                "status": "closed",
            },
            {"reported_at": "2025-03-03 09:00", "due_at": None, "closed_at": "2025-03-05 10:00", "status": "closed"},
        ],
    )
    r = summary(con, MARCH)
    assert r["closed"] == 3 and r["due_to_close"] == 3 and r["closed_without_deadline"] == 1
    assert r["closure_rate"] == pytest.approx(1.0)
    assert r["on_time_closure_rate"] == pytest.approx(1 / 2)


def test_handling_time_rework_and_self_handled():
    con = empty_store()
    add_cases(
        con,
        [
            # handling hours closed - filed: 2, 4, 10, 30 -> median 7, p90 = 10 + 0.7 * 20 = 24
            {
                "reported_at": "2025-03-03 08:00",
                "filed_at": "2025-03-03 09:00",
                "closed_at": "2025-03-03 11:00",
                "due_at": "2025-03-10 17:00",
                "status": "closed",
                "reporter_worker_id": "W1",
                "self_handled": True,
            },
            {
                "reported_at": "2025-03-03 08:00",
                "filed_at": "2025-03-03 09:00",
                "closed_at": "2025-03-03 13:00",
                "due_at": "2025-03-10 17:00",
                "status": "closed",
                "reporter_worker_id": "W1",
                "dispatched_at": "2025-03-03 10:00",
                "rework_count": 1,
            },
            {
                "reported_at": "2025-03-03 08:00",
                "filed_at": "2025-03-03 09:00",
                "closed_at": "2025-03-03 19:00",
                "due_at": "2025-03-10 17:00",
                "status": "closed",
                "rework_count": 2,
            },
            {
                "reported_at": "2025-03-03 08:00",
                "filed_at": "2025-03-03 09:00",
                "closed_at": "2025-03-04 15:00",
                "due_at": "2025-03-10 17:00",
                "status": "closed",
            },
            # a worker report still open: in the self-handled denominator, not the numerator
            {
                "reported_at": "2025-03-03 08:00",
                "due_at": "2025-04-10 17:00",
                "status": "filed",
                "reporter_worker_id": "W2",
            },
        ],
    )
    r = summary(con, MARCH)
    assert r["median_handling_hours"] == pytest.approx(7.0)
    assert r["p90_handling_hours"] == pytest.approx(24.0)
    assert r["rework_rate"] == pytest.approx(2 / 4)
    assert r["self_handled_rate"] == pytest.approx(1 / 3)


def test_three_rates_and_disputes():
    con = empty_store()
    closed = {
        "reported_at": "2025-03-03 09:00",
        "closed_at": "2025-03-05 10:00",
        "due_at": "2025-03-10 17:00",
        "status": "closed",
        "kind": "demand",
    }
    add_cases(
        con,
        [
            {
                **closed,
                "callback_valid": True,
                "callback_contacted": True,
                "callback_solved": True,
                "satisfaction": "satisfied",
            },
            {
                **closed,
                "callback_valid": True,
                "callback_contacted": True,
                "callback_solved": False,
                "satisfaction": "basic",
            },
            {
                **closed,
                "callback_valid": True,
                "callback_contacted": False,
                "callback_solved": False,
                "satisfaction": None,
            },
            {
                **closed,
                "callback_valid": True,
                "callback_contacted": True,
                "callback_solved": True,
                "satisfaction": "unsatisfied",
            },
            {
                **closed,
                "callback_valid": False,
                "callback_contacted": True,
                "callback_solved": True,
                "satisfaction": "satisfied",
            },  # invalid call-back: ignored
            # disputes: 4 received in March (one cancelled is not), resolved 7, 17, 27 and 15 days after receipt
            {
                "kind": "dispute",
                "reported_at": "2025-03-02 10:00",
                "closed_at": "2025-03-09 10:00",
                "status": "closed",
                "resolution_level": "grid",
            },
            {
                "kind": "dispute",
                "reported_at": "2025-03-02 10:00",
                "closed_at": "2025-03-19 10:00",
                "status": "closed",
                "resolution_level": "community",
            },
            {
                "kind": "dispute",
                "reported_at": "2025-03-02 10:00",
                "closed_at": "2025-03-29 10:00",
                "status": "closed",
                "resolution_level": "street",
            },
            {
                "kind": "dispute",
                "reported_at": "2025-03-25 10:00",
                "closed_at": "2025-04-09 10:00",
                "status": "closed",
                "resolution_level": "grid",
            },  # resolved after the period end but 15 days after receipt: within the 30-day window
            {"kind": "dispute", "reported_at": "2025-03-25 10:00", "filed_at": None, "status": "cancelled"},
        ],
    )
    r = summary(con, MARCH)
    assert r["valid_callbacks"] == 4
    assert r["response_rate"] == pytest.approx(3 / 4)
    assert r["solve_rate"] == pytest.approx(2 / 4)
    assert r["satisfaction_rate"] == pytest.approx((1 + 0.9) / 4)
    assert r["three_rates_composite"] == pytest.approx(0.1 * 0.75 + 0.5 * 0.5 + 0.4 * 0.475)
    assert r["disputes_received"] == 4
    # resolved within 30 days of receipt (metrics.md): all 4, also the one resolved after the period end
    assert r["dispute_resolution_rate"] == pytest.approx(4 / 4)
    assert r["local_resolution_rate"] == pytest.approx(3 / 4)  # grid 2 + community 1 of 4 resolved
    assert (r["disputes_resolved_grid"], r["disputes_resolved_community"], r["disputes_resolved_street"]) == (2, 1, 1)
    # the data ends on 26 March (day after the last report), before 30 days have passed: provisional
    assert r["dispute_resolution_provisional"] is True
    # a 10-day window: only the one resolved after 7 days counts -> 1/4
    r10 = summary(con, MARCH, {"metrics": {"dispute_window_days": 10}})
    assert r10["dispute_resolution_rate"] == pytest.approx(1 / 4)


def test_area_kind_filters_and_hostile_values():
    con = empty_store()
    add_cases(
        con,
        [
            {"reported_at": "2025-03-03 09:00", "grid_id": "G1", "kind": "incident"},
            {"reported_at": "2025-03-03 09:00", "grid_id": "G2", "kind": "demand"},
            {"reported_at": "2025-03-03 09:00", "grid_id": "G2", "kind": "demand"},
        ],
    )
    assert summary(con, Filters(MARCH.start, MARCH.end, "grid", "G2"))["reported"] == 2
    assert summary(con, Filters(MARCH.start, MARCH.end, "community", "C1"))["reported"] == 3
    assert summary(con, Filters(MARCH.start, MARCH.end, kind="demand"))["reported"] == 2
    hostile = "x'; DROP TABLE cases;--"
    for f in (
        Filters(MARCH.start, MARCH.end, "street", hostile),
        Filters(MARCH.start, MARCH.end, kind=hostile),
        Filters(MARCH.start, MARCH.end, category=hostile),
        Filters(MARCH.start, MARCH.end, source=hostile),
    ):
        r = summary(con, f)
        assert r["reported"] == 0 and r["closure_rate"] is None
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 3
    with pytest.raises(ValueError, match="unknown area level"):
        Filters(MARCH.start, MARCH.end, "grid; DROP TABLE cases", "G1")

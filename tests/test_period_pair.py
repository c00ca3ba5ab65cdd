"""The overview's one-scan path gives exactly the plain numbers (docs/performance.md, issue 16).

- ``period_pair.summaries_and_grids`` equals ``metrics.summary`` and ``metrics.by_area`` (grid level) of the
  period and of the previous one, for several filter sets, on a plain connection and on a live one (which
  keeps the out-of-order cases apart), on a city with planted out-of-order cases and cases without a grid;
- the live connection's table of out-of-order cases holds exactly those cases;
- the alerts fed with the pair's frames equal the alerts computed on their own.
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pandas as pd
import pytest

from analytics import alerts, departments, metrics, period_pair
from analytics.casedays import build as casedays_build
from analytics.config import load_config
from analytics.filters import Filters
from analytics.sync.live import open_live
from tests.test_fastpath import DEC, filter_sets

# Planted below: cases reported in December 2025 but closed in November (closed before reported), cases
# filed before they were reported, and cases outside every grid.
CLOSED_BEFORE_REPORTED = 12
FILED_BEFORE_REPORTED = 7
WITHOUT_GRID = 9


@pytest.fixture(scope="module")
def awkward_city(demo_db, tmp_path_factory):
    """A copy of the demo city with out-of-order cases and cases without a (known) grid planted."""
    path = tmp_path_factory.mktemp("pair") / "awkward.duckdb"
    shutil.copy(demo_db, path)
    con = duckdb.connect(str(path))
    try:
        late = "reported_at >= '2025-12-10' AND reported_at < '2025-12-28' AND closed_at IS NOT NULL"
        con.execute(f"""
            UPDATE cases SET closed_at = TIMESTAMP '2025-11-20 10:00', filed_at = TIMESTAMP '2025-11-19 10:00'
            WHERE case_id IN (SELECT case_id FROM cases WHERE {late} ORDER BY case_id
                              LIMIT {CLOSED_BEFORE_REPORTED})""")
        con.execute(f"""
            UPDATE cases SET filed_at = reported_at - INTERVAL 3 DAY
            WHERE case_id IN (SELECT case_id FROM cases WHERE reported_at >= '2025-12-03'
                              AND reported_at < '2025-12-28' AND filed_at IS NOT NULL ORDER BY case_id DESC
                              LIMIT {FILED_BEFORE_REPORTED})""")
        con.execute(f"""
            UPDATE cases SET grid_id = CASE WHEN hash(case_id) % 2 = 0 THEN NULL ELSE 'nowhere' END
            WHERE case_id IN (SELECT case_id FROM cases WHERE reported_at >= '2025-11-10'
                              AND reported_at < '2025-12-20' ORDER BY case_id LIMIT {WITHOUT_GRID})""")
        casedays_build.drop(con)  # the one-scan path over cases (tests/test_casedays.py rebuilds it instead)
    finally:
        con.close()
    return path


def pair_sets(con) -> list[Filters]:
    return [
        *filter_sets(con),
        Filters(dt.date(2031, 1, 1), dt.date(2031, 2, 1)),  # outside the data: nothing counts in either period
        Filters(dt.date(2025, 12, 10), dt.date(2025, 12, 24)),  # not whole months: 14 days before
    ]


def assert_pair_is_plain(pair: period_pair.PeriodPair, plain, f: Filters) -> None:
    assert pair.current == metrics.summary(plain, f), f
    assert pair.previous == metrics.summary(plain, f.previous()), f
    pd.testing.assert_frame_equal(pair.areas, metrics.by_area(plain, f, "grid"))
    pd.testing.assert_frame_equal(pair.previous_areas, metrics.by_area(plain, f.previous(), "grid"))


def test_planted_cases_change_the_numbers(awkward_city):
    """The planted cases are what the comparison below must get right: November (December's previous period)
    counts the cases closed in it before they were reported (in December), which only the out-of-order
    branch reads."""
    with duckdb.connect(str(awkward_city), read_only=True) as con:
        assert metrics.summary(con, DEC.previous())["closed_before_reported"] >= CLOSED_BEFORE_REPORTED


@pytest.mark.parametrize("live", [False, True], ids=["file", "live"])
def test_pair_equals_summary_and_by_area(awkward_city, live):
    plain = duckdb.connect(str(awkward_city), read_only=True)
    con = open_live(awkward_city) if live else plain
    try:
        assert metrics.out_of_order_kept(con) is live
        for f in pair_sets(plain):
            assert_pair_is_plain(period_pair.summaries_and_grids(con, f), plain, f)
    finally:
        plain.close()
        if live:
            con.close()


def test_whole_filter_counts_cases_without_a_grid(awkward_city):
    """The per-grid groups add up to the whole filter only because unknown grids keep their own group."""
    f = Filters(dt.date(2025, 11, 1), dt.date(2026, 1, 1))
    with duckdb.connect(str(awkward_city), read_only=True) as con:
        outside = con.execute(
            "SELECT count(*) FROM cases WHERE reported_at >= '2025-11-01' AND reported_at < '2026-01-01'"
            " AND (grid_id IS NULL OR grid_id NOT IN (SELECT grid_id FROM grids))"
        ).fetchone()[0]
        pair = period_pair.summaries_and_grids(con, f)
    assert outside >= WITHOUT_GRID
    assert pair.current["reported"] - int(pair.areas["reported"].sum()) == outside


def test_live_connection_keeps_exactly_the_out_of_order_cases(awkward_city):
    with duckdb.connect(str(awkward_city), read_only=True) as plain:
        expected = plain.execute(
            "SELECT case_id FROM cases WHERE closed_at < reported_at OR filed_at < reported_at"
            " OR closed_at < filed_at ORDER BY case_id"
        ).fetchall()
    con = open_live(awkward_city)
    try:
        kept = con.execute(f"SELECT case_id FROM {metrics.OUT_OF_ORDER_TABLE} ORDER BY case_id").fetchall()
        columns = {r[0] for r in con.execute(f"DESCRIBE {metrics.OUT_OF_ORDER_TABLE}").fetchall()}
    finally:
        con.close()
    assert kept == expected
    assert len(kept) >= CLOSED_BEFORE_REPORTED + FILED_BEFORE_REPORTED
    assert "description" not in columns and {"closed_at", "grid_id", "satisfaction"} <= columns


def test_alerts_fed_by_the_pair_equal_alerts_alone(awkward_city):
    cfg = load_config()
    with duckdb.connect(str(awkward_city), read_only=True) as con:
        seen = 0
        for f in (DEC, Filters(dt.date(2025, 10, 1), dt.date(2026, 1, 1))):
            pair = period_pair.summaries_and_grids(con, f, cfg)
            fed = alerts.alerts(con, f, cfg, grids=pair.areas, prev_grids=pair.previous_areas)
            pd.testing.assert_frame_equal(fed, alerts.alerts(con, f, cfg))
            seen += len(fed)
        assert seen > 0, "no alert at all: the comparison proved nothing"


def test_satisfaction_points_are_whole_tenths(awkward_city):
    """3 satisfied and 2 basically satisfied call-backs are 3 + 0.9 × 2 = 4.8 points, exactly."""
    con = duckdb.connect()
    con.execute("""CREATE TABLE cases AS SELECT * FROM (VALUES
        ('satisfied'), ('satisfied'), ('satisfied'), ('basic'), ('basic'), ('dissatisfied')) t(satisfaction)""")
    expr = metrics.AGGREGATES["satisfaction_points"]
    expr = expr.replace("$start", "TIMESTAMP '2025-01-01'").replace("$end", "TIMESTAMP '2025-02-01'")
    sql = f"""SELECT {expr} FROM (SELECT satisfaction, TIMESTAMP '2025-01-10' AS closed_at, 'closed' AS status,
                     TRUE AS callback_valid FROM cases) c"""
    assert con.execute(sql).fetchone()[0] == 4.8


def test_department_pair_equals_two_department_queries(awkward_city):
    with duckdb.connect(str(awkward_city), read_only=True) as con:
        seen = 0
        for f in pair_sets(con):
            now, before = departments.department_metrics_pair(con, f)
            pd.testing.assert_frame_equal(now, departments.department_metrics(con, f))
            pd.testing.assert_frame_equal(before, departments.department_metrics(con, f.previous()))
            seen += int(now["handled"].sum())
        assert seen > 0, "nothing handled in any filter set: the comparison proved nothing"


def test_department_alert_numbers_equal_department_metrics(awkward_city):
    """The alerts' narrow department numbers are those of :func:`departments.department_metrics`; a department
    they leave out has nothing handled (nor, in the period, open overdue), and the alerts they feed are equal."""
    rules = load_config()["alerts"]
    no_grids = pd.DataFrame({"area_id": [], "area_name": [], "open_overdue": pd.Series([], dtype="int64")})
    with duckdb.connect(str(awkward_city), read_only=True) as con:
        seen = 0
        for f in pair_sets(con):
            now, before = departments.alert_numbers(con, f)
            full_now, full_before = departments.department_metrics_pair(con, f)
            for narrow, full, columns in (
                (now, full_now, ["handled", "median_handling_hours", "open_overdue"]),
                (before, full_before, ["handled", "median_handling_hours"]),
            ):
                kept = full[full["department"].isin(narrow["department"])].reset_index(drop=True)
                keys = ["department", "department_name", *columns]
                pd.testing.assert_frame_equal(narrow[keys], kept[keys], check_dtype=False)
                left_out = full[~full["department"].isin(narrow["department"])]
                assert (left_out[columns[::2]] == 0).all().all()
            fed = pd.concat(
                [
                    alerts.overdue_alerts(no_grids, now, rules),
                    alerts.slow_department_alerts(now, before),
                ],
                ignore_index=True,
            )
            plain = pd.concat(
                [
                    alerts.overdue_alerts(no_grids, full_now, rules),
                    alerts.slow_department_alerts(full_now, full_before),
                ],
                ignore_index=True,
            )
            pd.testing.assert_frame_equal(fed, plain)
            seen += int(now["handled"].sum())
        assert seen > 0, "nothing handled in any filter set: the comparison proved nothing"

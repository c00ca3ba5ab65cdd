"""The assessment and closed-loop pages' lean reads at 20M cases, each equal to the plain numbers.

- :func:`analytics.metrics.by_area` with ``area_quantiles=False`` (the previous period's scorecard: ranks
  only) is the full frame less ``median_handling_hours``/``p90_handling_hours``, on the case-day path, on the
  plain path over ``cases`` and on a live connection;
- :func:`analytics.metrics.summary` on the case-day path reads only the whole filter's quantiles (no
  per-grid sorted state), with the hand-worked median and p90 of the six-case city;
- :func:`analytics.closed_loop.stage_durations` comes from one scan (``quantile_cont`` list form), with
  hand-worked hours.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from analytics import metrics
from analytics.casedays import read
from analytics.closed_loop import STAGE_PAIRS, stage_durations, stage_durations_sql
from analytics.config import DEFAULTS
from analytics.filters import Filters
from analytics.scorecards import scorecard
from tests.test_casedays import (  # noqa: F401  (fixtures)
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


def assert_lean_by_area_is_plain(con, plain, f: Filters, cfg: dict | None) -> None:
    for period in (f, f.previous()):
        assert metrics.summary(con, period, cfg) == plain_summary(plain, period, cfg), period
        for level in ("grid", "street", "district"):
            lean = metrics.by_area(con, period, level, cfg, area_quantiles=False)
            assert not set(QUANTILES) & set(lean.columns)
            pd.testing.assert_frame_equal(lean, plain_by_area(plain, period, level, cfg).drop(columns=QUANTILES))


def test_six_cases_worked_out_by_hand(tmp_path):
    path = tmp_path / "six.duckdb"
    six_case_city(path, 30)
    with duckdb.connect(str(path), read_only=True) as con:
        assert read.usable(con, JAN)
        summary = metrics.summary(con, JAN)
        lean = metrics.by_area(con, JAN, "grid", area_quantiles=False)
        full = metrics.by_area(con, JAN, "grid")
    # handling hours (closed - filed) of January's closures: B 119 h, C 551.5 h, D 124 h. Median 124; p90 at
    # (3 - 1) * 0.9 = 1.8 of the sorted hours: 124 + 0.8 * (551.5 - 124) = 466
    assert summary["median_handling_hours"] == 124.0
    assert summary["p90_handling_hours"] == pytest.approx(466.0)
    assert list(lean["area_id"]) == ["G1"] and lean["closed"].tolist() == [3]
    assert "median_handling_hours" not in lean and full["median_handling_hours"].tolist() == [124.0]
    pd.testing.assert_frame_equal(lean, full.drop(columns=QUANTILES))


@pytest.mark.parametrize("cfg", [None, SUSPENDED_COUNT], ids=["default", "suspended_counted"])
@pytest.mark.parametrize("live", [False, True], ids=["file", "live"])
def test_case_days_path_equals_plain(counted_city, live, cfg):  # noqa: F811
    check_every_pair_set(counted_city, live, cfg, assert_lean_by_area_is_plain)


@pytest.mark.parametrize("live", [False, True], ids=["file", "live"])
def test_plain_path_drops_the_columns_too(awkward_city, live):  # noqa: F811
    with file_and_live(awkward_city, live) as (con, plain):
        for f in pair_sets(plain)[:4]:
            assert not read.usable(con, f)  # no case-day counts in this city: the grouped query over cases
            assert_lean_by_area_is_plain(con, plain, f, None)


def test_scorecard_from_case_days_equals_the_plain_one(awkward_city, counted_city):  # noqa: F811
    """The same cases with and without case-day counts: the same scores, ranks and rank changes (the previous
    period read without the grids' quantiles on one side, with them on the other)."""
    cfg = {**DEFAULTS, "status": {**DEFAULTS["status"], "min_due_to_close": 1}}
    with (
        duckdb.connect(str(counted_city), read_only=True) as fast,
        duckdb.connect(str(awkward_city), read_only=True) as plain,
    ):
        for f in pair_sets(plain)[:4]:
            assert read.usable(fast, f, cfg) and read.usable(fast, f.previous(), cfg)
            card = scorecard(fast, f, "grid", cfg)
            pd.testing.assert_frame_equal(card, scorecard(plain, f, "grid", cfg))
            assert card["rank_change"].notna().any() or card["rank"].isna().all()


MARCH = Filters(dt.date(2025, 3, 1), dt.date(2025, 4, 1))
# case_id, reported, filed, dispatched, handled, closed, status
STAGE_CASES = [
    (
        "S1",
        "2025-03-02 08:00",
        "2025-03-02 09:00",
        "2025-03-02 10:00",
        "2025-03-02 14:00",
        "2025-03-02 15:00",
        "closed",
    ),
    ("S2", "2025-03-05 08:00", "2025-03-05 08:30", "2025-03-05 09:30", "2025-03-06 09:30", None, "handled"),
    ("S3", "2025-03-10 08:00", "2025-03-10 11:00", None, None, None, "filed"),
    # closed before it was handled: no duration for handled -> closed, counted as negative
    (
        "S4",
        "2025-03-12 08:00",
        "2025-03-12 10:00",
        "2025-03-12 12:00",
        "2025-03-13 12:00",
        "2025-03-13 06:00",
        "closed",
    ),
    ("S5", "2025-03-20 08:00", "2025-03-20 09:00", None, None, None, "cancelled"),  # cancelled: never counts
    ("S6", "2025-02-27 08:00", "2025-02-27 09:00", None, None, None, "filed"),  # reported in February
    ("S7", "2025-03-30 08:00", "2025-03-30 09:00", "2025-04-02 09:00", None, None, "dispatched"),  # after the end
]


def test_stage_durations_by_hand(tmp_path):
    from analytics.schema import create_schema

    con = duckdb.connect(str(tmp_path / "stages.duckdb"))
    create_schema(con)
    for case_id, reported, filed, dispatched, handled, closed, status in STAGE_CASES:
        con.execute(
            """INSERT INTO cases (case_id, kind, grid_id, reported_at, filed_at, dispatched_at, handled_at, closed_at,
                                  status, rework_count) VALUES ($1, 'demand', 'G1', $2, $3, $4, $5, $6, $7, 0)""",
            [case_id, reported, filed, dispatched, handled, closed, status],
        )
    stages = stage_durations(con, MARCH).set_index(["stage_from", "stage_to"])
    assert [tuple(i) for i in stages.index] == list(STAGE_PAIRS)
    # reported -> filed: S1 1 h, S2 0.5 h, S3 3 h, S4 2 h, S7 1 h (S5 cancelled, S6 in February): sorted
    # 0.5, 1, 1, 2, 3 -> median 1; p90 at 4 * 0.9 = 3.6: 2 + 0.6 * (3 - 2) = 2.6
    assert stages.loc[("reported", "filed")].tolist() == [5, 0, 1.0, pytest.approx(2.6)]
    # filed -> dispatched: S1 1 h, S2 1 h, S4 2 h (S7 dispatched after the end): sorted 1, 1, 2 -> median 1;
    # p90 at 2 * 0.9 = 1.8: 1 + 0.8 * (2 - 1) = 1.8
    assert stages.loc[("filed", "dispatched")].tolist() == [3, 0, 1.0, pytest.approx(1.8)]
    # dispatched -> handled: S1 4 h, S2 24 h, S4 24 h -> median 24, p90 24
    assert stages.loc[("dispatched", "handled")].tolist() == [3, 0, 24.0, 24.0]
    # handled -> closed: S1 1 h; S4 closed 6 h before it was handled: negative, left out
    assert stages.loc[("handled", "closed")].tolist() == [1, 1, 1.0, 1.0]
    # reported -> closed: S1 7 h, S4 22 h -> median 14.5, p90 at 0.9: 7 + 0.9 * 15 = 20.5
    assert stages.loc[("reported", "closed")].tolist() == [2, 0, 14.5, pytest.approx(20.5)]
    assert stages.dtypes.astype(str).tolist() == ["int64", "int64", "float64", "float64"]
    empty = stage_durations(con, Filters(dt.date(2030, 1, 1), dt.date(2030, 2, 1)))
    assert empty["cases"].tolist() == [0] * 5 and empty["median_hours"].isna().all()
    hostile = stage_durations(con, Filters(MARCH.start, MARCH.end, kind="x'; DROP TABLE cases;--"))
    assert hostile["cases"].tolist() == [0] * 5
    assert stage_durations_sql("TRUE").count("FROM cases") == 1  # one scan for the five steps


def test_department_quantiles_split_in_place_by_hand(tmp_path):
    from analytics.departments import department_metrics, department_metrics_pair

    con = duckdb.connect(str(tmp_path / "departments.duckdb"))
    from analytics.schema import create_schema

    create_schema(con)
    # department A: handled 2 h, 4 h and 12 h after dispatch in March; B: nothing handled, one open overdue case
    rows = [
        ("A1", "A", "2025-03-02 08:00", "2025-03-02 10:00", "handled"),
        ("A2", "A", "2025-03-03 08:00", "2025-03-03 12:00", "handled"),
        ("A3", "A", "2025-03-04 08:00", "2025-03-04 20:00", "handled"),
        ("B1", "B", "2025-03-05 08:00", None, "dispatched"),
    ]
    for case_id, department, dispatched, handled, status in rows:
        con.execute(
            """INSERT INTO cases (case_id, kind, grid_id, department, reported_at, filed_at, dispatched_at, handled_at,
                                  due_at, status, rework_count)
               VALUES ($1, 'demand', 'G1', $2, $3, $3, $3, $4, '2025-03-10 00:00', $5, 0)""",
            [case_id, department, dispatched, handled, status],
        )
    frame = department_metrics(con, MARCH).set_index("department")
    columns = list(frame.columns)
    assert columns.index("p90_handling_hours") == columns.index("median_handling_hours") + 1
    assert "handling_hours_quantiles" not in columns
    # A: sorted 2, 4, 12 -> median 4; p90 at 2 * 0.9 = 1.8: 4 + 0.8 * (12 - 4) = 10.4
    assert frame.loc["A", "median_handling_hours"] == 4.0
    assert frame.loc["A", "p90_handling_hours"] == pytest.approx(10.4)
    assert frame.loc["B", "open_overdue"] == 1 and pd.isna(frame.loc["B", "median_handling_hours"])
    assert frame["p90_handling_hours"].dtype == "float64"
    now, before = department_metrics_pair(con, MARCH)
    pd.testing.assert_frame_equal(now, department_metrics(con, MARCH))
    assert before.empty and before["median_handling_hours"].dtype == "float64"

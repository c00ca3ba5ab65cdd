"""Issue 11: days outside the data coverage are missing, not zeros (spikes, changes, charts)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics import alerts, trends
from analytics.anomaly import flag_spikes
from analytics.config import DEFAULTS
from analytics.filters import Filters
from analytics.schema import write_meta
from tests.helpers import add_cases, empty_store


def daily(con, first: dt.date, last: dt.date, per_day: int, kind: str = "incident", grid: str = "G1"):
    days = pd.date_range(first, last, freq="D")
    add_cases(
        con, [{"reported_at": f"{d.date()} 10:00", "kind": kind, "grid_id": grid} for d in days for _ in range(per_day)]
    )


def test_first_weeks_of_a_dataset_are_not_spikes_against_zero():
    con = empty_store()
    daily(con, dt.date(2025, 3, 1), dt.date(2025, 5, 31), 15)
    add_cases(con, [{"reported_at": "2025-05-20 11:00"} for _ in range(45)])  # 60 on 20 May: a real spike
    march = Filters(dt.date(2025, 3, 1), dt.date(2025, 4, 1))
    # before: every March day compared with 8 lags of 0 before the data -> "15 against a baseline of 0"
    assert alerts.spike_alerts(con, march, DEFAULTS["spikes"]).empty
    may = alerts.spike_alerts(con, Filters(dt.date(2025, 5, 1), dt.date(2025, 6, 1)), DEFAULTS["spikes"])
    assert may["day"].tolist() == ["2025-05-20"] and may["value"].tolist() == [60]
    assert may["previous"].tolist() == [15]  # baseline: median of 15s


def test_a_day_needs_six_of_its_eight_lags_inside_the_data():
    idx = pd.date_range("2025-01-06", periods=70, freq="D")
    values = pd.Series(10.0, index=idx)
    values[:14] = np.nan  # the first two weeks lie outside the data coverage
    # lags of day d: d - 7, ..., d - 56; days 0-13 are outside the data, lags before day 0 do not exist
    values.iloc[[69, 62, 55]] = 40
    flags = flag_spikes(values, "day", 3.0, 10, 8)
    # day 69: lags 62 ... 13 -> only 13 outside: 7 of 8 inside, baseline median(40, 40, 10 x 5) = 10 -> spike
    # day 62: lags 55 ... 6 -> 13 and 6 outside: 6 of 8 inside -> judged, baseline 10 -> spike
    # day 55: lags 48 ... -1 -> 13 and 6 outside, -1 before the data: 5 of 8 -> not judged
    assert bool(flags["spike"].iloc[69]) and bool(flags["spike"].iloc[62])
    assert not flags["spike"].iloc[55] and np.isnan(flags["baseline"].iloc[55])
    assert flags["baseline"].iloc[62] == pytest.approx(10.0)


def test_changes_against_a_period_outside_the_coverage_are_null():
    con = empty_store()
    daily(con, dt.date(2025, 2, 15), dt.date(2025, 3, 31), 2, kind="demand")
    march = Filters(dt.date(2025, 3, 1), dt.date(2025, 4, 1))
    changes = trends.period_changes(con, march)
    # before: February counted its 14 covered days (28 cases) against March's 62: +121 % "growth"
    assert changes["reported"] == 62
    assert changes["previous"] is None and changes["period_over_period"] is None
    assert changes["year_earlier"] is None and changes["year_over_year"] is None
    # the same data recorded as covering February whole: a real comparison (62 - 28) / 28
    write_meta(con, {"data_start": "2025-02-01", "data_end": "2025-04-01"})
    assert trends.period_changes(con, march)["period_over_period"] == pytest.approx(34 / 28)


def test_rising_demand_needs_a_covered_comparison_period():
    con = empty_store()
    daily(con, dt.date(2025, 2, 25), dt.date(2025, 3, 31), 2, kind="demand")
    march = Filters(dt.date(2025, 3, 1), dt.date(2025, 4, 1))
    # before: 62 in March against 8 in the 4 covered days of February -> ratio 7.75, "rising demand"
    assert alerts.rising_demand_alerts(con, march, DEFAULTS["alerts"]).empty


def test_series_draws_the_covered_range_and_marks_the_partial_last_week():
    con = empty_store()
    daily(con, dt.date(2025, 3, 3), dt.date(2025, 3, 19), 3)  # Monday 3 March to Wednesday 19 March
    window = Filters(dt.date(2024, 9, 16), dt.date(2025, 3, 24))  # "the last 26 weeks"
    s = trends.series(con, window, "week", "none").set_index("bucket")
    assert list(s.index) == list(pd.to_datetime(["2025-03-03", "2025-03-10", "2025-03-17"]))  # not 26 weeks
    assert s["reported"].tolist() == [21, 21, 9]
    assert s["partial"].tolist() == [False, False, True]  # 3 of 7 days: marked, not a collapse


def test_baseline_band_leaves_weeks_outside_the_data_missing():
    con = empty_store()
    daily(con, dt.date(2025, 3, 3), dt.date(2025, 4, 27), 3)
    rules = DEFAULTS["spikes"]
    band = trends.baseline_band(con, Filters(dt.date(2025, 3, 3), dt.date(2025, 4, 28)), "week", rules)
    # 8 whole weeks of 21: the first 6 have fewer than 6 lags inside the data -> not judged, no zero baseline
    assert band["count"].tolist() == [21.0] * 8
    assert band["baseline"].isna().tolist() == [True] * 6 + [False] * 2
    assert not band["spike"].any()


def test_daily_category_counts_by_hand():
    # data from 3 to 12 May 2025; the period is 8-15 May with one baseline week: rows are 1-14 May
    con = empty_store()
    add_cases(
        con,
        [{"reported_at": "2025-05-03 09:00"}] * 2  # 06010 (the default category) twice on 3 May
        + [{"reported_at": "2025-05-09 09:00", "category_code": "01002", "category_name": "道路破损"}] * 3
        + [{"reported_at": "2025-05-12 23:59"}]  # the last day with data
        + [{"reported_at": "2025-05-10 08:00", "category_code": None, "category_name": None}],  # no code: no column
    )
    table, names = alerts.daily_category_counts(con, Filters(dt.date(2025, 5, 8), dt.date(2025, 5, 15)), 1)
    days = pd.date_range("2025-05-01", "2025-05-14", freq="D")
    nan = np.nan
    # 1-2 May lie before the data and 13-14 May after it: missing; the other days count, 0 without a case
    want = pd.DataFrame(
        {
            "01002": [nan, nan, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, nan, nan],
            "06010": [nan, nan, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, nan, nan],
        },
        index=days,
    ).rename_axis(columns="category_code")
    pd.testing.assert_frame_equal(table, want, check_index_type=False, check_column_type=False)
    assert table.columns.tolist() == ["01002", "06010"] and list(table.index) == list(days)
    assert names.to_dict() == {"01002": "道路破损", "06010": "暴露垃圾"}

"""Trend analytics: complete series, baselines and spikes, year over year, theme tracker."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics.config import DEFAULTS
from analytics.filters import Filters
from analytics.schema import write_meta
from analytics.trends import baseline_band, period_changes, series, theme_tracker, year_over_year
from tests.helpers import add_cases, empty_store


def test_series_is_complete_with_zero_buckets():
    con = empty_store()
    add_cases(
        con,
        [
            {"reported_at": "2025-03-03 10:00"},
            {"reported_at": "2025-03-03 11:00", "kind": "demand"},
            {"reported_at": "2025-03-17 10:00"},
        ],
    )
    s = series(con, Filters(dt.date(2025, 3, 3), dt.date(2025, 3, 24)), "week", "kind")
    incident = s[s["series"] == "incident"].set_index("bucket")["reported"]
    assert incident.tolist() == [1, 0, 1]  # the empty middle week is a 0, not missing
    assert s[s["series"] == "demand"]["reported"].tolist() == [1, 0, 0]


def test_theme_tracker_before_and_after():
    con = empty_store()
    # 4 weeks before the intervention (2025-03-03): 3, 3, 1, 1 cases -> mean 2; 4 weeks after: 1, 0, 1, 0 -> 0.5
    before = [("2025-02-03", 3), ("2025-02-10", 3), ("2025-02-17", 1), ("2025-02-24", 1)]
    after = [("2025-03-03", 1), ("2025-03-17", 1)]
    add_cases(
        con, [{"reported_at": f"{day} 10:00", "category_code": "06010"} for day, n in before + after for _ in range(n)]
    )
    add_cases(con, [{"reported_at": "2025-03-04 10:00", "category_code": "07001"}])  # another category
    r = theme_tracker(con, Filters(dt.date(2025, 1, 1), dt.date(2025, 6, 1)), "06010", dt.date(2025, 3, 3), weeks=4)
    assert r["before_mean"] == pytest.approx(2.0)
    assert r["after_mean"] == pytest.approx(0.5)
    assert r["change"] == pytest.approx(-0.75)
    # the data ends 2025-03-17: only 2 whole weeks after the intervention exist (1 and 0 cases), not 4
    clamped = theme_tracker(
        con,
        Filters(dt.date(2025, 1, 1), dt.date(2025, 6, 1)),
        "06010",
        dt.date(2025, 3, 3),
        weeks=4,
        data_span=(dt.date(2025, 1, 1), dt.date(2025, 3, 17)),
    )
    assert clamped["weeks_after"] == 2 and clamped["after_mean"] == pytest.approx(0.5)


def test_year_over_year_and_period_changes():
    con = empty_store()
    add_cases(
        con,
        [{"reported_at": "2024-03-05 10:00"}] * 2
        + [{"reported_at": "2025-03-05 10:00"}] * 3
        + [{"reported_at": "2025-02-05 10:00"}] * 4,
    )
    # the export covers March 2024 to March 2025 whole (without this, March 2025 would be cut at the 6th)
    write_meta(con, {"data_start": "2024-03-01", "data_end": "2025-04-01"})
    march = Filters(dt.date(2025, 3, 1), dt.date(2025, 4, 1))
    yoy = year_over_year(con, march, "month")
    assert yoy[["reported", "reported_year_earlier"]].iloc[0].tolist() == [3, 2]
    changes = period_changes(con, march)
    # previous period of a whole month: February, holding the 4 cases of 5 February
    assert (changes["reported"], changes["previous"], changes["year_earlier"]) == (3, 4, 2)
    assert changes["year_over_year"] == pytest.approx(0.5)
    assert changes["period_over_period"] == pytest.approx(-0.25)


def test_seasonal_category_shows_its_season(demo_con):
    code = demo_con.execute("SELECT subject_id FROM signals WHERE signal = 'seasonal_category'").fetchone()[0]
    year = Filters(dt.date(2025, 1, 1), dt.date(2026, 1, 1), category=code)
    monthly = series(demo_con, year, "month", "none").set_index("bucket")["reported"]
    winter = monthly[monthly.index.month.isin([1, 2, 12])].mean()
    summer = monthly[monthly.index.month.isin([6, 7, 8])].mean()
    assert winter > 5 * max(summer, 1)


def test_planted_spike_flagged_in_the_trend_band_and_a_normal_week_not(demo_con):
    row = demo_con.execute("SELECT subject_id, start_date FROM signals WHERE signal = 'spike'").fetchone()
    code, day = row[0], pd.Timestamp(row[1]).date()
    f = Filters(day - dt.timedelta(days=60), day + dt.timedelta(days=30), category=code)
    daily = baseline_band(demo_con, f, "day", DEFAULTS["spikes"]).set_index("bucket")
    assert daily.loc[pd.Timestamp(day), "spike"]
    assert daily["spike"].sum() == 1
    weekly = baseline_band(demo_con, f, "week", DEFAULTS["spikes"]).set_index("bucket")
    spike_week = pd.Timestamp(day - dt.timedelta(days=day.weekday()))
    assert weekly.loc[spike_week, "spike"]
    assert not weekly.drop(spike_week)["spike"].any()

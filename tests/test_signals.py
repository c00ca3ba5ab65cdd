"""Each planted signal of the demo city is recoverable from the data with the metric core.

The ground truth (which grid, department, category, when) is read from the demo's
``signals`` table, never hard-coded here.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analytics.anomaly import flag_spikes
from analytics.config import DEFAULTS
from analytics.departments import department_metrics
from analytics.filters import Filters
from analytics.metrics import by_area

MIN_CASES = DEFAULTS["status"]["min_due_to_close"]


def signal(con, name: str) -> pd.DataFrame:
    frame = con.execute("SELECT * FROM signals WHERE signal = $s", {"s": name}).df()
    assert not frame.empty, f"signal {name} not planted"
    return frame


def as_date(value) -> dt.date:
    return pd.Timestamp(value).date()


def test_slow_department_is_worst_in_its_quarter_only(demo_con):
    s = signal(demo_con, "slow_department").iloc[0]
    period = Filters(as_date(s.start_date), as_date(s.end_date))
    during = department_metrics(demo_con, period).set_index("department")
    before = department_metrics(demo_con, period.previous()).set_index("department")
    during = during[during["due_to_handle"] >= MIN_CASES]  # a department with 2 cases is no ranking
    before = before[before["due_to_handle"] >= MIN_CASES]
    assert during["on_time_handling_rate"].idxmin() == s.subject_id
    assert during["median_handling_hours"].idxmax() == s.subject_id
    assert before["on_time_handling_rate"].idxmin() != s.subject_id


def test_collapsing_grid_has_the_lowest_on_time_rate_only_when_planted(demo_con):
    s = signal(demo_con, "collapsing_grid").iloc[0]
    period = Filters(as_date(s.start_date), as_date(s.end_date))
    during = by_area(demo_con, period, "grid").set_index("area_id")
    before = by_area(demo_con, period.previous(), "grid").set_index("area_id")
    enough = during[during["due_to_close"] >= MIN_CASES]
    assert enough["on_time_closure_rate"].idxmin() == s.subject_id
    assert before.loc[s.subject_id, "on_time_closure_rate"] > before["on_time_closure_rate"].median() - 0.15


def test_emerging_hotspot_grids_rise_most(demo_con):
    rows = signal(demo_con, "emerging_hotspot")
    hot = set(rows["subject_id"])
    end = as_date(rows["end_date"].max())
    recent = Filters((pd.Timestamp(end) - pd.DateOffset(months=3)).date(), end, kind="demand")
    earlier = recent.year_earlier()
    now = by_area(demo_con, recent, "grid").set_index("area_id")["reported"]
    then = by_area(demo_con, earlier, "grid").set_index("area_id")["reported"]
    rest = now.index.difference(list(hot))
    cluster_growth = now[list(hot)].sum() / max(then[list(hot)].sum(), 1)
    rest_growth = now[rest].sum() / max(then[rest].sum(), 1)
    assert cluster_growth > 2 * rest_growth, (cluster_growth, rest_growth)
    growth = (now + 1) / (then + 1)
    top_decile = set(growth[growth >= growth.quantile(0.9)].index)
    assert len(top_decile & hot) >= len(hot) / 2, (sorted(top_decile & hot), sorted(hot))


def test_seasonal_category_peaks_in_its_season(demo_con):
    code = signal(demo_con, "seasonal_category").iloc[0].subject_id
    monthly = (
        demo_con.execute(
            "SELECT month(reported_at) AS m, count(*) AS n FROM cases WHERE category_code = $c GROUP BY 1", {"c": code}
        )
        .df()
        .set_index("m")["n"]
        .reindex(range(1, 13), fill_value=0)
    )
    winter = monthly[[12, 1, 2]].mean()
    summer = monthly[[6, 7, 8]].mean()
    assert winter > 5 * max(summer, 1)


def test_spike_day_is_flagged_and_a_normal_day_is_not(demo_con):
    s = signal(demo_con, "spike").iloc[0]
    day = as_date(s.start_date)
    daily = demo_con.execute(
        "SELECT reported_at::DATE AS d, count(*) AS n FROM cases WHERE category_code = $c "
        "AND reported_at >= $a AND reported_at < $b GROUP BY 1",
        {"c": s.subject_id, "a": day - dt.timedelta(days=120), "b": day + dt.timedelta(days=30)},
    ).df()
    index = pd.date_range(day - dt.timedelta(days=120), day + dt.timedelta(days=29), freq="D")
    series = daily.set_index(pd.to_datetime(daily["d"]))["n"].reindex(index, fill_value=0)
    flags = flag_spikes(series, "day", k=3.0, min_excess=5)
    assert flags.loc[pd.Timestamp(day), "spike"]
    normal = pd.Timestamp(day - dt.timedelta(days=14))
    assert not flags.loc[normal, "spike"]

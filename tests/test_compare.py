"""对比分析: the comparison equals two ``report`` calls; the two-proportion test matches a hand-worked case."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys

import pandas as pd
import pytest

from analytics import compare
from analytics.filters import Filters


def test_two_proportion_test_by_hand():
    # 80 of 100 closed before, 90 of 100 after.
    # pooled p = 170/200 = 0.85; SE = sqrt(0.85 * 0.15 * (1/100 + 1/100)) = sqrt(0.00255) = 0.0504975
    # z = 0.10 / 0.0504975 = 1.98030; two-sided p = 2 * (1 - Phi(1.98030)) = 0.04767
    # Wald SE of the difference = sqrt(0.8*0.2/100 + 0.9*0.1/100) = 0.05; 95 % CI = 0.10 -/+ 1.95996 * 0.05
    r = compare.two_proportion_test(80, 100, 90, 100)
    assert r.difference == pytest.approx(0.10)
    assert r.z == pytest.approx(1.98030, abs=1e-4)
    assert r.p_value == pytest.approx(0.04767, abs=2e-5)
    assert (r.ci_low, r.ci_high) == (pytest.approx(0.002002, abs=1e-5), pytest.approx(0.197998, abs=1e-5))
    assert r.significant
    # 45 of 50 against 44 of 50: z = 0.02 / sqrt(0.89 * 0.11 * 0.04) = 0.3196, p = 0.749 -> noise
    small = compare.two_proportion_test(45, 50, 44, 50)
    assert small.z == pytest.approx(-0.31960, abs=1e-4)
    assert small.p_value == pytest.approx(0.7493, abs=1e-3)
    assert not small.significant


def test_two_proportion_test_edges():
    assert compare.two_proportion_test(0, 0, 5, 10) is None
    same = compare.two_proportion_test(10, 10, 20, 20)  # both 100 %: no evidence of a change
    assert same.z == 0 and same.p_value == 1 and not same.significant
    with pytest.raises(ValueError):
        compare.two_proportion_test(11, 10, 1, 10)


def test_before_after_windows():
    f = Filters(dt.date(2025, 1, 1), dt.date(2025, 2, 1), "street", "S1", "demand")
    before, after = compare.before_after(f, dt.date(2025, 6, 15), 30)
    assert (before.start, before.end) == (dt.date(2025, 5, 16), dt.date(2025, 6, 15))
    assert (after.start, after.end) == (dt.date(2025, 6, 15), dt.date(2025, 7, 15))
    assert after.area == "S1" and after.kind == "demand"
    with pytest.raises(ValueError):
        compare.before_after(f, dt.date(2025, 6, 15), 0)


def _report(db, *args) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "analytics", "report", "--db", str(db), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_compare_equals_two_report_calls(demo_con, demo_db):
    f = Filters(dt.date(2025, 1, 1), dt.date(2025, 1, 2))
    before, after = compare.before_after(f, dt.date(2025, 10, 1), 61)
    result = compare.compare(demo_con, before, after)
    report_a = _report(demo_db, "--start", "2025-08-01", "--end", "2025-10-01")
    report_b = _report(demo_db, "--start", "2025-10-01", "--end", "2025-12-01")
    rows = result["rows"].set_index("metric")
    for name in compare.COMPARE_METRICS:
        assert rows.at[name, "a"] == pytest.approx(report_a[name]), name
        assert rows.at[name, "b"] == pytest.approx(report_b[name]), name
        if report_a[name] is not None and report_b[name] is not None:
            assert rows.at[name, "difference"] == pytest.approx(report_b[name] - report_a[name]), name
    # the closure-rate test is built from the report's own counts
    r = compare.two_proportion_test(
        report_a["closed"], report_a["due_to_close"], report_b["closed"], report_b["due_to_close"]
    )
    assert rows.at["closure_rate", "p_value"] == pytest.approx(r.p_value)
    assert rows.at["reported", "relative"] == pytest.approx(report_b["reported"] / report_a["reported"] - 1)
    assert pd.isna(rows.at["satisfaction_rate", "p_value"])  # not a share of counted cases: no test


def test_two_areas_equal_report_calls(demo_con, demo_db):
    streets = [r[0] for r in demo_con.execute("SELECT DISTINCT street_id FROM grids ORDER BY 1 LIMIT 2").fetchall()]
    f = Filters(dt.date(2025, 11, 1), dt.date(2025, 12, 1))
    a, b = compare.two_areas(f, "street", *streets)
    rows = compare.compare(demo_con, a, b)["rows"].set_index("metric")
    for side, street in (("a", streets[0]), ("b", streets[1])):
        report = _report(demo_db, "--start", "2025-11-01", "--end", "2025-12-01", "--level", "street", "--area", street)
        assert rows.at["reported", side] == report["reported"]
        assert rows.at["on_time_closure_rate", side] == pytest.approx(report["on_time_closure_rate"])


def test_category_mix_change_shares(demo_con):
    f = Filters(dt.date(2025, 1, 1), dt.date(2025, 1, 2))
    before, after = compare.before_after(f, dt.date(2025, 7, 1), 30)
    mix = compare.category_mix_change(demo_con, before, after, limit=100)
    total_a = demo_con.execute(
        "SELECT count(*) FROM cases WHERE reported_at >= '2025-06-01' AND reported_at < '2025-07-01'"
        " AND category_major IS NOT NULL"
    ).fetchone()[0]
    assert mix["reported_a"].sum() == total_a
    assert mix["share_a"].sum() == pytest.approx(1.0) and mix["share_b"].sum() == pytest.approx(1.0)
    assert mix["share_change"].sum() == pytest.approx(0.0, abs=1e-9)
    moves = mix["share_change"].abs().tolist()
    assert moves == sorted(moves, reverse=True)


def test_hostile_area_compares_as_empty(demo_con):
    f = Filters(dt.date(2025, 11, 1), dt.date(2025, 12, 1))
    a, b = compare.two_areas(f, "street", "x'; DROP TABLE cases;--", "%")
    result = compare.compare(demo_con, a, b)
    assert result["a"]["reported"] == 0 and result["b"]["reported"] == 0
    assert result["rows"]["p_value"].isna().all()
    assert demo_con.execute("SELECT count(*) FROM cases").fetchone()[0] > 0


def test_shared_breaks_cover_both_sides():
    breaks = compare.shared_breaks(pd.Series([1.0, 2.0]), pd.Series([50.0, 100.0]), "reported")
    assert breaks[0] == 1.0 and breaks[-1] == 100.0
    assert compare.shared_breaks(pd.Series([0.5]), pd.Series([0.99]), "closure_rate") == [
        0.0,
        0.6,
        0.75,
        0.9,
        0.95,
        1.0,
    ]
    assert not math.isnan(breaks[1])


def test_no_test_when_the_counts_are_unknown():
    """Without deadlines the closure counts are null (metrics.md): the rate gets no test, not a crash."""
    from analytics.compare import compare_rows

    unknown = {"reported": 9, "closed": 5, "closed_on_time": None, "due_to_close": None, "closure_rate": None}
    rows = compare_rows(unknown, unknown).set_index("metric")
    assert rows.loc["closure_rate", "p_value"] is None
    assert rows.loc["reported", "difference"] == 0.0

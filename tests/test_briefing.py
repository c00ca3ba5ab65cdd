"""The one-page briefing: self-contained HTML with the overview's numbers, an SVG map, no personal data."""

from __future__ import annotations

import datetime as dt
import re

import duckdb

from analytics.filters import Filters
from analytics.metrics import summary


def test_briefing_is_offline_and_carries_the_overview_numbers(demo_env):
    from ui import data
    from ui.overview_parts import briefing_html

    f = Filters(dt.date(2025, 12, 1), dt.date(2026, 1, 1))
    key = data.db_key()
    html = briefing_html(key, f, data.summary(key, f), data.summary(key, f.previous()))
    con = duckdb.connect(str(demo_env), read_only=True)
    report = summary(con, f)
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and html.count("<path") > 300
    # nothing to fetch: the only URL is the SVG namespace
    assert re.findall(r"(?:src|href)=|https?://(?!www\.w3\.org/2000/svg)", html) == []
    assert f"{report['closure_rate'] * 100:.1f}%" in html
    assert f"{report['on_time_closure_rate'] * 100:.1f}%" in html
    assert f"{report['open_overdue']:,}" in html
    planted = [v for (v,) in con.execute("SELECT DISTINCT value FROM pii_planted").fetchall()]
    assert not [v for v in planted if v in html]

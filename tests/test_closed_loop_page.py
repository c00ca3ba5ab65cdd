"""The closed-loop page's overdue list: the screen shows at most ``[closed_loop] overdue_rows_shown`` rows."""

from __future__ import annotations

import re

import duckdb

from analytics.closed_loop import overdue_cases
from tests.test_pages import run_page


def test_the_overdue_list_shows_the_configured_rows_and_says_how_many_it_lists(demo_env, tmp_path, monkeypatch):
    config = tmp_path / "gridscope.toml"
    config.write_text("[closed_loop]\noverdue_rows_shown = 3\n", encoding="utf-8")
    monkeypatch.setenv("GRIDSCOPE_CONFIG", str(config))
    at = run_page("pages/closed_loop.py", "en")
    assert not at.exception and not at.error
    with duckdb.connect(str(demo_env), read_only=True) as con:
        listed = overdue_cases(con, at.session_state["filters"])
    assert len(listed) > 3  # the demo month has more open overdue cases than the screen shows here
    overdue = next(d.value for d in at.dataframe if "Days overdue" in d.value.columns)
    assert len(overdue) == 3
    assert list(overdue["Case id"]) == list(listed["case_id"].head(3))  # the most overdue first
    captions = [c.value for c in at.caption if c.value.startswith("The first 3 of")]
    assert captions and re.search(rf"The first 3 of {len(listed):,} rows", captions[0])


def test_the_overdue_heading_counts_every_case_when_the_list_holds_fewer(demo_env, tmp_path, monkeypatch):
    config = tmp_path / "gridscope.toml"
    config.write_text("[closed_loop]\noverdue_rows_listed = 4\n", encoding="utf-8")
    monkeypatch.setenv("GRIDSCOPE_CONFIG", str(config))
    at = run_page("pages/closed_loop.py", "en")
    assert not at.exception and not at.error
    with duckdb.connect(str(demo_env), read_only=True) as con:
        every = overdue_cases(con, at.session_state["filters"], limit=10**9)
    assert len(every) > 4
    headings = [h.value for h in at.subheader if h.value.startswith("Open overdue cases")]
    assert headings and f"({len(every):,}," in headings[0]  # the heading counts them all, not the 4 listed
    overdue = next(d.value for d in at.dataframe if "Days overdue" in d.value.columns)
    assert len(overdue) == 4
    assert any(c.value.startswith(f"{len(every):,} cases in all; the list holds the 4 most") for c in at.caption)

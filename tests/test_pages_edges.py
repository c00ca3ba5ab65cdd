"""Issue 11: the pages on a short export without deadlines or population say so instead of 100 % and blanks."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from analytics.schema import create_schema, write_meta
from tests.helpers import add_cases
from tests.test_hotspot_edges import strip_grids
from tests.test_pages import run_page


@pytest.fixture()
def short_export(tmp_path, monkeypatch):
    """Four days of cases (28-31 July 2025) in six grids: no deadlines, no population, one case closed
    before it was reported."""
    path = tmp_path / "short.duckdb"
    con = duckdb.connect(str(path))
    create_schema(con)
    grid_rows = pd.DataFrame(strip_grids([None] * 6))  # noqa: F841 (read by DuckDB by name)
    con.execute("INSERT INTO grids BY NAME SELECT * FROM grid_rows")
    rows = []
    for day in range(28, 32):
        for g in range(6):
            for n in range(1 + (g * day) % 4):
                closed = f"2025-07-{day:02d} 18:00" if n % 2 == 0 else None
                rows.append(
                    {
                        "reported_at": f"2025-07-{day:02d} 09:{n:02d}",
                        "closed_at": closed,
                        "status": "closed" if closed else "dispatched",
                        "grid_id": f"G{g}",
                        "kind": "demand" if g % 2 else "incident",
                    }
                )
    rows.append({"reported_at": "2025-07-30 10:00", "closed_at": "2025-07-29 10:00", "status": "closed"})
    add_cases(con, rows)
    write_meta(con, {"dataset": "short", "data_start": "2025-07-28", "data_end": "2025-08-01"})
    con.close()
    monkeypatch.setenv("GRIDSCOPE_DB", str(path))
    return path


def texts(at) -> str:
    parts = [str(m.value) for m in [*at.markdown, *at.html]] + [str(c.value) for c in at.caption]
    parts += [str(i.value) for i in at.info] + [str(w.value) for w in at.warning]
    return " ".join(parts)


def test_overview_on_a_short_export_without_deadlines(short_export):
    at = run_page("pages/overview.py", "en")
    assert not at.exception and not at.error
    f = at.session_state["filters"]
    assert (f.start, f.end) == (dt.date(2025, 7, 28), dt.date(2025, 8, 1))  # the whole coverage, not an empty month
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Closure rate"] == "No deadlines" and tiles["Open overdue"] == "No deadlines"
    assert tiles["Reported"] != "0"
    shown = texts(at)
    assert "No deadlines in this data" in shown
    assert "1 case(s) closed in the period were closed before they were reported" in shown
    assert "every area is grey" in shown


def test_hotspots_page_defaults_to_counts_and_daily_steps(short_export):
    at = run_page("pages/hotspots.py", "zh")
    assert not at.exception and not at.error
    assert at.segmented_control(key="hot_measure").value == "count"
    assert at.segmented_control(key="hot_step").value == "auto"
    assert "时间步按数据时长自动选择：日" in texts(at)


@pytest.mark.parametrize("page", ["pages/closed_loop.py", "pages/trends.py", "pages/grid_map.py", "pages/profile.py"])
def test_other_pages_render_on_the_short_export(short_export, page):
    at = run_page(page, "zh")
    assert not at.exception and not at.error
    assert "⟦" not in texts(at)
    if page == "pages/profile.py":  # no deadlines: the closure tiles say so rather than "—" or 100 %
        tiles = {m.label: m.value for m in at.metric}
        assert tiles["结案率"] == "无时限" and tiles["超期未结数"] == "无时限"
        deltas = {m.label: m.delta for m in at.metric}  # and no "median 0" beside them
        assert not deltas["超期未结数"] and not deltas["结案率"], deltas
        assert deltas["上报数"], "the other tiles keep their comparison"


def test_presets_end_with_the_default_period():
    from ui.filters import preset_period

    may = (dt.date(2025, 5, 1), dt.date(2025, 6, 1))  # the latest complete month with data
    assert preset_period("month", dt.date(2025, 7, 15), may) == may
    assert preset_period("quarter", dt.date(2025, 7, 15), may) == (dt.date(2025, 3, 1), dt.date(2025, 6, 1))
    short = (dt.date(2025, 7, 28), dt.date(2025, 8, 1))  # four days of data: every preset is the coverage
    assert preset_period("year", dt.date(2025, 8, 1), short) == short


def test_a_database_that_cannot_be_read_gets_a_clear_message(demo_db, tmp_path, monkeypatch):
    # a database file the app opens but cannot read (here: a case column gone, as a hand-edited or foreign file
    # would have): a sentence in the page's language, never Streamlit's error box or a traceback
    path = tmp_path / "unreadable.duckdb"
    path.write_bytes(demo_db.read_bytes())
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE IF EXISTS case_days")
        con.execute("ALTER TABLE cases DROP COLUMN closed_at")
    monkeypatch.setenv("GRIDSCOPE_DB", str(path))
    at = run_page("pages/overview.py")
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [
        "数据库无法读取，错误已记录。请联系管理员检查服务器日志；数据库由旧版本生成时，重新导入或重建即可。"
    ]
    assert not at.metric  # nothing half-drawn below it

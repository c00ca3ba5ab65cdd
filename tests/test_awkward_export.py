"""Issue 11, "Done when": an awkward real export (generated, see :mod:`tests.awkward_export`) imports through
the command line, every page renders without an error box, the default view shows data, and the numbers
are the ones worked out by hand below from the fixture's rows (``shared/spec/metrics.md``)."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from analytics import queries
from tests.awkward_export import PROJECT, import_export
from tests.test_pages import APP, TIMEOUT, open_tab
from ui.navigation import PAGES

PERIOD = ("--start", "2026-03-02", "--end", "2026-03-06")  # the whole coverage: four days


@pytest.fixture(scope="module")
def awkward_db(tmp_path_factory):
    db, _ = import_export(tmp_path_factory.mktemp("awkward"))
    return db


@pytest.fixture()
def awkward_env(awkward_db, monkeypatch):
    monkeypatch.setenv("GRIDSCOPE_DB", str(awkward_db))
    return awkward_db


def cli(*args: str):
    done = subprocess.run(
        [sys.executable, "-m", "analytics", *args], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_the_import_keeps_everything_and_says_what_it_did(awkward_db):
    with duckdb.connect(str(awkward_db), read_only=True) as con:
        # 12 rows: R10 (unreadable time), the second R1 and the row without an id are rejected
        rejects = con.execute("SELECT row_number, reason FROM rejects ORDER BY row_number").fetchall()
        assert rejects == [(10, "unparseable_reported_at"), (11, "duplicate_id"), (12, "missing_id")]
        assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 9
        # the repeated boundary id stays two grids; R6 lies in the second polygon
        grids = con.execute("SELECT grid_id, grid_name, street_id FROM grids ORDER BY grid_id").fetchall()
        assert [g[0] for g in grids] == ["P1", "P2", "P3", "P3~2"]
        assert con.execute("SELECT grid_id FROM cases WHERE case_id = 'R6'").fetchone()[0] == "P3~2"
        line = con.execute("SELECT sample FROM import_report WHERE reason = 'duplicate_boundary_id'").fetchone()[0]
        assert "P3 ×2" in line and "kept apart" in line
        flags = dict(con.execute("SELECT case_id, location_flag FROM cases WHERE location_flag IS NOT NULL").fetchall())
        assert flags == {"R7": "missing", "R8": "placeholder", "R9": "outside"}
        assert con.execute("SELECT count(due_at), count(population) FROM cases, grids").fetchone() == (0, 0)
        assert queries.levels_present(con) == ("district", "street", "grid")
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        assert (meta["data_start"], meta["data_end"]) == ("2026-03-02", "2026-03-06")


def test_report_numbers_worked_out_by_hand(awkward_db):
    r = cli("report", "--db", str(awkward_db), *PERIOD)
    assert r["coverage"] == "inside"
    assert r["reported"] == 9  # R1-R9: the cancelled R5 and the unlocated R7, R8, R9 included
    assert r["filed"] == 8  # all but the cancelled R5
    assert r["closed"] == 5  # R1, R3, R4 (closed before it was reported, still counted), R6, R9
    assert (r["closed_before_reported"], r["negative_handling_time"]) == (1, 1)  # R4
    # no case has a deadline: nothing can be overdue, so the closure rates are not measured (not 100 %)
    assert r["deadlines_known"] is False and r["with_deadline"] == 0
    assert r["to_judge"] == 8  # closed in P (5) + open at the end (R2, R7, R8)
    assert r["open_overdue"] is None and r["due_to_close"] is None
    assert r["closure_rate"] is None and r["on_time_closure_rate"] is None
    # handling hours of the closed cases without a negative duration: R1 6, R3 24, R6 24, R9 3 (R4 left out)
    assert r["median_handling_hours"] == pytest.approx(15.0)
    street = cli("report", "--db", str(awkward_db), *PERIOD, "--level", "street", "--area", "S2")
    assert (street["reported"], street["closed"]) == (2, 1)  # R5 (cancelled) in P3, R6 in P3~2


def test_with_a_deadline_rule_the_closure_rates_are_measured(tmp_path):
    """The same export with ``[deadlines] default = "1 working day"`` (item 5b): due = filed + 8 working hours.

    R1 Mon 09:00 -> Mon 17:00, closed 15:00: on time.  R2 Mon 10:00 -> Tue 10:00, open: overdue.
    R3 Tue 11:00 -> Wed 11:00, closed Wed 11:00: on time.  R4 Tue 12:00 -> Wed 12:00, closed Tue 08:00: on time.
    R6 Wed 10:00 -> Thu 10:00, closed Thu 10:00: on time.  R7 Thu 08:00 and R8 Thu 08:30 -> Thu 17:00, open:
    overdue.  R9 Thu 13:00 -> Fri 13:00, closed Thu 16:00: on time.  (R5 is cancelled.)
    Closed 5, on time 5, open overdue 3, due to close 8: closure and on-time closure rates 5/8.
    """
    db, done = import_export(tmp_path, '\n[deadlines]\ndefault = "1 working day"\n')
    assert "9 derived from rules (9 by default)" in done.stderr  # the cancelled R5 gets one too (unused)
    r = cli("report", "--db", str(db), *PERIOD)
    assert (r["closed"], r["closed_on_time"], r["open_overdue"], r["due_to_close"]) == (5, 5, 3, 8)
    assert r["closure_rate"] == pytest.approx(5 / 8) and r["on_time_closure_rate"] == pytest.approx(5 / 8)


def run(page: str, lang: str = "en", query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page != PAGES[0].path:
        at.switch_page(page)
        at.run()
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", PAGES, ids=[p.key for p in PAGES])
def test_every_page_renders_without_an_error_box(awkward_env, page, lang):
    at = run(page.path, lang)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_the_default_view_shows_the_data(awkward_env):
    """Four days of data: the default period is the whole coverage, not an empty last month."""
    at = run("pages/overview.py")
    f = at.session_state["filters"]
    assert (str(f.start), str(f.end)) == ("2026-03-02", "2026-03-06")
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Reported"] == "9" and tiles["Closure rate"] == "No deadlines"
    assert tiles["Median handling time"] == "15.0 h"


def test_the_data_page_reports_rejects_unlocated_and_the_repeated_boundary_id(awkward_env):
    at = run("pages/data.py")
    assert not at.exception and not at.error
    tiles = {m.label: m.value for m in at.metric}
    assert (tiles["Cases"], tiles["Rejected rows"]) == ("9", "3")
    at = open_tab(at, "data_tab", "Validation report")  # drawn when its tab is open
    report = next(df.value for df in at.dataframe if "Reason" in df.value.columns)
    rows = dict(zip(report["Reason"], report["Rows"]))
    assert rows["missing"] == rows["placeholder"] == rows["outside"] == 1  # R7, R8, R9: 3 unlocated
    assert rows["closed_before_reported"] == 1 and rows["duplicate_boundary_id"] == 2  # R4; P3's two polygons
    assert (rows["duplicate_id"], rows["missing_id"], rows["unparseable_reported_at"]) == (1, 1, 1)

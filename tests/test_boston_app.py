"""The Boston import in the app and in the spatial statistics (real data; skips only when it is absent)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import duckdb
from streamlit.testing.v1 import AppTest

from analytics.filters import Filters
from analytics.hotspot_report import hotspot_analysis
from tests.test_ingest_boston import boston_db  # noqa: F401 (the session fixture: one import per session)

APP = str(Path(__file__).resolve().parent.parent / "app.py")
CITY_HALL = (-71.0587, 42.3594)


def test_unlocated_cases_are_left_out_of_hotspots(boston_db):  # noqa: F811
    con = duckdb.connect(str(boston_db), read_only=True)
    year = Filters(dt.date(2015, 1, 1), dt.date(2016, 1, 1), kind="demand")
    result = hotspot_analysis(con, year, "grid", "month", "count")
    unlocated = con.execute(
        "SELECT count(*) FROM cases WHERE kind = 'demand' AND reported_at >= '2015-01-01' "
        "AND reported_at < '2016-01-01' AND (grid_id IS NULL OR location_flag IS NOT NULL)"
    ).fetchone()[0]
    placeholders = con.execute("SELECT count(*) FROM cases WHERE location_flag = 'placeholder'").fetchone()[0]
    assert placeholders == 17_070
    assert (
        result.excluded
        == unlocated
        >= 0.9
        * con.execute("SELECT count(*) FROM cases WHERE kind = 'demand' AND location_flag = 'placeholder'").fetchone()[
            0
        ]
    )
    # the precinct around City Hall holds only the cases really located there, not the 17,070 placeholders
    hall = con.execute(
        "SELECT grid_id FROM grids ORDER BY (centroid_lon - $x) ^ 2 + (centroid_lat - $y) ^ 2 LIMIT 1",
        {"x": CITY_HALL[0], "y": CITY_HALL[1]},
    ).fetchone()[0]
    table = result.table.set_index("area_id")
    located_there = con.execute(
        "SELECT count(*) FROM cases WHERE grid_id = $g AND kind = 'demand' AND location_flag IS NULL", {"g": hall}
    ).fetchone()[0]
    assert table.loc[hall, "cases"] == located_there
    # had the placeholders been counted, that one precinct alone would hold more than 17,070 cases
    assert table["cases"].max() < placeholders / 4


def test_the_app_shows_boston_in_english_with_the_report_numbers(boston_db, monkeypatch):  # noqa: F811
    monkeypatch.setenv("GRIDSCOPE_DB", str(boston_db))
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception and not at.error
    f = at.session_state["filters"]
    assert (f.start, f.end) == (dt.date(2015, 12, 1), dt.date(2016, 1, 1))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "analytics",
            "report",
            "--db",
            str(boston_db),
            "--start",
            "2015-12-01",
            "--end",
            "2016-01-01",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(out.stdout)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Reported"] == f"{report['reported']:,}"
    assert tiles["Closure rate"] == f"{report['closure_rate'] * 100:.1f}%"
    assert tiles["Open overdue"] == f"{report['open_overdue']:,}"
    for page in (
        "pages/grid_map.py",
        "pages/trends.py",
        "pages/hotspots.py",
        "pages/closed_loop.py",
        "pages/assessment.py",
        "pages/profile.py",
        "pages/data.py",
    ):
        at.switch_page(page)
        at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])

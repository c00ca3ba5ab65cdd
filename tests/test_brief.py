"""``python -m analytics brief``: one briefing per area, the numbers of ``report``, periods, PDF."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analytics.briefing.content import points_lost, worst_grids
from analytics.briefing.write import CHROMIUM, resolve_period, safe_stem


def _run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analytics", *args], capture_output=True, text=True)


def _embedded_report(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="gs-report">(.*?)</script>', html, re.S)
    return json.loads(block.group(1))


def test_periods_by_hand():
    # 2026-01-01 is a Thursday: the last whole week is Mon 22 – Sun 28 December
    assert resolve_period("last-week", dt.date(2026, 1, 1)) == (dt.date(2025, 12, 22), dt.date(2025, 12, 29))
    # a Monday as the data's end: the week just before it
    assert resolve_period("last-week", dt.date(2025, 12, 29)) == (dt.date(2025, 12, 22), dt.date(2025, 12, 29))
    assert resolve_period("last-month", dt.date(2026, 1, 15)) == (dt.date(2025, 12, 1), dt.date(2026, 1, 1))
    assert resolve_period("last-month", dt.date(2025, 3, 1)) == (dt.date(2025, 2, 1), dt.date(2025, 3, 1))
    assert resolve_period("2025-06-01:2025-07-01", dt.date(2026, 1, 1)) == (dt.date(2025, 6, 1), dt.date(2025, 7, 1))
    for bad in ("yesterday", "2025-06-01", "2025-07-01:2025-06-01", "2025-06-01:2025-06-01", "x:y"):
        with pytest.raises(ValueError):
            resolve_period(bad, dt.date(2026, 1, 1))


def test_safe_stem_keeps_files_in_the_folder():
    assert safe_stem("../../etc/passwd") == "______etc_passwd"
    assert safe_stem("330106001") == "330106001"


def test_points_lost_by_hand():
    # weights 40/30/20/10; satisfaction has no data -> the other 80 weight points scale to 100:
    # on-time 40 -> 50 points, at 60 % it loses 20; closure 30 -> 37.5, at 80 % loses 7.5; rework 10 % -> 12.5 * 0.1
    grids = pd.DataFrame(
        {"on_time_closure_rate": [0.6], "closure_rate": [0.8], "satisfaction_rate": [None], "rework_rate": [0.1]}
    )
    weights = {"on_time_closure_rate": 40, "closure_rate": 30, "satisfaction_rate": 20, "non_rework_rate": 10}
    lost = points_lost(grids, weights).iloc[0]
    assert lost["on_time_closure_rate"] == pytest.approx(20.0)
    assert lost["closure_rate"] == pytest.approx(7.5)
    assert lost["non_rework_rate"] == pytest.approx(1.25)
    assert pd.isna(lost["satisfaction_rate"])
    scored = grids.assign(area_name=["G"], score=[100 - 20 - 7.5 - 1.25], grade=["C"])
    worst = worst_grids(scored, weights)
    assert worst.iloc[0]["reason"] == "on_time_closure_rate" and worst.iloc[0]["lost"] == pytest.approx(20.0)


def test_brief_writes_one_file_per_street_with_report_numbers(demo_db, tmp_path):
    done = _run(
        "brief", "--db", str(demo_db), "--area", "all-streets", "--period", "2025-11-01:2025-12-01",
        "--out", str(tmp_path), "--lang", "en",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = json.loads(done.stdout)
    con = duckdb.connect(str(demo_db), read_only=True)
    streets = sorted(r[0] for r in con.execute("SELECT DISTINCT street_id FROM grids").fetchall())
    con.close()
    assert sorted(w["area_id"] for w in written) == streets
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"briefing_{s}_2025-11-01_2025-12-01.html" for s in streets
    )
    for record in written[:3]:
        html = Path(record["file"]).read_text(encoding="utf-8")
        report = json.loads(
            _run(
                "report", "--db", str(demo_db), "--start", "2025-11-01", "--end", "2025-12-01",
                "--level", "street", "--area", record["area_id"],
            ).stdout
        )  # fmt: skip
        assert _embedded_report(html) == report
        assert f">{report['closure_rate'] * 100:.1f}%<" in html
        assert f">{report['on_time_closure_rate'] * 100:.1f}%<" in html
        assert f">{report['reported']:,}<" in html
        assert "Lowest-scoring grids and why" in html and "points lost" in html
        assert re.findall(r"(?:src|href)=|https?://(?!www\.w3\.org/2000/svg)", html) == []


def test_brief_rejects_bad_input_with_a_message(demo_db, tmp_path):
    done = _run("brief", "--db", str(demo_db), "--area", "x'; DROP TABLE cases;--", "--period", "last-week",
                "--out", str(tmp_path))  # fmt: skip
    assert done.returncode == 2 and "no area with id" in done.stderr and "Traceback" not in done.stderr
    done = _run("brief", "--db", str(demo_db), "--area", "city", "--period", "soon", "--out", str(tmp_path))
    assert done.returncode == 2 and "period must be" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_brief_prints_pdf_with_chromium(demo_db, tmp_path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have Chromium at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    con = duckdb.connect(str(demo_db), read_only=True)
    street = con.execute("SELECT min(street_id) FROM grids").fetchone()[0]
    con.close()
    done = _run("brief", "--db", str(demo_db), "--area", street, "--period", "last-month", "--format", "pdf",
                "--out", str(tmp_path))  # fmt: skip
    assert done.returncode == 0, done.stderr
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".pdf"
    data = files[0].read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 10_000

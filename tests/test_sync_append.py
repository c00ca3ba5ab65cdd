"""``import --append``: a daily export upserted into an existing database, no rebuild."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from analytics.sync import generations
from analytics.sync.live import open_live
from tests.helpers import first_dispatched_case

ROOT = Path(__file__).resolve().parents[1]


def test_append_upserts_by_case_id_and_keeps_rejects(demo_db, tmp_path):
    db = tmp_path / "city.duckdb"
    shutil.copy(demo_db, db)
    con = open_live(db)
    total = con.execute("SELECT count(*) FROM cases").fetchone()[0]
    con.close()
    case_id, grid = first_dispatched_case(db)
    export = tmp_path / "daily.csv"
    export.write_text(
        "case_id,kind,grid_id,reported_at,closed_at,status\n"
        f"{case_id},demand,{grid},2025-12-30 09:00:00,2025-12-31 10:00:00,closed\n"
        f"NEW-1,demand,{grid},2025-12-31 11:00:00,,filed\n"
        "NEW-2,nonsense,,2025-12-31 11:00:00,,filed\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "analytics", "import", "--append", "--preset", "canonical"]
    done = subprocess.run([*command, "--db", str(db), "--cases", str(export)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["rows_read"], summary["rows_changed"], summary["rows_rejected"]) == (3, 2, 1)
    con = open_live(db)
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == total + 1  # one new, one replaced
    assert con.execute("SELECT status FROM cases WHERE case_id = $id", {"id": case_id}).fetchone()[0] == "closed"
    reason = con.execute("SELECT reason FROM rejects WHERE source = 'daily.csv'").fetchall()
    assert reason == [("invalid_kind",)]
    con.close()
    assert generations.current(db) is not None
    # the same file again changes nothing
    again = subprocess.run(
        [*command, "--db", str(db), "--cases", str(export)], cwd=ROOT, capture_output=True, text=True
    )
    assert json.loads(again.stdout)["rows_changed"] == 0

"""Layered deltas: each run adds a small layer, the newest version of a case wins, compaction merges them.

Driven through ``import --append`` (the same generation writer as ``sync``, no PostgreSQL needed); the
deletions of a later layer are in ``tests/test_sync.py`` (they come from the upstream id check).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from analytics.ingest.mapping import load_mapping
from analytics.sync import generations
from analytics.sync.append import append_files
from analytics.sync.compact import compact
from analytics.sync.layers import layer_files
from analytics.sync.live import open_live
from analytics.sync.run import SyncOptions
from tests.helpers import first_dispatched_case

ROOT = Path(__file__).resolve().parents[1]
HEADER = "case_id,kind,grid_id,reported_at,handled_at,closed_at,status,description\n"
LAMP = "幸福路路灯不亮，夜间出行不便"
RUBBISH = "小区门口垃圾堆积，气味难闻"
NO_AUTO = SyncOptions(max_layers=100)


def layers_of(db: Path) -> list[str]:
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{generations.current(db)}' AS g (READ_ONLY)")
        return layer_files(dict(con.execute("SELECT key, value FROM g.sync_state").fetchall()))
    finally:
        con.close()


def snapshot(db: Path) -> tuple[list, list, str]:
    """Every case row, every search term and the as-of day the app would read, in a stable order."""
    con = open_live(db)
    try:
        cases = con.execute("SELECT * FROM cases ORDER BY case_id").fetchall()
        terms = con.execute("SELECT case_id, reported_at, term FROM case_terms ORDER BY ALL").fetchall()
        end = con.execute("SELECT value FROM meta WHERE key = 'data_end'").fetchone()[0]
        return cases, terms, end
    finally:
        con.close()


def write(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def daily_files(tmp_path: Path, case_id: str, grid: str) -> tuple[list[Path], Path]:
    """Three days of changes, and one file with what they amount to (worked out by hand)."""
    day1 = write(
        tmp_path / "day1.csv",
        [
            f"{case_id},demand,{grid},2025-12-01 09:00:00,2025-12-02 10:00:00,,handled,",
            f"NEW-1,demand,{grid},2025-12-30 08:00:00,,,filed,{LAMP}",
            f"NEW-2,demand,{grid},2025-12-30 09:00:00,,,filed,{LAMP}",
        ],
    )
    day2 = write(
        tmp_path / "day2.csv",
        [
            f"{case_id},demand,{grid},2025-12-01 09:00:00,2025-12-02 10:00:00,2025-12-03 11:00:00,closed,",
            f"NEW-1,demand,{grid},2025-12-30 08:00:00,2025-12-31 08:00:00,,handled,{LAMP}",
        ],
    )
    day3 = write(
        tmp_path / "day3.csv",
        [
            f"NEW-2,demand,{grid},2025-12-30 09:00:00,,,dispatched,{RUBBISH}",
            f"NEW-3,demand,{grid},2026-01-02 07:00:00,,,filed,",
        ],
    )
    net = write(
        tmp_path / "net.csv",
        [
            f"{case_id},demand,{grid},2025-12-01 09:00:00,2025-12-02 10:00:00,2025-12-03 11:00:00,closed,",
            f"NEW-1,demand,{grid},2025-12-30 08:00:00,2025-12-31 08:00:00,,handled,{LAMP}",
            f"NEW-2,demand,{grid},2025-12-30 09:00:00,,,dispatched,{RUBBISH}",
            f"NEW-3,demand,{grid},2026-01-02 07:00:00,,,filed,",
        ],
    )
    return [day1, day2, day3], net


def copy_of(demo_db: Path, folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(demo_db, folder / "city.duckdb")
    return folder / "city.duckdb"


def test_several_layers_then_compaction_equal_one_run(demo_db, tmp_path):
    mapping = load_mapping("canonical")
    case_id, grid = first_dispatched_case(demo_db)
    days, net = daily_files(tmp_path, case_id, grid)
    layered, single, auto = (copy_of(demo_db, tmp_path / n) for n in ("layered", "single", "auto"))
    total = len(snapshot(single)[0])
    for day in days:
        append_files(layered, [day], mapping, NO_AUTO)
        append_files(auto, [day], mapping, SyncOptions(max_layers=2))
    append_files(single, [net], mapping, NO_AUTO)
    assert len(layers_of(layered)) == 3 and len(layers_of(single)) == 1
    assert len(layers_of(auto)) == 1  # the third run passed max_layers = 2 and merged them

    cases, terms, end = snapshot(layered)
    assert len(cases) == total + 3  # NEW-1, NEW-2, NEW-3; the existing case replaced, not doubled
    con = open_live(layered)
    try:
        by_id = dict(
            con.execute(
                "SELECT case_id, status FROM cases WHERE case_id LIKE 'NEW-%' OR case_id = $c", {"c": case_id}
            ).fetchall()
        )
        new2_terms = {r[0] for r in con.execute("SELECT term FROM case_terms WHERE case_id = 'NEW-2'").fetchall()}
        new1_terms = {r[0] for r in con.execute("SELECT term FROM case_terms WHERE case_id = 'NEW-1'").fetchall()}
    finally:
        con.close()
    assert by_id == {case_id: "closed", "NEW-1": "handled", "NEW-2": "dispatched", "NEW-3": "filed"}  # newest wins
    assert {"夜间", "出行"} <= new1_terms  # cut by layer 1, kept by reference when layer 2 changed only the status
    assert "垃圾" in new2_terms and "夜间" not in new2_terms  # layer 3's new text replaced layer 1's terms
    assert end == "2026-01-03"  # the day after NEW-3, the latest report

    assert snapshot(layered) == snapshot(single) == snapshot(auto)
    assert compact(layered, NO_AUTO) == 3
    assert len(layers_of(layered)) == 1
    assert snapshot(layered) == snapshot(single)
    assert compact(layered, NO_AUTO) == 0  # one layer: nothing to merge


def restated(db: Path, path: Path, status: str) -> Path:
    """Every live case of ``db`` as a canonical CSV with ``status`` (a large layer for the compaction)."""
    con = open_live(db)
    try:
        con.execute(
            f"COPY (SELECT case_id, kind, grid_id, reported_at, handled_at, closed_at, '{status}' AS status, "
            f"description FROM cases) TO '{path}' (HEADER, DELIMITER ',')"
        )
    finally:
        con.close()
    return path


def test_kill_9_during_compaction_keeps_the_previous_data_serving(demo_db, tmp_path):
    mapping = load_mapping("canonical")
    db = copy_of(demo_db, tmp_path / "city")
    for status in ("handled", "closed", "dispatched"):
        append_files(db, [restated(db, tmp_path / f"{status}.csv", status)], mapping, NO_AUTO)
    before, current = snapshot(db), generations.current(db)
    assert len(layers_of(db)) == 3
    script = "import sys; from analytics.sync.compact import compact; from analytics.sync.run import SyncOptions; "
    script += "compact(sys.argv[1], SyncOptions())"
    process = subprocess.Popen([sys.executable, "-c", script, str(db)], cwd=ROOT, stderr=subprocess.PIPE)
    folder = generations.live_dir(db)
    deadline = time.monotonic() + 120
    while not any(generations.TEMP_MARK in p.name for p in folder.iterdir()):
        assert process.poll() is None and time.monotonic() < deadline, "the compaction ended before it was killed"
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    assert generations.current(db) == current
    assert snapshot(db) == before  # the three layers still serve
    assert compact(db, NO_AUTO) == 3  # the next compaction succeeds and removes the killed one's files
    assert snapshot(db) == before
    assert not any(generations.TEMP_MARK in p.name for p in folder.iterdir())

"""The living demo: a city that ends on its as-of day, deterministic for a seed and that day."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb

from analytics.demo import build_demo

ROOT = Path(__file__).resolve().parents[1]


def span_and_digest(path: Path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        first, last, digest = con.execute(
            "SELECT min(reported_at)::DATE, max(reported_at)::DATE, "
            "md5(string_agg(case_id || status || coalesce(closed_at::TEXT, ''), ',' ORDER BY case_id)) FROM cases"
        ).fetchone()
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    finally:
        con.close()
    return first, last, digest, meta


def test_as_of_ends_the_city_that_day_and_is_deterministic(tmp_path):
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    build_demo(a, cases=3000, seed=5, as_of="2026-03-10")
    build_demo(b, cases=3000, seed=5, as_of=dt.date(2026, 3, 10))
    first, last, digest, meta = span_and_digest(a)
    assert last == dt.date(2026, 3, 10)  # the as-of day is the last day with reports
    assert first >= dt.date(2024, 3, 11)  # two years: [2024-03-11, 2026-03-11)
    assert (meta["data_start"], meta["data_end"]) == ("2024-03-11", "2026-03-11")
    assert span_and_digest(b)[2] == digest


def test_cli_demo_defaults_to_yesterday(tmp_path):
    path = tmp_path / "cli.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "analytics", "demo", "--db", str(path), "--cases", "2000", "--grids", "60"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    meta = span_and_digest(path)[3]
    assert meta["data_end"] == dt.date.today().isoformat()  # the day after yesterday, exclusive

"""The command line: report object keys, formats, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys

from analytics.cli import main

REPORT_KEYS = {
    "reported",
    "filed",
    "closed",
    "closed_on_time",
    "open_overdue",
    "due_to_close",
    "closure_rate",
    "on_time_closure_rate",
    "rework_rate",
    "median_handling_hours",
    "satisfaction_rate",
    "response_rate",
    "solve_rate",
    "dispute_resolution_rate",
    "local_resolution_rate",
    "self_handled_rate",
}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analytics", *args], capture_output=True, text=True)


def test_report_json_has_every_metric(demo_db):
    out = cli("report", "--db", str(demo_db), "--start", "2025-10-01", "--end", "2026-01-01")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert REPORT_KEYS <= set(report)
    for key in ("closure_rate", "on_time_closure_rate", "satisfaction_rate"):
        assert 0 <= report[key] <= 1
    assert report["due_to_close"] == report["closed"] + report["open_overdue"]


def test_report_area_kind_and_formats(demo_db, demo_con):
    district = demo_con.execute("SELECT min(district_id) FROM grids").fetchone()[0]
    out = cli(
        "report",
        "--db",
        str(demo_db),
        "--start",
        "2025-12-01",
        "--end",
        "2026-01-01",
        "--level",
        "district",
        "--area",
        district,
        "--kind",
        "demand",
        "--format",
        "csv",
    )
    assert out.returncode == 0, out.stderr
    header, row = out.stdout.strip().splitlines()
    values = dict(zip(header.split(","), row.split(",")))
    expected = demo_con.execute(
        "SELECT count(*) FROM cases c JOIN grids g USING (grid_id) WHERE g.district_id = $d AND c.kind = 'demand' "
        "AND c.reported_at >= '2025-12-01' AND c.reported_at < '2026-01-01'",
        {"d": district},
    ).fetchone()[0]
    assert int(values["reported"]) == expected > 0


def test_clear_errors_without_traceback(tmp_path):
    out = cli("report", "--db", str(tmp_path / "missing.duckdb"), "--start", "2025-01-01", "--end", "2025-02-01")
    assert out.returncode == 2 and "database not found" in out.stderr and "Traceback" not in out.stderr
    out = cli("report", "--start", "2025-13-01", "--end", "2025-02-01")
    assert out.returncode == 2 and "not a date" in out.stderr


def test_table_format_prints_metric_names(demo_db, capsys):
    assert (
        main(["report", "--db", str(demo_db), "--start", "2025-12-01", "--end", "2026-01-01", "--format", "table"]) == 0
    )
    printed = capsys.readouterr().out
    assert "on_time_closure_rate" in printed and "open_overdue" in printed

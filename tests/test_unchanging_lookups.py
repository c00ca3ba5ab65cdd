"""Look-ups asked once per live connection (its data never changes while it is open), every time elsewhere."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from analytics.bench.tracing import Ledger, TracedConnection
from analytics.casedays import read as casedays
from analytics.coverage import Coverage, data_coverage
from analytics.cube.read import remembered
from analytics.filters import Filters
from analytics.schema import create_schema
from analytics.sync.live import open_live


def city(path: Path, cases: int = 3000) -> Path:
    """``cases`` cases reported a minute apart from 2025-01-01 00:00, no coverage in ``meta``."""
    con = duckdb.connect(str(path))
    create_schema(con)
    con.execute(
        "INSERT INTO cases (case_id, kind, reported_at) "
        "SELECT 'C' || i, 'demand', TIMESTAMP '2025-01-01' + i * INTERVAL 1 MINUTE FROM range($n) t(i)",
        {"n": cases},
    )
    con.close()
    return path


# 3,000 minutes from 2025-01-01 00:00: the last case (minute 2,999 = 49 h 59 min) is reported on 2025-01-03 at
# 01:59, so the coverage ends the day after, 2025-01-04.
COVERAGE = Coverage(dt.date(2025, 1, 1), dt.date(2025, 1, 4))


def test_a_live_connection_reads_its_coverage_once(tmp_path):
    ledger = Ledger()
    con = TracedConnection(open_live(city(tmp_path / "c.duckdb")), ledger)
    try:
        assert data_coverage(con) == COVERAGE
        assert ledger.queries > 0
        ledger.reset()
        assert data_coverage(con) == COVERAGE
        assert ledger.queries == 0  # remembered: nothing asked of the database the second time
    finally:
        con.close()


def test_a_connection_that_writes_reads_its_coverage_every_time(tmp_path):
    con = duckdb.connect(str(city(tmp_path / "c.duckdb")))
    try:
        assert data_coverage(con) == COVERAGE
        con.execute("INSERT INTO cases (case_id, kind, reported_at) VALUES ('late', 'demand', '2025-02-10 08:00')")
        assert data_coverage(con) == Coverage(dt.date(2025, 1, 1), dt.date(2025, 2, 11))
    finally:
        con.close()


def test_facts_asked_while_the_live_connection_opened_end_unchanging(tmp_path):
    con = open_live(city(tmp_path / "c.duckdb"))  # open_live asks is_cube before its views are complete
    plain = duckdb.connect()
    calls = []
    try:
        for _ in range(3):
            assert remembered(con, "k", lambda: calls.append("live") or 7) == 7
            assert remembered(plain, "k", lambda: calls.append("plain") or 8) == 8
        assert calls.count("live") == 1 and calls.count("plain") == 3
    finally:
        con.close()
        plain.close()


def test_case_days_catalog_asked_once_on_a_live_connection(demo_db):
    ledger = Ledger()
    con = TracedConnection(open_live(demo_db), ledger)
    f = Filters(start=dt.date(2025, 10, 1), end=dt.date(2025, 11, 1))
    try:
        assert casedays.usable(con, f)
        ledger.reset()
        assert casedays.usable(con, f) and casedays.usable(con, f, {"metrics": {"dispute_window_days": 999}}) is False
        assert ledger.queries == 0
    finally:
        con.close()

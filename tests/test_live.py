"""Reading a database while it is replaced or synced: plain DuckDB facts, and how the app copes."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from pathlib import Path

import duckdb

from analytics.schema import create_schema
from analytics.sync.delta import EMPTY_SYNC_LOG_SQL
from analytics.sync.freshness import freshness, sync_status
from analytics.sync.live import LiveConnections, open_live, open_status, status_token, token

GRACE = 4.0


def build(path: Path, cases: int) -> None:
    """A minimal GridScope database with ``cases`` cases, written beside ``path`` and renamed over it."""
    temporary = path.with_name(path.name + ".new")
    con = duckdb.connect(str(temporary))
    create_schema(con)
    con.execute(
        "INSERT INTO cases (case_id, kind, reported_at) "
        "SELECT 'C' || i, 'demand', TIMESTAMP '2025-01-01' + i * INTERVAL 1 MINUTE FROM range($n) t(i)",
        {"n": cases},
    )
    con.execute("INSERT INTO meta VALUES ('loaded_at', $t)", {"t": f"2025-01-0{cases % 9 + 1}T00:00:00"})
    con.close()
    os.replace(temporary, path)


def open_deleted(path: Path) -> list[str]:
    """Files of this process that are the (now deleted) old ``path``."""
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target == f"{path} (deleted)":
            out.append(target)
    return out


def test_plain_duckdb_reuses_an_open_instance_for_a_replaced_file(tmp_path):
    """The bug the live reader avoids: a second connect() to a replaced path returns the old rows."""
    path = tmp_path / "plain.duckdb"
    build(path, 3)
    c1 = duckdb.connect(str(path), read_only=True)
    build(path, 5)
    c2 = duckdb.connect(str(path), read_only=True)
    assert c2.execute("SELECT count(*) FROM cases").fetchone()[0] == 3  # the cached instance
    c1.close()
    c2.close()
    c3 = duckdb.connect(str(path), read_only=True)
    assert c3.execute("SELECT count(*) FROM cases").fetchone()[0] == 5
    c3.close()


def test_live_connections_switch_without_breaking_a_running_query(tmp_path):
    path = tmp_path / "live.duckdb"
    build(path, 3)
    live = LiveConnections()
    key1, con1 = live.get(path, grace=GRACE)
    assert con1.cursor().execute("SELECT count(*) FROM cases").fetchone()[0] == 3
    outcome: dict = {}

    def long_query():
        try:
            cur = con1.cursor()
            outcome["rows"] = cur.execute(
                "SELECT count(*) FROM cases, range(40000000) r WHERE r.range % 7 = 0"
            ).fetchone()[0]
        except duckdb.Error as exc:  # pragma: no cover - the failure this test guards against
            outcome["error"] = exc

    worker = threading.Thread(target=long_query)
    worker.start()
    time.sleep(0.1)
    build(path, 5)  # an import finishes while the query runs
    key2, con2 = live.get(path, grace=GRACE)
    assert open_deleted(path)  # the replaced file is still held during the grace period
    assert key2 != key1 and key2 == token(path)
    assert con2.cursor().execute("SELECT count(*) FROM cases").fetchone()[0] == 5
    worker.join()
    assert "error" not in outcome and outcome["rows"] == 3 * len(range(0, 40000000, 7))
    deadline = time.monotonic() + GRACE + 10
    while open_deleted(path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert open_deleted(path) == []  # the replaced file is released
    assert live.get(path, grace=GRACE)[1] is con2  # unchanged data: the same connection
    live.close()


def test_freshness_levels():
    con = duckdb.connect()
    con.execute(f"CREATE TABLE sync_log AS {EMPTY_SYNC_LOG_SQL}")
    con.execute("CREATE TABLE meta AS SELECT 'loaded_at' AS key, '2026-01-01T10:00:00' AS value")
    now = dt.datetime(2026, 1, 1, 10, 5)
    assert freshness(con, 30, now).level == "static"
    assert freshness(con, 30, now).minutes == 5
    con.execute("INSERT INTO sync_log (run_id, finished_at, error) VALUES (1, TIMESTAMP '2026-01-01 10:02:00', NULL)")
    state = freshness(con, 30, now)
    assert (state.level, state.as_of, state.minutes) == ("green", dt.datetime(2026, 1, 1, 10, 2), 3)
    assert freshness(con, 2, now).level == "amber"  # 3 minutes old, 2 allowed
    con.execute("INSERT INTO sync_log (run_id, finished_at, error) VALUES (2, TIMESTAMP '2026-01-01 10:04:00', 'x')")
    state = freshness(con, 30, now)
    assert (state.level, state.as_of, state.error) == ("red", dt.datetime(2026, 1, 1, 10, 2), "x")


def test_open_live_without_a_delta_reads_the_file(tmp_path):
    path = tmp_path / "plain.duckdb"
    build(path, 4)
    con = open_live(path)
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 4
    assert con.execute("SELECT count(*) FROM sync_log").fetchone()[0] == 0
    con.close()


def test_without_a_generation_the_data_connection_reads_the_status_connections_status(tmp_path):
    """The freshness badge reads the sync status through the app's data connection when no sync generation
    exists (ui.freshness.sync_status_of): both connections then give the base file's ``loaded_at`` and an empty
    sync log."""
    path = tmp_path / "static.duckdb"
    build(path, 4)
    assert status_token(path)[2] == str(None)
    status, live = open_status(path), open_live(path)
    try:
        expected = (None, None, 0, dt.datetime(2025, 1, 5))  # build(): loaded_at 2025-01-0{4 % 9 + 1}, no runs
        assert sync_status(status) == expected
        assert sync_status(live) == expected
    finally:
        status.close()
        live.close()

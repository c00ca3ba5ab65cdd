"""Incremental sync against a real PostgreSQL (a private cluster per session), no mocks.

Upstream is seeded with every case of a small demo city (as a real case system holds them all);
each test works on its own copy of the database and its own upstream table.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from analytics.config import load_config
from analytics.filters import Filters
from analytics.ingest.mapping import load_mapping
from analytics.metrics import summary
from analytics.sync import generations
from analytics.sync.errors import SyncError
from analytics.sync.feed import Feed, seed_from_db
from analytics.sync.freshness import freshness
from analytics.sync.live import open_live
from analytics.sync.run import SyncOptions, sync_once
from analytics.sync.source import Source
from tests.pgserver import free_port, postgres_fixture

pg_server = postgres_fixture()
ROOT = Path(__file__).resolve().parents[1]
EXACT = SyncOptions(overlap_seconds=0, reconcile_seconds=0)  # no re-read window; look for deletes every run


@pytest.fixture()
def upstream(pg_server, demo_db, tmp_path, request):
    """(database copy, Source, psycopg connection) with upstream = every case of the demo city."""
    db = tmp_path / "city.duckdb"
    shutil.copy(demo_db, db)
    table = "cases_" + request.node.name.lower().replace("[", "_").replace("]", "")[:40]
    conn = psycopg.connect(pg_server.url, autocommit=False)
    conn.execute(f'DROP TABLE IF EXISTS "{table}"')
    conn.commit()
    seed_from_db(conn, db, table)
    yield db, Source(pg_server.url, table), conn
    conn.close()


def checksum_upstream(conn, table: str) -> tuple[int, str]:
    return conn.execute(
        f"""SELECT count(*), md5(string_agg(case_id || '|' || coalesce(status, '') || '|' ||
                coalesce((extract(epoch FROM closed_at) * 1000000)::bigint::text, ''), ',' ORDER BY case_id COLLATE "C"))
            FROM "{table}" """
    ).fetchone()


def checksum_app(db: Path) -> tuple[int, str]:
    con = open_live(db)
    try:
        return con.execute(
            """SELECT count(*), md5(string_agg(case_id || '|' || coalesce(status, '') || '|' ||
                    coalesce(epoch_us(closed_at)::text, ''), ',' ORDER BY case_id)) FROM cases"""
        ).fetchone()
    finally:
        con.close()


def live_count(db: Path, where: str = "true") -> int:
    con = open_live(db)
    try:
        return con.execute(f"SELECT count(*) FROM cases WHERE {where}").fetchone()[0]
    finally:
        con.close()


def test_first_sync_then_changes_match_upstream(upstream):
    db, source, conn = upstream
    mapping = load_mapping("canonical")
    first = sync_once(db, source, mapping, EXACT)
    assert first.rows_read == checksum_upstream(conn, source.table)[0]
    assert checksum_app(db) == checksum_upstream(conn, source.table)
    # a new report, a closure, a cancellation and a hard delete upstream
    feed = Feed(conn, source.table, db, seed=3)
    (new_id,) = feed.report(1)
    open_id, other_id, gone_id = [
        r[0]
        for r in conn.execute(
            f"""SELECT case_id FROM "{source.table}" WHERE status = 'dispatched' ORDER BY case_id LIMIT 3"""
        ).fetchall()
    ]
    feed.set_status(open_id, "closed", dt.datetime(2025, 12, 31, 12, 0))
    feed.set_status(other_id, "cancelled", dt.datetime(2025, 12, 31, 12, 0))
    conn.execute(f'DELETE FROM "{source.table}" WHERE case_id = %s', (gone_id,))
    conn.commit()
    second = sync_once(db, source, mapping, EXACT)
    assert (second.rows_read, second.rows_changed, second.rows_deleted) == (3, 3, 1)
    assert checksum_app(db) == checksum_upstream(conn, source.table)
    assert live_count(db, f"case_id = '{new_id}'") == 1
    assert live_count(db, f"case_id = '{gone_id}'") == 0
    assert live_count(db, f"case_id = '{open_id}' AND status = 'closed'") == 1
    # nothing new: nothing read, same data, no new data file (only the run's status file)
    version = generations.data_version(db)
    third = sync_once(db, source, mapping, EXACT)
    assert (third.rows_read, third.rows_changed, third.rows_deleted) == (0, 0, 0)
    assert generations.data_version(db) == version
    assert len(list(generations.live_dir(db).glob("data-*.duckdb"))) <= EXACT.keep_generations
    assert checksum_app(db) == checksum_upstream(conn, source.table)


def test_status_change_moves_closure_rate(upstream):
    """Closing one more case of a day raises that day's closed count by exactly one."""
    db, source, conn = upstream
    mapping = load_mapping("canonical")
    sync_once(db, source, mapping, EXACT)
    day = dt.date(2025, 12, 31)
    f = Filters(day, day + dt.timedelta(days=1))
    con = open_live(db)
    before = summary(con, f, load_config())
    con.close()
    open_id = conn.execute(
        f"""SELECT case_id FROM "{source.table}" WHERE status = 'dispatched' ORDER BY case_id LIMIT 1"""
    ).fetchone()[0]
    Feed(conn, source.table, db, seed=1).set_status(open_id, "closed", dt.datetime(2025, 12, 31, 15, 0))
    sync_once(db, source, mapping, EXACT)
    con = open_live(db)
    after = summary(con, f, load_config())
    con.close()
    assert after["closed"] == before["closed"] + 1


def test_rejects_kept_once(upstream):
    db, source, conn = upstream
    mapping = load_mapping("canonical")
    sync_once(db, source, mapping, EXACT)
    conn.execute(
        f"""INSERT INTO "{source.table}" (case_id, kind, reported_at, status) VALUES ('BAD-1', 'bogus', now(), 'filed')"""
    )
    conn.commit()
    run = sync_once(db, source, mapping, SyncOptions(overlap_seconds=3600, reconcile_seconds=0))
    assert run.rows_rejected == 1
    sync_once(db, source, mapping, SyncOptions(overlap_seconds=3600, reconcile_seconds=0))  # reads it again
    con = open_live(db)
    rows = con.execute("SELECT reason, raw FROM rejects WHERE source LIKE 'sync:%'").fetchall()
    con.close()
    assert len(rows) == 1 and rows[0][0] == "invalid_kind" and "BAD-1" in rows[0][1]


@pytest.mark.parametrize(
    "change, column",
    [("DROP COLUMN satisfaction", "satisfaction"), ("ALTER COLUMN rework_count TYPE text", "rework_count")],
)
def test_schema_drift_stops_with_the_column_named(upstream, change, column):
    db, source, conn = upstream
    mapping = load_mapping("canonical")
    sync_once(db, source, mapping, EXACT)
    before = checksum_app(db)
    conn.execute(f'ALTER TABLE "{source.table}" {change}')
    conn.execute(f"""UPDATE "{source.table}" SET status = 'closed', updated_at = now() WHERE status = 'filed'""")
    conn.commit()
    with pytest.raises(SyncError, match=f"schema drift.*'{column}'"):
        sync_once(db, source, mapping, EXACT)
    assert checksum_app(db) == before  # the previous data keeps serving
    con = open_live(db)
    state = freshness(con, 30)
    error = con.execute("SELECT error FROM sync_log ORDER BY run_id DESC LIMIT 1").fetchone()[0]
    con.close()
    assert state.level == "red" and column in error


def test_the_data_page_says_in_chinese_why_the_last_sync_failed(upstream, monkeypatch):
    from streamlit.testing.v1 import AppTest

    db, source, conn = upstream
    mapping = load_mapping("canonical")
    sync_once(db, source, mapping, EXACT)
    conn.execute(f'ALTER TABLE "{source.table}" DROP COLUMN satisfaction')
    conn.commit()
    with pytest.raises(SyncError):
        sync_once(db, source, mapping, EXACT)
    monkeypatch.setenv("GRIDSCOPE_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = "zh"
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    box = [e.value for e in at.error]
    assert len(box) == 1, box
    assert box[0].startswith("最近一次同步失败：源表字段“satisfaction”"), box[0]
    assert "已不存在，同步已停止" in box[0] and "原始信息：schema drift" in box[0]  # the original kept below
    table = next(frame.value for frame in at.dataframe if "原因" in frame.value.columns)
    assert table["原因"].iloc[0].startswith("源表字段“satisfaction”") and table["原因"].iloc[1] == ""


def test_connection_refused_is_a_clear_error(upstream):
    db, source, conn = upstream
    mapping = load_mapping("canonical")
    sync_once(db, source, mapping, EXACT)
    before = checksum_app(db)
    closed = Source(f"postgresql://postgres:secret@127.0.0.1:{free_port()}/postgres", source.table)
    with pytest.raises(SyncError, match="cannot connect to the source"):
        sync_once(db, closed, mapping, EXACT)
    assert checksum_app(db) == before
    con = open_live(db)
    state = freshness(con, 30)
    error = con.execute("SELECT error FROM sync_log ORDER BY run_id DESC LIMIT 1").fetchone()[0]
    con.close()
    assert state.level == "red" and "secret" not in error and "***" in error


def test_kill_9_during_a_sync_keeps_serving_and_resumes(upstream):
    db, source, conn = upstream
    mapping = load_mapping("canonical")
    sync_once(db, source, mapping, EXACT)
    before, first_gen = checksum_app(db), generations.current(db)
    conn.execute(
        f"""UPDATE "{source.table}" SET status = 'closed', closed_at = reported_at + interval '1 day',
            updated_at = now() WHERE status IN ('filed', 'dispatched', 'handled')"""
    )
    conn.commit()
    command = [sys.executable, "-m", "analytics", "sync", "--db", str(db), "--source", source.url]
    command += ["--table", source.table, "--batch-rows", "100"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    folder = generations.live_dir(db)
    deadline = time.monotonic() + 60
    while not any(generations.TEMP_MARK in p.name for p in folder.iterdir()):
        assert process.poll() is None and time.monotonic() < deadline, "the sync ended before it could be killed"
        time.sleep(0.002)
    # frozen at once (an idle machine writes this small generation in well under the old 0.3 s pause), then killed
    os.kill(process.pid, signal.SIGSTOP)
    assert any(generations.TEMP_MARK in p.name for p in folder.iterdir()), "published before it could be stopped"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert generations.current(db) == first_gen
    assert checksum_app(db) == before  # the previous generation still serves
    resumed = sync_once(db, source, mapping, EXACT)
    assert resumed.rows_changed > 0
    assert checksum_app(db) == checksum_upstream(conn, source.table)
    assert not any(generations.TEMP_MARK in p.name for p in folder.iterdir())  # the killed run's file is gone


def test_cli_sync_reports_a_run(upstream):
    db, source, conn = upstream
    command = [sys.executable, "-m", "analytics", "sync", "--db", str(db), "--source", source.url]
    done = subprocess.run([*command, "--table", source.table], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert '"rows_read": ' + str(checksum_upstream(conn, source.table)[0]) in done.stdout
    refused = subprocess.run(
        [*command[:-2], "--source", f"postgresql://postgres@127.0.0.1:{free_port()}/x", "--table", source.table],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and "cannot connect to the source" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_synced_cases_get_their_terms_and_removed_ones_lose_them(upstream):
    """A case reported upstream is cut into terms by the sync (text analytics see it); a deleted one's go."""
    db, source, conn = upstream
    mapping = load_mapping("canonical")
    sync_once(db, source, mapping, EXACT)
    gone_id = conn.execute(
        f"""SELECT case_id FROM "{source.table}" WHERE description LIKE '%%路%%' ORDER BY case_id LIMIT 1"""
    ).fetchone()[0]
    con = open_live(db)
    try:
        before = con.execute("SELECT count(*) FROM case_terms WHERE case_id = $i", {"i": gone_id}).fetchone()[0]
    finally:
        con.close()
    (new_id,) = Feed(conn, source.table, db, seed=5).report(1)
    conn.execute(
        f"""UPDATE "{source.table}" SET description = '幸福路路灯不亮，夜间出行不便' WHERE case_id = %s""",
        (new_id,),
    )
    conn.execute(f'DELETE FROM "{source.table}" WHERE case_id = %s', (gone_id,))
    conn.commit()
    sync_once(db, source, mapping, EXACT)
    con = open_live(db)
    try:
        terms = {r[0] for r in con.execute("SELECT term FROM case_terms WHERE case_id = $i", {"i": new_id}).fetchall()}
        left = con.execute("SELECT count(*) FROM case_terms WHERE case_id = $i", {"i": gone_id}).fetchone()[0]
    finally:
        con.close()
    assert before > 0
    assert {"夜间", "出行"} <= terms, terms
    assert left == 0


def test_a_deletion_in_a_later_layer_hides_the_earlier_version(upstream):
    """Layer 2 changes a case, layer 3 (the deletion check) removes it: it leaves the counts, and the
    merged delta after a compaction says the same."""
    from analytics.sync.compact import compact
    from tests.test_sync_layers import layers_of

    db, source, conn = upstream
    mapping = load_mapping("canonical")
    sync_once(db, source, mapping, EXACT)
    total = live_count(db)
    gone = conn.execute(f"""SELECT case_id FROM "{source.table}" ORDER BY case_id LIMIT 1""").fetchone()[0]
    conn.execute(
        f"""UPDATE "{source.table}" SET status = 'closed', closed_at = reported_at + interval '2 days',
            updated_at = now() WHERE case_id = %s""",
        (gone,),
    )
    conn.commit()
    sync_once(db, source, mapping, EXACT)
    assert live_count(db, f"case_id = '{gone}' AND status = 'closed'") == 1
    conn.execute(f'DELETE FROM "{source.table}" WHERE case_id = %s', (gone,))
    conn.commit()
    assert sync_once(db, source, mapping, EXACT).rows_deleted == 1
    assert len(layers_of(db)) == 3
    assert live_count(db) == total - 1 and live_count(db, f"case_id = '{gone}'") == 0
    assert checksum_app(db) == checksum_upstream(conn, source.table)
    assert compact(db, EXACT) == 3
    assert live_count(db) == total - 1
    assert checksum_app(db) == checksum_upstream(conn, source.table)


def test_a_source_failing_mid_copy_keeps_the_previous_data(upstream):
    """The changed rows stream through a pipe into DuckDB while PostgreSQL produces them: an error half-way
    (here a division by zero at one row of the query) fails the run clearly; no partial read is used."""
    db, source, conn = upstream
    mapping = load_mapping("canonical")
    sync_once(db, source, mapping, EXACT)
    before = checksum_app(db)
    last = conn.execute(f"""SELECT max(case_id) FROM "{source.table}" """).fetchone()[0]
    conn.execute(f"""UPDATE "{source.table}" SET status = 'closed', updated_at = now()""")
    conn.commit()
    query = f"""SELECT t.*, 1 / (CASE WHEN t.case_id = '{last}' THEN 0 ELSE 1 END) AS boom FROM "{source.table}" t"""
    failing = Source(source.url, query=query)
    with pytest.raises(SyncError, match="division by zero"):
        sync_once(db, failing, mapping, SyncOptions(overlap_seconds=0, reconcile_seconds=10**9))
    assert checksum_app(db) == before
    con = open_live(db)
    try:
        state = freshness(con, 30)
    finally:
        con.close()
    assert state.level == "red" and "division by zero" in state.error

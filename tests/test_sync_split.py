"""A large change copied in parallel parts (analytics/sync/stream.py, ``[sync] copy_streams``): the parts
are disjoint, together every changed row once (a null id included), read from one snapshot, and a sync
in parts leaves the same live database as a sync in one stream. Real PostgreSQL, no mocks."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil

import duckdb
import psycopg
import pytest

from analytics.ingest.mapping import load_mapping
from analytics.sync import source as pg
from analytics.sync.feed import seed_from_db
from analytics.sync.live import open_live
from analytics.sync.run import SyncOptions, sync_once
from analytics.sync.stream import Split, stream_changes
from analytics.sync.streamed import map_stream
from tests.pgserver import postgres_fixture

pg_server = postgres_fixture()
TABLE = "cases_split"
ONE = SyncOptions(overlap_seconds=0, reconcile_seconds=10**9, copy_streams=1)


@pytest.fixture()
def upstream(pg_server, demo_db):
    """The demo city upstream, without the primary key (so a row may lack its id or repeat one), plus
    three awkward rows: no id, an unknown kind, and a second version of an existing case."""
    conn = psycopg.connect(pg_server.url)
    conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    conn.commit()
    seed_from_db(conn, demo_db, TABLE)
    conn.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {TABLE}_pkey")
    conn.execute(f"ALTER TABLE {TABLE} ALTER COLUMN case_id DROP NOT NULL")
    conn.execute(
        f"INSERT INTO {TABLE} (case_id, kind, reported_at, status) VALUES "
        "(NULL, 'demand', '2026-11-01 08:00', 'filed'), ('SPLIT-BAD', 'bogus', '2026-11-01 09:00', 'filed')"
    )
    repeated = conn.execute(
        f"SELECT min(case_id) FROM {TABLE} WHERE status <> 'closed' AND closed_at IS NULL"
    ).fetchone()[0]
    conn.execute(f"CREATE TEMP TABLE again AS SELECT * FROM {TABLE} WHERE case_id = %s", (repeated,))
    conn.execute(
        "UPDATE again SET status = 'closed', closed_at = reported_at + INTERVAL '1 day', "
        "updated_at = now() + INTERVAL '1 second'"
    )
    conn.execute(f"INSERT INTO {TABLE} SELECT * FROM again")
    conn.commit()
    yield pg.Source(pg_server.url, TABLE), conn, repeated
    conn.close()


def _copy_part(url: str, part: pg.Part | None) -> list[str]:
    conn = pg.connect(pg.Source(url, TABLE), 10, "Asia/Shanghai")
    try:
        columns = pg.describe(conn, pg.Source(url, TABLE))
        out = io.BytesIO()
        pg.copy_changes(conn, pg.Source(url, TABLE), columns, None, out, part)
    finally:
        conn.close()
    return [line.split(",", 1)[0] for line in out.getvalue().decode().splitlines()[1:]]


def test_parts_are_disjoint_and_cover_every_row(upstream, pg_server):
    source, conn, repeated = upstream
    total = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    whole = _copy_part(pg_server.url, None)
    halves = [_copy_part(pg_server.url, pg.Part(k, 2, "case_id")) for k in range(2)]
    assert len(whole) == total  # one stream: every row, numbered 0, 1, 2 …
    assert sorted(map(int, whole)) == list(range(total))
    assert all(halves) and len(halves[0]) + len(halves[1]) == total  # the row without an id is in part 0
    # part k numbers its i-th row 2 i + k: even numbers in part 0, odd in part 1, none twice
    assert sorted(map(int, halves[0])) == [2 * i for i in range(len(halves[0]))]
    assert sorted(map(int, halves[1])) == [2 * i + 1 for i in range(len(halves[1]))]


def _blocks_of(url: str) -> list[int]:
    """The block of every row (its ``ctid``), read apart from the copies."""
    conn = psycopg.connect(url)
    try:
        return [b for (b,) in conn.execute(f"SELECT (ctid::text::point)[0]::int FROM {TABLE}").fetchall()]
    finally:
        conn.close()


@pytest.mark.parametrize("streams", [2, 3])
def test_block_parts_are_disjoint_and_cover_every_row_after_every_row_changed(upstream, pg_server, streams):
    """After an update of every row (the live versions behind the dead ones, as after a bulk change) the
    block ranges of :func:`split_blocks` still give every changed row once, numbered ``n i + k``, and cut
    the changed rows, not the table's blocks, into parts of about the same size."""
    source, conn, repeated = upstream
    conn.execute(f"UPDATE {TABLE} SET rework_count = coalesce(rework_count, 0) + 1, updated_at = now()")
    conn.commit()
    total = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    reader = pg.connect(source, 10, "Asia/Shanghai")
    try:
        blocks = pg.split_blocks(reader, source, None, streams)
        pages = reader.execute(f"SELECT pg_relation_size('{TABLE}') / 8192").fetchone()[0]
    finally:
        reader.close()
    assert blocks is not None and len(blocks) == streams - 1 and list(blocks) == sorted(blocks)
    assert blocks[0] > pages // streams  # the dead versions fill the table's first half: the cut is later
    parts = [_copy_part(pg_server.url, pg.Part(k, streams, "case_id", blocks)) for k in range(streams)]
    assert sum(len(p) for p in parts) == total
    for k, part in enumerate(parts):
        assert sorted(map(int, part)) == [streams * i + k for i in range(len(part))]
        assert abs(len(part) - total / streams) < 0.25 * total / streams  # about the same size (a sample)
    # by the rows' own places: part k is exactly the rows in its block range
    where = _blocks_of(pg_server.url)
    bounds = [0, *blocks, pages + 1]
    assert [len(p) for p in parts] == [sum(bounds[k] <= b < bounds[k + 1] for b in where) for k in range(streams)]


def test_split_blocks_only_for_a_plain_table(upstream, pg_server):
    source, conn, repeated = upstream
    conn.execute(f"CREATE OR REPLACE VIEW {TABLE}_view AS SELECT * FROM {TABLE}")
    conn.commit()
    reader = pg.connect(source, 10, "Asia/Shanghai")
    try:
        assert pg.split_blocks(reader, source, None, 2) is not None
        assert pg.split_blocks(reader, source, None, 1) is None
        assert pg.split_blocks(reader, pg.Source(pg_server.url, f"{TABLE}_view"), None, 2) is None
        assert pg.split_blocks(reader, pg.Source(pg_server.url, query=f"SELECT * FROM {TABLE}"), None, 2) is None
    finally:
        reader.close()
        conn.execute(f"DROP VIEW {TABLE}_view")
        conn.commit()


def test_a_sync_in_parts_equals_a_sync_in_one_stream(upstream, demo_db, tmp_path):
    source, conn, repeated = upstream
    total = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    mapping = load_mapping("canonical")
    runs = {}
    for streams in (1, 2, 3):
        db = tmp_path / f"city{streams}.duckdb"
        shutil.copy(demo_db, db)
        options = SyncOptions(overlap_seconds=0, reconcile_seconds=10**9, copy_streams=streams, split_rows=0)
        runs[streams] = (db, sync_once(db, source, mapping, options))
    for streams, (_, run) in runs.items():
        assert run.rows_read == total, streams  # every upstream row read once
        assert run.rows_rejected == 2, streams  # by hand: the row without an id and the unknown kind
        assert (run.rows_changed, run.watermark) == (runs[1][1].rows_changed, runs[1][1].watermark)
    con = duckdb.connect()
    live = {}
    for streams, (db, _) in runs.items():
        reader = open_live(db)
        try:
            live[streams] = (
                reader.sql("SELECT * FROM cases").to_arrow_table(),
                sorted(reader.execute("SELECT reason, raw FROM rejects WHERE source LIKE 'sync:%'").fetchall()),
            )
        finally:
            reader.close()
    con.register("one", live[1][0])
    for streams in (2, 3):
        con.register("parts", live[streams][0])
        assert con.execute("SELECT count(*) FROM (SELECT * FROM one EXCEPT ALL SELECT * FROM parts)").fetchall() == [
            (0,)
        ]
        assert con.execute("SELECT count(*) FROM (SELECT * FROM parts EXCEPT ALL SELECT * FROM one)").fetchall() == [
            (0,)
        ]
        assert live[streams][1] == live[1][1]
        con.unregister("parts")
    reasons = sorted(reason for reason, _ in live[1][1])
    assert reasons == ["invalid_kind", "missing_id"]
    # the repeated case: its later, closed version won in every run (by hand: the fixture closed it)
    for streams in (2, 3):
        con.register("parts", live[streams][0])
        assert con.execute("SELECT status FROM parts WHERE case_id = $c", {"c": repeated}).fetchall() == [("closed",)]
        con.unregister("parts")
    assert con.execute("SELECT status FROM one WHERE case_id = $c", {"c": repeated}).fetchall() == [("closed",)]


@pytest.mark.parametrize("by_blocks", [True, False])
def test_the_parts_read_one_snapshot(upstream, pg_server, tmp_path, by_blocks):
    """A row committed after the first session began is in no part, and the watermark stays before it,
    so the next sync reads it (the exported snapshot; without it the second part would see the row).
    Parts by block range are not counted against a total (disjoint and complete by construction); parts
    by hash are."""
    source, conn, repeated = upstream
    mapping = load_mapping("canonical")
    first = pg.connect(source, 10, mapping.timezone)
    columns = pg.describe(first, source)
    total = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    late = psycopg.connect(pg_server.url)

    def second_session():
        late.execute(
            f"INSERT INTO {TABLE} (case_id, kind, reported_at, status, updated_at) "
            "VALUES ('LATE-1', 'demand', now(), 'filed', now() + INTERVAL '1 hour')"
        )
        late.commit()  # committed before the second session starts: visible to it without the snapshot
        return pg.connect(source, 10, mapping.timezone)

    con = duckdb.connect()
    names = list(columns)
    try:
        got, mark, count, parts = stream_changes(
            first,
            source,
            columns,
            None,
            tmp_path / "changes",
            "sync:split",
            lambda fifos: map_stream(con, fifos, names, mapping, "sync:split", "m"),
            Split(2, 0, "case_id", second_session, by_blocks=by_blocks),
        )
    finally:
        first.close()
        late.close()
    assert parts == 2 and got == total  # not total + 1
    assert count == (None if by_blocks else total)
    assert con.execute("SELECT count(*) FROM m WHERE case_id = 'LATE-1'").fetchall() == [(0,)]
    late_mark = conn.execute(f"SELECT updated_at FROM {TABLE} WHERE case_id = 'LATE-1'").fetchone()[0]
    assert mark < late_mark
    assert not list(tmp_path.glob("changes*"))  # the FIFOs are removed


def test_fewer_rows_than_split_rows_copy_in_one_stream(upstream, tmp_path):
    source, conn, repeated = upstream
    mapping = load_mapping("canonical")
    first = pg.connect(source, 10, mapping.timezone)
    columns = pg.describe(first, source)
    total = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    con = duckdb.connect()
    opened = []
    try:
        got, _, count, parts = stream_changes(
            first,
            source,
            columns,
            dt.datetime(1970, 1, 1),
            tmp_path / "changes",
            "sync:split",
            lambda fifos: map_stream(con, fifos, list(columns), mapping, "sync:split", "m"),
            Split(2, total + 1, "case_id", lambda: opened.append(1)),
        )
    finally:
        first.close()
    assert (parts, got, count, opened) == (1, total, None, [])  # one stream: nothing to check


def test_a_dead_writers_part_fifos_are_pruned(tmp_path):
    """A sync killed during a split copy leaves ``changes.tmp-PID.csv.N`` FIFOs: the next run's prune removes
    them (the pid is read after the mark whatever follows it); a live writer's and a folder are kept."""
    import subprocess
    import sys

    from analytics.sync import generations

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    names = [f"changes{generations.TEMP_MARK}{dead.pid}.csv.{k}" for k in range(2)]
    for name in names:
        os.mkfifo(tmp_path / name)
    (tmp_path / f"gen-000000003.duckdb{generations.TEMP_MARK}{dead.pid}.wal").write_text("x")
    live = tmp_path / f"changes{generations.TEMP_MARK}{os.getppid()}.csv.0"
    os.mkfifo(live)
    (tmp_path / f"spill{generations.TEMP_MARK}{dead.pid}.tmp").mkdir()
    generations.prune(tmp_path, newest=1, keep=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [live.name, f"spill{generations.TEMP_MARK}{dead.pid}.tmp"]
    )


def test_the_count_is_capped_and_the_watermark_is_not(upstream, pg_server):
    """``cap`` counts the changed rows only up to it (whether to split), the newest watermark is the same."""
    source, conn, repeated = upstream
    total, newest = conn.execute(f"SELECT count(*), max(updated_at) FROM {TABLE}").fetchone()
    since = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    reader = pg.connect(source, 10, "Asia/Shanghai")
    try:
        assert pg.changed_summary(reader, source, since) == (newest, total)
        assert pg.changed_summary(reader, source, since, cap=10) == (newest, 10)
        assert pg.changed_summary(reader, source, since, cap=total + 5) == (newest, total)
        assert pg.changed_summary(reader, source, newest) == (None, 0)  # nothing after the newest
    finally:
        reader.close()

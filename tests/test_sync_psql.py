"""A large change's parallel copies run by ``psql`` (analytics/sync/psqlcopy.py, ``[sync] copy_client``), and a
bulk layer written uncompressed then compacted (analytics/sync/layers.py). Real PostgreSQL and psql, no mocks:
psql writes the very bytes psycopg hands over, reads the exported snapshot, and a failure in psql fails the
sync with PostgreSQL's message while the previous data keeps serving."""

from __future__ import annotations

import datetime as dt
import io
import shutil

import duckdb
import psycopg
import pytest

from analytics.ingest.mapping import load_mapping
from analytics.sync import source as pg
from analytics.sync.errors import SyncError
from analytics.sync.feed import seed_from_db
from analytics.sync.generations import live_dir
from analytics.sync.layers import layer_files
from analytics.sync.live import open_live
from analytics.sync.psqlcopy import PsqlCopier, find_psql
from analytics.sync.run import SyncOptions, sync_once
from analytics.sync.stream import Split, stream_changes
from analytics.sync.streamed import map_stream
from tests.pgserver import postgres_fixture

pg_server = postgres_fixture()
TABLE = "cases_psql"
# awkward texts: a quote, a comma, a line break, Chinese, an empty text (not NULL), spaces at either end
AWKWARD = [
    ("PSQL-1", 'say "hi", then\nleave', "2026-11-01 08:00:00.123456"),
    ("PSQL-2", "路灯不亮，已报修", "2026-11-02 09:30:00"),
    ("PSQL-3", "", "2026-11-03 10:00:00.5"),
    ("PSQL-4", "  padded  ", "2026-11-04 11:00:00"),
]


@pytest.fixture()
def upstream(pg_server, demo_db):
    conn = psycopg.connect(pg_server.url)
    conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    conn.commit()
    seed_from_db(conn, demo_db, TABLE)
    for case_id, text, reported in AWKWARD:
        conn.execute(
            f"INSERT INTO {TABLE} (case_id, kind, reported_at, status, description, lon, lat) "
            "VALUES (%s, 'demand', %s, 'filed', %s, 116.123456789, 39.9)",
            (case_id, reported, text),
        )
    conn.commit()
    yield pg.Source(pg_server.url, TABLE), conn
    conn.close()


def _psql() -> str:
    found = find_psql("auto")
    assert found, "PostgreSQL is installed (the fixture started it) but no psql was found"
    return found


def test_find_psql_settings(pg_server, tmp_path):
    assert find_psql("psycopg") is None and find_psql("") is None
    assert _psql().endswith("psql")
    with pytest.raises(SyncError, match="copy_client"):
        find_psql(str(tmp_path / "no-such-psql"))


def test_the_password_goes_to_psqls_environment_not_its_command_line():
    copier = PsqlCopier("/bin/false", "postgresql://reader:s3cret@127.0.0.1:5433/cases?sslmode=disable", "UTC", 10)
    assert "s3cret" not in copier.conninfo
    assert "user=reader" in copier.conninfo and "sslmode=disable" in copier.conninfo
    assert copier.env["PGPASSWORD"] == "s3cret" and copier.env["PGCLIENTENCODING"] == "UTF8"


@pytest.mark.parametrize("since", [None, dt.datetime(1970, 1, 1, tzinfo=dt.UTC)])
def test_psql_writes_the_bytes_psycopg_writes(upstream, pg_server, tmp_path, since):
    source, _ = upstream
    copier = PsqlCopier(_psql(), pg_server.url, "Asia/Shanghai", 10)
    holder = pg.connect(source, 10, "Asia/Shanghai")
    try:
        columns = pg.describe(holder, source)
        snapshot = pg.export_snapshot(holder)
        both = b""
        for k in range(2):
            part = pg.Part(k, 2, "case_id")
            expected = io.BytesIO()
            pg.copy_changes(holder, source, columns, since, expected, part)
            path = tmp_path / f"part{k}.csv"
            with open(path, "wb") as out:
                query = pg.copy_query(source, columns, since, part, literal=True)[0]
                assert copier.run(copier.script(holder, query, snapshot), out) == 0
            got = path.read_bytes()
            assert got == expected.getvalue()
            both += got
    finally:
        holder.close()
    for case_id, _text, _ in AWKWARD:  # every awkward row is in one of the parts
        assert case_id.encode() in both
    assert "路灯不亮，已报修".encode() in both and b'"say ""hi"", then\nleave"' in both


def test_psql_reads_the_exported_snapshot(upstream, pg_server, tmp_path):
    """A row committed after the sync's session took its snapshot is in no psql part (without the snapshot
    psql, which starts later, would see it)."""
    source, conn = upstream
    mapping = load_mapping("canonical")
    first = pg.connect(source, 10, mapping.timezone)
    columns = pg.describe(first, source)  # the transaction's snapshot is taken here
    total = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    conn.execute(
        f"INSERT INTO {TABLE} (case_id, kind, reported_at, status, updated_at) "
        "VALUES ('LATE-1', 'demand', now(), 'filed', now() + INTERVAL '1 hour')"
    )
    conn.commit()
    con = duckdb.connect()
    copier = PsqlCopier(_psql(), pg_server.url, mapping.timezone, 10)
    try:
        got, mark, count, parts = stream_changes(
            first,
            source,
            columns,
            None,
            tmp_path / "changes",
            "sync:psql",
            lambda fifos: map_stream(con, fifos, list(columns), mapping, "sync:psql", "m"),
            Split(2, 0, "case_id", lambda: pytest.fail("no psycopg session with psql"), copier),
        )
    finally:
        first.close()
    assert parts == 2 and got == total and count is None  # not total + 1; block parts: no count to check
    assert con.execute("SELECT count(*) FROM m WHERE case_id = 'LATE-1'").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM m WHERE case_id LIKE 'PSQL-%'").fetchall() == [(4,)]
    assert not list(tmp_path.glob("changes*"))


def test_a_failing_psql_copy_fails_the_sync_and_the_old_data_serves(upstream, demo_db, tmp_path):
    source, conn = upstream
    db = tmp_path / "city.duckdb"
    shutil.copy(demo_db, db)
    mapping = load_mapping("canonical")
    options = SyncOptions(overlap_seconds=0, reconcile_seconds=10**9, copy_streams=2, split_rows=0)
    sync_once(db, source, mapping, options)
    before = open_live(db)
    try:
        closed = before.execute("SELECT count(*) FROM cases WHERE status = 'closed'").fetchone()[0]
    finally:
        before.close()
    conn.execute(f"UPDATE {TABLE} SET status = 'closed', updated_at = now() + INTERVAL '1 hour'")
    conn.commit()
    failing = pg.Source(
        source.url,
        query=f"SELECT *, 1 / (CASE WHEN case_id = 'PSQL-3' THEN 0 ELSE 1 END) AS trap FROM {TABLE}",
    )
    with pytest.raises(SyncError, match="division by zero"):
        sync_once(db, failing, mapping, options)
    after = open_live(db)
    try:
        assert after.execute("SELECT count(*) FROM cases WHERE status = 'closed'").fetchone()[0] == closed
        error = after.execute("SELECT error FROM sync_log ORDER BY run_id DESC LIMIT 1").fetchone()[0]
    finally:
        after.close()
    assert "psql" in error and "division by zero" in error
    assert not list(live_dir(db).glob("changes*"))


def test_a_bulk_layer_is_written_uncompressed_and_compacted_after_publishing(upstream, demo_db, tmp_path):
    """``correction_rows`` 10: the first sync's layer (every case) is bulk: written without compression,
    then compacted (compressed) once published; the live cases equal those of a sync that was not bulk."""
    source, _ = upstream
    mapping = load_mapping("canonical")
    live = {}
    for name, most in (("bulk", 10), ("plain", 10**9)):
        db = tmp_path / f"{name}.duckdb"
        shutil.copy(demo_db, db)
        options = SyncOptions(
            overlap_seconds=0, reconcile_seconds=10**9, correction_rows=most, max_layers=8, copy_streams=1
        )
        seen: list[str] = []
        result = sync_once(db, source, mapping, options, log=seen.append)
        assert result.rows_changed > 10
        reader = open_live(db)
        try:
            state = dict(reader.execute("SELECT key, value FROM status.sync_state").fetchall())
            live[name] = reader.sql("SELECT * FROM cases").to_arrow_table()
        finally:
            reader.close()
        layers = layer_files(state)
        assert len(layers) == 1
        check = duckdb.connect(str(live_dir(db) / layers[0]), read_only=True)
        try:
            kinds = {
                row[0]
                for row in check.execute(
                    "SELECT DISTINCT compression FROM pragma_storage_info('cases') WHERE segment_type <> 'VALIDITY'"
                ).fetchall()
            }
        finally:
            check.close()
        assert kinds != {"Uncompressed"}, (name, kinds)  # the layer that serves is compressed
        assert any("compact" in line for line in seen) == (name == "bulk"), seen
    con = duckdb.connect()
    con.register("bulk", live["bulk"])
    con.register("plain", live["plain"])
    for a, b in (("bulk", "plain"), ("plain", "bulk")):
        assert con.execute(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM bulk").fetchone()[0] == len(live["plain"])


def test_write_data_uncompressed_stores_no_compressed_segment(tmp_path):
    from analytics.sync.layers import write_data

    db = tmp_path / "city.duckdb"
    duckdb.connect(str(db)).close()
    live_dir(db).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()

    def compose(c):
        columns = [r[0] for r in c.execute("DESCRIBE nextdata.cases").fetchall()]
        assert "case_id" in columns
        c.execute(
            "INSERT INTO nextdata.cases (case_id, kind, reported_at, status, description) "
            "SELECT 'C' || (i % 50), 'demand', TIMESTAMP '2026-11-01', 'closed', repeat('same text ', 20) "
            "FROM range(200000) t(i)"
        )

    names = {}
    for compressed in (True, False):
        names[compressed] = write_data(con, db, 1 if compressed else 2, compose, compressed=compressed)
    kinds = {}
    for compressed, name in names.items():
        check = duckdb.connect(str(live_dir(db) / name), read_only=True)
        try:
            kinds[compressed] = {
                r[0]
                for r in check.execute(
                    "SELECT DISTINCT compression FROM pragma_storage_info('cases') "
                    "WHERE segment_type NOT IN ('VALIDITY') AND column_name IN ('case_id', 'status', 'description')"
                ).fetchall()
            }
        finally:
            check.close()
    assert kinds[False] == {"Uncompressed"}
    assert "Uncompressed" not in kinds[True]
    assert con.execute("SELECT current_setting('force_compression')").fetchone()[0] in ("", "auto")

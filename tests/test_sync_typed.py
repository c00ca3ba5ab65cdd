"""Seventh pass of the sync (issue 13): two shortcuts that must leave every row as it was.

- The mapping of a sync knows which texts PostgreSQL wrote from typed columns (a timestamp, a number, a
  boolean): those are not trimmed and an ``iso`` time of them is cast directly
  (:func:`analytics.ingest.canonical.mapping_sql`'s ``typed``). Real PostgreSQL writes the awkward values
  (infinity, BC years, fractions, NaN, a time zone), and the rows mapped with and without the shortcut
  are compared row for row.
- The located rows are paired with their coordinates by a key instead of a positional join
  (:func:`analytics.sync.incoming.insert_keyed`): the rows of ``incoming`` equal the positional join's.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import psycopg
import pyarrow as pa

from analytics.ingest.mapping import load_mapping
from analytics.ingest.staged_locate import insert_located
from analytics.sync import source as pg
from analytics.sync.incoming import insert_keyed
from analytics.sync.streamed import map_stream
from tests.pgserver import postgres_fixture

pg_server = postgres_fixture()
TABLE = "cases_typed"
ROWS = (
    # case_id, reported_at (timestamp), closed_at (timestamptz), due_at (date), lon, lat, rework, self_handled
    ("T-1", "2026-11-01 08:00:00", "2026-11-01 09:30:00+08", "2026-11-05", 116.4, 39.9, 2, True),
    ("T-2", "2026-11-01 08:00:00.250001", None, None, None, None, None, None),
    ("T-3", "infinity", "-infinity", "infinity", float("nan"), float("inf"), -3, False),
    ("T-4", "0044-03-15 12:00:00 BC", "2026-11-02 01:00:00Z", "0001-01-01 BC", -0.0, 1e-300, 0, True),
    ("T-5", "2026-11-03 23:59:59.999999", "2026-11-03 12:00:00-05:30", "2026-02-28", 180.0, -90.0, 7, False),
)


def _upstream(url: str) -> pg.Source:
    conn = psycopg.connect(url)
    conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    conn.execute(
        f"CREATE TABLE {TABLE} (case_id text, kind text, reported_at timestamp, closed_at timestamptz, "
        "due_at date, lon double precision, lat double precision, rework_count integer, self_handled boolean, "
        "status text, description text, updated_at timestamptz DEFAULT now())"
    )
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {TABLE} (case_id, kind, reported_at, closed_at, due_at, lon, lat, rework_count, "
            "self_handled, status, description) VALUES (%s, 'demand', %s, %s, %s, %s, %s, %s, %s, ' filed ', ' x ')",
            ROWS,
        )
    conn.commit()
    conn.close()
    return pg.Source(url, TABLE)


def _map(con, tmp_path, source: pg.Source, table: str, typed: bool) -> None:
    """The upstream rows as the sync's COPY writes them, mapped into ``table`` with or without the types."""
    mapping = load_mapping("canonical")
    conn = pg.connect(source, 10, mapping.timezone)
    columns = pg.describe(conn, source)
    stream = tmp_path / f"{table}.csv"
    with open(stream, "wb") as out:
        pg.copy_changes(conn, source, columns, None, out)
    conn.close()
    map_stream(con, stream, list(columns), mapping, "sync:typed", table, columns if typed else None)


def test_typed_texts_map_exactly_as_untyped(pg_server, tmp_path):
    source = _upstream(pg_server.url)
    con = duckdb.connect()
    _map(con, tmp_path, source, "plain", typed=False)
    _map(con, tmp_path, source, "typed", typed=True)
    assert con.execute("SELECT count(*) FROM typed").fetchone()[0] == len(ROWS)
    for a, b in (("plain", "typed"), ("typed", "plain")):  # every column of every row (NaN equals NaN here)
        assert con.execute(f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})").fetchone()[0] == 0
    got = {
        case_id: rest
        for case_id, *rest in con.execute(
            "SELECT case_id, reported_at, closed_at, due_at, status, description, rework_count, self_handled, "
            "isnan(lon), reject_reason FROM typed WHERE case_id <> 'T-3'"
        ).fetchall()
    }
    # by hand: a fraction kept; a timestamptz read in the city's zone (UTC+8); a date at midnight; the text
    # columns still trimmed (the shortcut is only for typed columns); infinity is no readable report time
    assert got["T-1"] == [dt.datetime(2026, 11, 1, 8), dt.datetime(2026, 11, 1, 9, 30), dt.datetime(2026, 11, 5),
                          "filed", "x", 2, True, False, None]  # fmt: skip
    assert got["T-2"][:3] == [dt.datetime(2026, 11, 1, 8, 0, 0, 250001), None, None]
    assert got["T-2"][6] is None and got["T-2"][8] is None
    assert got["T-2"][5] == 0  # no rework count: 0 (the mapping's default)
    # infinity is a timestamp to DuckDB too (kept, not rejected); NaN stays NaN
    assert con.execute(
        "SELECT isinf(reported_at), isinf(closed_at), rework_count, self_handled, isnan(lon), reject_reason "
        "FROM typed WHERE case_id = 'T-3'"
    ).fetchone() == (True, True, -3, False, True, None)
    assert got["T-4"][1] == dt.datetime(2026, 11, 2, 9)  # 01:00 UTC is 09:00 in Asia/Shanghai
    assert got["T-5"][:3] == [dt.datetime(2026, 11, 3, 23, 59, 59, 999999), dt.datetime(2026, 11, 4, 1, 30),
                              dt.datetime(2026, 2, 28)]  # fmt: skip


def test_keyed_insert_equals_the_positional_join():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE accepted AS SELECT i // 7 AS _file, i AS _pos, 'C-' || i AS case_id, "
        "CASE WHEN i % 3 = 0 THEN 'G' || (i % 5) END AS grid_id FROM range(20000) t(i)"
    )
    n = 20000
    located = pa.table(
        {
            "lon": pa.array([float(i) / 100 for i in range(n)]),
            "lat": pa.array([None if i % 11 == 0 else float(i) / 1000 for i in range(n)]),
            "location_flag": pa.DictionaryArray.from_arrays(
                pa.array([i % 4 if i % 4 < 3 else None for i in range(n)], pa.int32()),
                pa.array(["missing", "placeholder", "outside"]),
            ),
            "spatial_grid": pa.array([f"S{i % 13}" for i in range(n)]),
        }
    )
    ddl = "(case_id TEXT, grid_id TEXT, lon DOUBLE, lat DOUBLE, location_flag TEXT, _seq BIGINT)"
    con.execute(f"CREATE TABLE keyed {ddl}")
    con.execute(f"CREATE TABLE by_position {ddl}")
    insert_keyed(con, located, "accepted", "keyed")
    insert_located(con, located, target="by_position", seq=True, table="accepted")
    assert con.execute("SELECT count(*) FROM keyed").fetchone()[0] == n
    for a, b in (("keyed", "by_position"), ("by_position", "keyed")):
        assert con.execute(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})").fetchone()[0] == 0
    # by hand, C-10: file 10 // 7 = 1, position 10; no grid of its own (10 % 3 = 1), so S(10 % 13); flag 10 % 4 = 2
    row = con.execute("SELECT grid_id, lon, lat, location_flag, _seq FROM keyed WHERE case_id = 'C-10'").fetchone()
    assert row == ("S10", 0.1, 0.01, "outside", 1 * (1 << 40) + 10)

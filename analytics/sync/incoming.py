"""Staged rows of an append, or a sync's streamed rows → the temporary tables ``incoming`` and ``new_rejects``.

The import's own DuckDB path (:mod:`analytics.ingest.staged_map`, :mod:`analytics.ingest.staged_locate`):
the same mapping statement, the same reject reasons and raw rows, the same coordinate checks. Points
without a grid id are joined to the base database's grid polygons.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import shapely

from analytics.ingest.load import insert_frame
from analytics.ingest.mapping import Mapping
from analytics.ingest.staged_locate import locate_columns, located_items
from analytics.ingest.staged_map import KEY_SHIFT, accept, map_staged, mark_duplicates_sql, rejects_frame
from analytics.ingest.staging import StagedFile, drop_staged
from analytics.sync.streamed import stream_rejects


def base_grids(con: duckdb.DuckDBPyConnection) -> tuple:
    """The base's grid polygons in the shape :func:`locate_columns` takes (grids by id, valid geometries)."""
    frame = con.execute(
        "SELECT grid_id, geometry FROM base.main.grids WHERE geometry IS NOT NULL ORDER BY grid_id"
    ).df()
    geoms = shapely.from_geojson(frame["geometry"].to_numpy(object), on_invalid="ignore")
    return frame[["grid_id"]], shapely.make_valid(geoms), {}, []


def fill_incoming(
    con: duckdb.DuckDBPyConnection, staged: list[StagedFile], mapping: Mapping, dedupe: bool, first_row: int = 0
) -> tuple[int, int]:
    """Map ``staged`` into ``incoming`` (``_seq`` in file and row order) and ``new_rejects``; with
    ``dedupe`` a repeated case id is rejected as by the import (an append), else the latest wins later
    (a sync). Returns (rows read, rows rejected)."""
    map_staged(con, staged, mapping, table="sync_mapped")
    if dedupe:
        mark_duplicates_sql(con, "sync_mapped")
    rejects = rejects_frame(con, staged, "sync_mapped", first_row=first_row)
    drop_staged(con, staged)
    locate_incoming(con, mapping, "sync_mapped", rejects)
    return sum(one.rows_in for one in staged), len(rejects)


def fill_incoming_streamed(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, names: list[str], label: str, table: str = "sync_mapped"
) -> tuple[int, int]:
    """``incoming`` and ``new_rejects`` from a stream mapped as it arrived into ``table``
    (:func:`analytics.sync.streamed.map_stream`; a sync: the latest of a repeated id wins later).
    Returns (rows read, rows rejected)."""
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    rejects = stream_rejects(con, table, names, Path(label).name)
    locate_incoming(con, mapping, table, rejects)
    return rows, len(rejects)


def locate_incoming(con: duckdb.DuckDBPyConnection, mapping: Mapping, table: str, rejects) -> None:
    """The accepted rows of the mapped ``table`` (gone after), located, into ``incoming``; ``rejects``
    into ``new_rejects``."""
    accept(con, table, "sync_accepted")
    unplaced = con.execute(
        "SELECT count(*) FROM sync_accepted WHERE grid_id IS NULL AND lon IS NOT NULL AND lat IS NOT NULL"
    ).fetchall()[0][0]
    polygons = base_grids(con) if unplaced else None  # read only when some point needs a grid
    located, *_ = locate_columns(con, mapping, polygons, table="sync_accepted")
    insert_keyed(con, located, "sync_accepted", "incoming")
    con.execute("DROP TABLE sync_accepted")
    insert_frame(con, "new_rejects", rejects)


def insert_keyed(con: duckdb.DuckDBPyConnection, located: pa.Table, table: str, target: str) -> None:
    """Insert ``table`` beside its located columns (``located``: row-aligned with ``table``, from
    :func:`locate_columns`) into ``target`` (our own names), ``_seq`` = ``_file * KEY_SHIFT + _pos``.

    The import's :func:`~analytics.ingest.staged_locate.insert_located` pairs the rows by a ``POSITIONAL
    JOIN``, which DuckDB runs on one thread (a million rows: ~1.7 CPU s with the other core idle); here
    ``located`` gets each row's key (read in the same scan order as its columns) and the rows are paired
    by a hash join on it, which runs on every thread. The key is unique (one per row of a file), so
    the pairs, and the rows inserted, are the same.
    """
    key = con.sql(f"SELECT _file * {KEY_SHIFT} + _pos FROM {table}").to_arrow_table().column(0)  # no DB-API copy
    if len(key) != located.num_rows:
        raise ValueError(f"{table}: {len(key)} rows against {located.num_rows} located")
    columns, items = located_items(con, target)
    con.register("located_keyed", located.append_column("_key", key))
    try:
        con.execute(
            f"INSERT INTO {target} ({', '.join(columns)}, _seq) SELECT {', '.join(items)}, l._key "
            f"FROM {table} a JOIN located_keyed l ON l._key = a._file * {KEY_SHIFT} + a._pos"
        )
    finally:
        con.unregister("located_keyed")

"""Staged rows of a sync or an append → the temporary tables ``incoming`` and ``new_rejects``.

The import's own DuckDB path (:mod:`analytics.ingest.staged_map`, :mod:`analytics.ingest.staged_locate`):
the same mapping statement, the same reject reasons and raw rows, the same coordinate checks. Points
without a grid id are joined to the base database's grid polygons.
"""

from __future__ import annotations

import duckdb
import shapely

from analytics.ingest.load import insert_frame
from analytics.ingest.mapping import Mapping
from analytics.ingest.staged_locate import insert_located, locate_columns
from analytics.ingest.staged_map import accept, map_staged, mark_duplicates_sql, rejects_frame
from analytics.ingest.staging import StagedFile, drop_staged


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
    accept(con, "sync_mapped", "sync_accepted")
    drop_staged(con, staged)
    unplaced = con.execute(
        "SELECT count(*) FROM sync_accepted WHERE grid_id IS NULL AND lon IS NOT NULL AND lat IS NOT NULL"
    ).fetchall()[0][0]
    polygons = base_grids(con) if unplaced else None  # read only when some point needs a grid
    located, *_ = locate_columns(con, mapping, polygons, table="sync_accepted")
    insert_located(con, located, target="incoming", seq=True, table="sync_accepted")
    con.execute("DROP TABLE sync_accepted")
    insert_frame(con, "new_rejects", rejects)
    return sum(one.rows_in for one in staged), len(rejects)

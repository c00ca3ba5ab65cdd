"""Deadlines and locations of the staged ``accepted`` cases, computed on columns, written back in SQL.

:func:`derive_deadlines` runs the deadline rules (:func:`analytics.ingest.deadlines.apply_rules`) only on
the cases without a deadline, a million at a time, and updates ``due_at`` and ``quality_flags`` by key.
:func:`locate_columns` checks the coordinates (:func:`analytics.ingest.locate.point_masks`) and finds the
grid of each point (boundary polygons, an H3 cell, or the source's own grid id) on numpy arrays of the
whole table, and returns them as an Arrow table row-aligned with ``accepted`` for a positional join.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.ingest import hexgrid
from analytics.ingest.boundaries import GRID_COLUMNS
from analytics.ingest.deadlines import DeadlineRules, apply_rules
from analytics.ingest.locate import join_points, point_masks
from analytics.ingest.staged_map import KEY_SHIFT
from analytics.workcal import WorkCalendar

DEADLINE_CHUNK = 1_000_000
FLAGS = ("missing", "placeholder", "outside")
RULE_COLUMNS = ["kind", "category_code", "category_name", "category_major", "hours", "basis"]


def _finished(con):
    """``con`` with any result of an earlier ``execute()`` run to its end (``con.sql`` refuses otherwise)."""
    con.complete()
    return con


def derive_deadlines(con, rules: DeadlineRules, cal: WorkCalendar, table: str = "accepted") -> dict:
    """What :func:`apply_rules` returns for the whole table, with ``by_category`` reduced to distinct rows
    (every case of one category gets the same rule)."""
    total, given = con.execute(f"SELECT count(*), count(due_at) FROM {table}").fetchone()
    out = {"from_source": given, "without": total - given, "derived": {}, "uncovered": set(), "by_category": []}
    if not rules or total == given:
        return _finish(out)
    out["without"] = 0
    reader = (
        _finished(con)
        .sql(
            "SELECT _file, _pos, kind, category_code, category_name, category_major, filed_at, reported_at, due_at, "
            f"quality_flags FROM {table} WHERE due_at IS NULL"
        )
        .to_arrow_reader(DEADLINE_CHUNK)
    )
    updates = []
    for batch in reader:
        chunk = batch.to_pandas()
        counts = apply_rules(chunk, rules, cal)
        out["without"] += counts["without"]
        for source, n in counts["derived"].items():
            out["derived"][source] = out["derived"].get(source, 0) + n
        out["uncovered"].update(counts["uncovered"])
        out["by_category"].append(counts["by_category"].drop_duplicates())
        done = chunk[chunk["due_at"].notna()]
        updates.append(pa.Table.from_pandas(done[["_file", "_pos", "due_at", "quality_flags"]], preserve_index=False))
    if updates:
        con.register("derived_deadlines", pa.concat_tables(updates))
        con.execute(
            f"UPDATE {table} SET due_at = d.due_at, quality_flags = d.quality_flags "
            f"FROM derived_deadlines d WHERE {table}._file = d._file AND {table}._pos = d._pos"
        )
        con.unregister("derived_deadlines")
    return _finish(out)


def _finish(out: dict) -> dict:
    parts = [p for p in out["by_category"] if not p.empty]
    out["by_category"] = (
        pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True)
        if parts
        else pd.DataFrame(columns=RULE_COLUMNS)
    )
    out["uncovered"] = sorted(out["uncovered"])
    return out


def _column(con, sql: str) -> np.ndarray:
    return _finished(con).sql(sql).to_arrow_table().column(0).to_numpy()


def source_grids(con, table: str = "accepted") -> pd.DataFrame:
    """Grids named by the cases' own grid ids (sorted), with only ``grid_id`` and ``grid_name``."""
    ids = [r[0] for r in con.execute(f"SELECT DISTINCT grid_id FROM {table} WHERE grid_id IS NOT NULL").fetchall()]
    ids = sorted(ids)
    grids = pd.DataFrame({c: pd.Series(dtype=object) for c in GRID_COLUMNS})
    if ids:
        grids = grids.reindex(range(len(ids))).assign(grid_id=ids, grid_name=ids)
    return grids


def locate_columns(
    con,
    mapping,
    boundary_grids=None,
    h3_resolution: int | None = None,
    boundary_name: str = "",
    table: str = "accepted",
):
    """(Arrow table ``lon, lat, location_flag, spatial_grid`` aligned with ``table``'s rows, grids frame,
    repaired, grid source). The source's grid id wins over ``spatial_grid`` (a coalesce in the insert)."""
    lon = _column(con, f"SELECT coalesce(lon, 'NaN'::DOUBLE) FROM {table}").astype(float)
    lat = _column(con, f"SELECT coalesce(lat, 'NaN'::DOUBLE) FROM {table}").astype(float)
    has_given = _column(con, f"SELECT grid_id IS NOT NULL FROM {table}").astype(bool)
    lon, lat, missing, placeholder = point_masks(lon, lat, mapping.coords, mapping.placeholders)
    codes = np.full(len(lon), -1, dtype=np.int8)
    codes[missing], codes[placeholder] = 0, 1
    spatial, repaired = None, {}
    if boundary_grids is not None:
        grids, geoms, repaired, _ = boundary_grids
        idx = join_points(lon, lat, geoms)
        spatial = pa.DictionaryArray.from_arrays(
            pa.array(idx.astype(np.int32), mask=idx < 0), pa.array(grids["grid_id"].astype(str).tolist())
        )
        found = idx >= 0
        source = f"boundaries: {boundary_name}"
    elif h3_resolution is not None:
        cells = hexgrid.cells_of(lon, lat, h3_resolution)
        grids, _ = hexgrid.hex_grids(cells, h3_resolution)
        spatial = pa.array(cells, pa.string(), from_pandas=True)
        found = ~pd.isna(cells)
        source = f"h3 resolution {h3_resolution}"
    else:
        grids = source_grids(con, table)
        found = np.ones(len(lon), dtype=bool)
        source = "grid ids from the case file" if len(grids) else "none"
    codes[(codes < 0) & ~has_given & ~found] = 2
    flags = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), mask=codes < 0), pa.array(list(FLAGS)))
    columns = {
        "lon": pa.array(lon, pa.float64(), from_pandas=True),
        "lat": pa.array(lat, pa.float64(), from_pandas=True),
        "location_flag": flags,
        "spatial_grid": spatial if spatial is not None else pa.nulls(len(lon), pa.string()),
    }
    return pa.table(columns), grids, repaired, source


def located_items(con, target: str) -> tuple[list[str], list[str]]:
    """The columns of ``target`` (``_seq`` aside) and what fills each in an insert from the rows aliased ``a``
    beside their located columns aliased ``l``: coordinates and flag from ``l``, the grid from the row or else
    the one its point falls in, the rest from ``a``."""
    columns = [row[0] for row in con.execute(f"DESCRIBE {target}").fetchall() if row[0] != "_seq"]
    items = [
        f"l.{c}::{'VARCHAR' if c == 'location_flag' else 'DOUBLE'}"
        if c in ("lon", "lat", "location_flag")
        else "coalesce(a.grid_id, l.spatial_grid::VARCHAR)"
        if c == "grid_id"
        else f"a.{c}"
        for c in columns
    ]
    return columns, items


def insert_located(con, located: pa.Table, target: str = "cases", seq: bool = False, table: str = "accepted") -> None:
    """Insert ``table`` beside its located columns (same rows, same order) into ``target`` (our own
    table names); ``seq`` also fills ``_seq`` with a number in file and row order."""
    columns, items = located_items(con, target)
    items += [f"a._file * {KEY_SHIFT} + a._pos"] if seq else []
    listed = ", ".join(columns + (["_seq"] if seq else []))
    con.register("located", located)
    try:
        con.execute(
            f"INSERT INTO {target} ({listed}) SELECT {', '.join(items)} FROM {table} a POSITIONAL JOIN located l"
        )
    finally:
        con.unregister("located")

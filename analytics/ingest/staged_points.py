"""The import's locations in bounded memory: :func:`locate_chunked` reads the staged cases' points a few
million at a time.

It returns what :func:`analytics.ingest.staged_locate.locate_columns` returns — the Arrow table
``lon, lat, location_flag, spatial_grid`` row-aligned with ``accepted`` (for
:func:`~analytics.ingest.staged_locate.insert_located`'s positional join), the grids frame, the repaired
ids and the grid source — with the same values, but the points pass through numpy one chunk at a time:
the work arrays (coordinates, masks, the distinct points of :func:`analytics.ingest.locate.join_points`)
stay the size of a chunk instead of growing with the file (at 20 M cases about 1.5 GB at once), and
only the compact result columns (~26 bytes a case) are kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.ingest import hexgrid
from analytics.ingest.locate import join_points, point_masks
from analytics.ingest.staged_locate import FLAGS, locate_columns

LOCATE_CHUNK = 2_000_000  # cases whose points are in numpy at once (~200 MB of work arrays)


def _chunks(con, table: str, rows: int):
    con.complete()  # any result of an earlier execute() run to its end (con.sql refuses otherwise)
    return con.sql(
        f"SELECT coalesce(lon, 'NaN'::DOUBLE) AS lon, coalesce(lat, 'NaN'::DOUBLE) AS lat, "
        f"grid_id IS NOT NULL AS given FROM {table}"
    ).to_arrow_reader(rows)


def _flags(codes: np.ndarray) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), mask=codes < 0), pa.array(list(FLAGS)))


class PointLookup:
    """The grid of each distinct point, found once; :meth:`find` looks points up by binary search.

    ``where`` gives, for WGS84 points (NaN where unusable), the boundary grid index (-1: none) or
    the H3 cell (None: none). A point's WGS84 value is the same whichever chunk it comes from, so
    the lookup finds exactly the value of the point itself.
    """

    def __init__(self, lon: np.ndarray, lat: np.ndarray, where) -> None:
        ok = ~(np.isnan(lon) | np.isnan(lat))
        keys = lon[ok] + 1j * lat[ok]
        values = where(lon[ok], lat[ok])
        order = np.argsort(keys, kind="stable")
        self.keys, self.values = keys[order], values[order]

    def find(self, lon: np.ndarray, lat: np.ndarray, empty) -> np.ndarray:
        ok = ~(np.isnan(lon) | np.isnan(lat))
        out = np.full(len(lon), empty, dtype=self.values.dtype)
        if ok.any():
            out[ok] = self.values[np.searchsorted(self.keys, lon[ok] + 1j * lat[ok])]
        return out


def distinct_points(con, table: str = "accepted") -> tuple[np.ndarray, np.ndarray]:
    """The distinct (lon, lat) of ``table`` as read (NaN for NULL; DuckDB's hash aggregate finds them)."""
    con.complete()
    points = con.sql(
        f"SELECT DISTINCT coalesce(lon, 'NaN'::DOUBLE) AS lon, coalesce(lat, 'NaN'::DOUBLE) AS lat FROM {table}"
    ).fetchnumpy()
    return np.asarray(points["lon"], float), np.asarray(points["lat"], float)


def boundary_lookup(points: tuple[np.ndarray, np.ndarray], mapping, boundary_grids) -> PointLookup:
    """The boundary grid of each of ``points`` (:func:`distinct_points`). Each point's grid depends on the
    point alone, so a lookup built from a superset of a table's points finds the same values for its
    cases: the import builds it from every mapped row in a worker thread while DuckDB judges the rows."""
    lon, lat, _, _ = point_masks(*points, mapping.coords, mapping.placeholders)
    geoms = boundary_grids[1]
    return PointLookup(lon, lat, lambda x, y: join_points(x, y, geoms).astype(np.int32))


def _lookup(con, mapping, table: str, where) -> PointLookup:
    """The lookup over the distinct points of ``table``."""
    lon, lat, _, _ = point_masks(*distinct_points(con, table), mapping.coords, mapping.placeholders)
    return PointLookup(lon, lat, where)


def locate_chunked(
    con,
    mapping,
    boundary_grids=None,
    h3_resolution: int | None = None,
    boundary_name: str = "",
    table: str = "accepted",
    chunk_rows: int = LOCATE_CHUNK,
    lookup: PointLookup | None = None,
):
    """(Arrow table aligned with ``table``'s rows, grids frame, repaired, grid source), as
    :func:`~analytics.ingest.staged_locate.locate_columns` gives them; the grid of each distinct point is
    found once, and the cases are read and looked up about ``chunk_rows`` at a time. ``lookup``: a
    :func:`boundary_lookup` of ``boundary_grids`` already built (from these points or more)."""
    if boundary_grids is None and h3_resolution is None:
        return locate_columns(con, mapping, None, None, boundary_name, table)  # no geometry: nothing to bound
    if boundary_grids is not None:
        grids, geoms, repaired, _ = boundary_grids
        dictionary = pa.array(grids["grid_id"].astype(str).tolist())
        if lookup is None:
            lookup = boundary_lookup(distinct_points(con, table), mapping, boundary_grids)
    else:
        dictionary, repaired = None, {}
        lookup = _lookup(con, mapping, table, lambda x, y: hexgrid.cells_of(x, y, h3_resolution).astype(object))
    parts = []
    for batch in _chunks(con, table, chunk_rows):
        lon = batch.column(0).to_numpy(zero_copy_only=False).astype(float)
        lat = batch.column(1).to_numpy(zero_copy_only=False).astype(float)
        given = batch.column(2).to_numpy(zero_copy_only=False).astype(bool)
        lon, lat, missing, placeholder = point_masks(lon, lat, mapping.coords, mapping.placeholders)
        codes = np.full(len(lon), -1, dtype=np.int8)
        codes[missing], codes[placeholder] = 0, 1
        if dictionary is not None:
            idx = lookup.find(lon, lat, -1)
            spatial = pa.DictionaryArray.from_arrays(pa.array(idx, pa.int32(), mask=idx < 0), dictionary)
            found = idx >= 0
        else:
            cells = lookup.find(lon, lat, None)
            spatial = pa.array(cells, pa.string(), from_pandas=True)
            found = ~pd.isna(cells)
        codes[(codes < 0) & ~given & ~found] = 2
        columns = {
            "lon": pa.array(lon, pa.float64(), from_pandas=True),
            "lat": pa.array(lat, pa.float64(), from_pandas=True),
            "location_flag": _flags(codes),
            "spatial_grid": spatial,
        }
        parts.append(pa.table(columns))
    if not parts:
        return locate_columns(con, mapping, boundary_grids, h3_resolution, boundary_name, table)
    if dictionary is not None:
        return pa.concat_tables(parts), grids, repaired, f"boundaries: {boundary_name}"
    grids, _ = hexgrid.hex_grids(lookup.values, h3_resolution)  # the cells of the distinct points
    return pa.concat_tables(parts), grids, {}, f"h3 resolution {h3_resolution}"

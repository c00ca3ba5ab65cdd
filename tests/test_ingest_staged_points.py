"""The import's chunked locator (:func:`analytics.ingest.staged_points.locate_chunked`) gives what the
whole-table one (:func:`analytics.ingest.staged_locate.locate_columns`) gives, in every chunking, and the
flags of a small hand-made set of points are the ones worked out by hand."""

from __future__ import annotations

import dataclasses

import duckdb
import numpy as np
import pandas as pd
import pytest
import shapely

from analytics.ingest.mapping import load_mapping
from analytics.ingest.staged_locate import locate_columns
from analytics.ingest.staged_map import accept_in_place
from analytics.ingest.staged_points import boundary_lookup, distinct_points, locate_chunked

# Two unit squares side by side: A = [0, 1] x [0, 1], B = [1, 2] x [0, 1] (grids sorted by id)
GRIDS = pd.DataFrame({"grid_id": ["A", "B"], "grid_name": ["A", "B"]})
GEOMS = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
BOUNDARY = (GRIDS, GEOMS, {}, [])


def staged(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    """A connection with ``mapped`` (lon, lat, grid_id, reject_reason) made ``accepted`` in place."""
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE mapped (lon DOUBLE, lat DOUBLE, grid_id VARCHAR, reject_reason VARCHAR)")
    con.executemany("INSERT INTO mapped VALUES (?, ?, ?, ?)", rows)
    accept_in_place(con)
    return con


def as_rows(table) -> list[tuple]:
    frame = table.to_pandas()
    return [tuple(None if pd.isna(v) else str(v) if not isinstance(v, float) else v for v in r) for r in frame.values]


def test_flags_and_grids_of_hand_made_points():
    mapping = dataclasses.replace(load_mapping("boston311"), placeholders=((0.5, 1.5),))  # (lat, lon)
    con = staged(
        [
            (0.5, 0.5, None, None),  # inside A
            (1.5, 0.5, None, None),  # inside B, but the placeholder (lat 0.5, lon 1.5): no location
            (9.0, 9.0, None, None),  # outside every grid
            (9.0, 9.0, "Z", None),  # outside, but the case names its grid: not flagged
            (None, 0.5, None, None),  # no longitude: missing
            (0.5, 0.5, None, "duplicate_id"),  # rejected: deleted, never located
            (200.0, 0.5, None, None),  # out of range: missing
            (1.25, 0.75, None, None),  # inside B
        ]
    )
    located, grids, _, source = locate_chunked(con, mapping, BOUNDARY, None, "squares.geojson", chunk_rows=2)
    assert source == "boundaries: squares.geojson" and list(grids["grid_id"]) == ["A", "B"]
    assert as_rows(located) == [
        (0.5, 0.5, None, "A"),
        (None, None, "placeholder", None),
        (9.0, 9.0, "outside", None),
        (9.0, 9.0, None, None),
        (None, None, "missing", None),
        (None, None, "missing", None),
        (1.25, 0.75, None, "B"),
    ]


@pytest.mark.parametrize("chunk_rows", [50, 2_000_000])
@pytest.mark.parametrize("geometry", ["boundaries", "h3"])
@pytest.mark.parametrize("coords", ["wgs84", "gcj02"])
def test_every_chunking_gives_the_whole_table_result(chunk_rows, geometry, coords):
    rng = np.random.default_rng(7)
    n = 600
    lon = np.round(rng.uniform(-0.5, 2.5, n), 2)  # few distinct points, many repeats, some outside
    lat = np.round(rng.uniform(-0.5, 1.5, n), 2)
    lon[::97], lat[::89] = np.nan, np.nan
    given = np.where(np.arange(n) % 13 == 0, "G", None)
    reasons = np.where(np.arange(n) % 101 == 0, "missing_id", None)
    con = staged(
        [
            (None if np.isnan(x) else float(x), None if np.isnan(y) else float(y), g, r)
            for x, y, g, r in zip(lon, lat, given, reasons)
        ]
    )
    mapping = dataclasses.replace(load_mapping("boston311"), coords=coords, placeholders=((0.25, 0.25),))
    boundary, h3 = (BOUNDARY, None) if geometry == "boundaries" else (None, 7)
    expected = locate_columns(con, mapping, boundary, h3, "squares")
    got = locate_chunked(con, mapping, boundary, h3, "squares", chunk_rows=chunk_rows)
    assert got[0].num_rows == n - int((reasons != None).sum())  # noqa: E711 (numpy comparison)
    assert as_rows(got[0]) == as_rows(expected[0])
    assert got[1].equals(expected[1]) and got[2:] == expected[2:]


@pytest.mark.parametrize("coords", ["wgs84", "gcj02"])
def test_a_lookup_built_from_more_points_gives_the_same_result(coords):
    """The import builds the boundary lookup from every mapped row, rejected ones included, before they are
    deleted: the located cases are those of a lookup built from the accepted rows alone."""
    rng = np.random.default_rng(11)
    n = 400
    lon, lat = np.round(rng.uniform(-0.5, 2.5, n), 2), np.round(rng.uniform(-0.5, 1.5, n), 2)
    lon[::37] = np.nan
    reasons = np.where(np.arange(n) % 3 == 0, "duplicate_id", None)  # a third rejected, points of their own
    lon[reasons != None] += 0.001  # noqa: E711 (numpy comparison)
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE mapped (lon DOUBLE, lat DOUBLE, grid_id VARCHAR, reject_reason VARCHAR)")
    con.executemany(
        "INSERT INTO mapped VALUES (?, ?, NULL, ?)",
        [(None if np.isnan(x) else float(x), float(y), r) for x, y, r in zip(lon, lat, reasons)],
    )
    mapping = dataclasses.replace(load_mapping("boston311"), coords=coords, placeholders=((0.25, 0.25),))
    everything = distinct_points(con, "mapped")
    lookup = boundary_lookup(everything, mapping, BOUNDARY)
    accept_in_place(con)
    assert len(distinct_points(con)[0]) < len(everything[0])
    expected = locate_chunked(con, mapping, BOUNDARY, None, "squares")
    got = locate_chunked(con, mapping, BOUNDARY, None, "squares", chunk_rows=50, lookup=lookup)
    assert as_rows(got[0]) == as_rows(expected[0]) and got[0].num_rows == n - int((reasons != None).sum())  # noqa: E711
    assert got[1].equals(expected[1]) and got[2:] == expected[2:]

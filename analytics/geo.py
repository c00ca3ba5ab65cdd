"""Geometry helpers on GeoJSON text columns (shapely; no DuckDB spatial extension offline)."""

from __future__ import annotations

import json

import pandas as pd
import shapely
from shapely.geometry import mapping, shape


def to_shapes(geojson: pd.Series) -> list:
    return [shape(json.loads(g)) if isinstance(g, str) else None for g in geojson]


def dissolve(grids: pd.DataFrame, tolerance: float = 0.00002) -> pd.DataFrame:
    """Union the grid polygons of each ``area_id`` into one geometry (GeoJSON text) with its centroid."""
    rows = []
    grids = grids.assign(area_name=grids["area_name"].fillna(grids["area_id"]))  # a nameless area keeps its id
    for (area_id, area_name), part in grids.groupby(["area_id", "area_name"], sort=True):
        merged = shapely.union_all([s for s in to_shapes(part["geometry"]) if s is not None])
        merged = shapely.make_valid(merged.simplify(tolerance, preserve_topology=True))
        point = merged.representative_point()
        rows.append(
            {
                "area_id": area_id,
                "area_name": area_name,
                "geometry": json.dumps(mapping(merged)),
                "centroid_lon": point.x,
                "centroid_lat": point.y,
            }
        )
    return pd.DataFrame(rows, columns=["area_id", "area_name", "geometry", "centroid_lon", "centroid_lat"])

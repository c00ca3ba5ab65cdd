"""Case locations: coordinate checks, placeholder detection and the point-in-grid join.

``location_flag`` is NULL for a case inside a grid, ``missing`` without usable
coordinates (empty, unparseable or out of range), ``placeholder`` at a source's
"not geocoded" stand-in (e.g. Boston City Hall) or at 0,0, and ``outside`` when
the point lies in no grid. Placeholder coordinates are not kept (they are not a
location); outside points keep theirs. The join is vectorised: distinct points
are queried once against an STRtree of the grid polygons (a point on a shared
edge goes to the grid with the smallest id).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from analytics.ingest.coords import to_wgs84

PLACEHOLDER_TOLERANCE = 1e-6  # degrees (~0.1 m): placeholders are exact stand-in values


def check_points(
    lon: pd.Series, lat: pd.Series, coords: str, placeholders: tuple[tuple[float, float], ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WGS84 lon, lat (NaN where unusable) and a flag per case: None, ``missing`` or ``placeholder``."""
    lon, lat = lon.to_numpy(float, na_value=np.nan), lat.to_numpy(float, na_value=np.nan)
    lon, lat, missing, placeholder = point_masks(lon, lat, coords, placeholders)
    flag = np.full(len(lon), None, dtype=object)
    flag[missing] = "missing"
    flag[placeholder] = "placeholder"
    return lon, lat, flag


def point_masks(
    lon: np.ndarray, lat: np.ndarray, coords: str, placeholders: tuple[tuple[float, float], ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """WGS84 lon, lat (NaN where unusable) and the boolean masks ``missing`` and ``placeholder``
    (disjoint) of float arrays with NaN for missing values."""
    missing = np.isnan(lon) | np.isnan(lat) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    placeholder = ~missing & (np.abs(lon) < PLACEHOLDER_TOLERANCE) & (np.abs(lat) < PLACEHOLDER_TOLERANCE)
    for p_lat, p_lon in placeholders:
        placeholder |= (np.abs(lat - p_lat) < PLACEHOLDER_TOLERANCE) & (np.abs(lon - p_lon) < PLACEHOLDER_TOLERANCE)
    placeholder &= ~missing
    unusable = missing | placeholder
    lon, lat = np.where(unusable, np.nan, lon), np.where(unusable, np.nan, lat)
    if coords != "wgs84":
        lon, lat = to_wgs84(lon, lat, coords)
    return lon, lat, missing, placeholder


def join_points(lon: np.ndarray, lat: np.ndarray, grid_geoms: np.ndarray) -> np.ndarray:
    """Index of the grid containing each point (-1 when none or when the point is NaN)."""
    out = np.full(len(lon), -1)
    ok = ~(np.isnan(lon) | np.isnan(lat))
    if not ok.any() or len(grid_geoms) == 0:
        return out
    pairs, inverse = np.unique(lon[ok] + 1j * lat[ok], return_inverse=True)  # distinct points, fast
    tree = shapely.STRtree(grid_geoms)
    point_idx, grid_idx = tree.query(shapely.points(pairs.real, pairs.imag), predicate="intersects")
    best = np.full(len(pairs), np.iinfo(np.int64).max)
    np.minimum.at(best, point_idx, grid_idx)  # smallest grid index (grids are sorted by id)
    best[best == np.iinfo(np.int64).max] = -1
    out[ok] = best[inverse.ravel()]
    return out

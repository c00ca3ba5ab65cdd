"""An H3 hexagon grid over the located cases, for sources without boundaries.

``grid_id`` is the H3 cell at the chosen resolution R; the hierarchy uses the
coarser H3 parents (community = R-1, street = R-2, district = R-3; NULL below
resolution 0). Names are the ids. Area is H3's exact cell area.

Examples
--------
>>> cells = cells_of(np.array([-71.0589]), np.array([42.3601]), 9)
>>> cells[0]
'892a3066037ffff'
"""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import shapely

from analytics.ingest.boundaries import GRID_COLUMNS
from analytics.ingest.errors import IngestError

PARENT_STEPS = {"community": 1, "street": 2, "district": 3}


def check_resolution(resolution: int) -> int:
    if not 0 <= int(resolution) <= 15:
        raise IngestError(f"--h3 resolution must be 0..15, got {resolution}")
    return int(resolution)


def cells_of(lon: np.ndarray, lat: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cell per point (object array; None where lon/lat is NaN), computed once per distinct point."""
    out = np.full(len(lon), None, dtype=object)
    ok = ~(np.isnan(lon) | np.isnan(lat))
    if not ok.any():
        return out
    pairs, inverse = np.unique(lon[ok] + 1j * lat[ok], return_inverse=True)
    unique_cells = np.array([h3.latlng_to_cell(p.imag, p.real, resolution) for p in pairs], dtype=object)
    out[ok] = unique_cells[inverse.ravel()]
    return out


def _polygon(cell: str) -> shapely.Polygon:
    ring = [(lng, lat) for lat, lng in h3.cell_to_boundary(cell)]
    return shapely.Polygon(ring + ring[:1])


def hex_grids(cells: np.ndarray, resolution: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The ``grids`` frame (sorted by cell) and WGS84 polygons for the distinct non-null ``cells``."""
    ids = sorted({c for c in cells if c is not None})
    grids = pd.DataFrame({"grid_id": ids, "grid_name": ids}, dtype=object)
    for level, step in PARENT_STEPS.items():
        parent_res = resolution - step
        parents = [h3.cell_to_parent(c, parent_res) if parent_res >= 0 else None for c in ids]
        grids[f"{level}_id"], grids[f"{level}_name"] = parents, parents
    geoms = shapely.orient_polygons(np.array([_polygon(c) for c in ids], dtype=object))
    centres = [h3.cell_to_latlng(c) for c in ids]
    grids["area_km2"] = [h3.cell_area(c, unit="km^2") for c in ids]
    grids["centroid_lon"] = [lng for _, lng in centres]
    grids["centroid_lat"] = [lat for lat, _ in centres]
    grids["geometry"] = shapely.to_geojson(geoms) if ids else []
    return grids[GRID_COLUMNS], geoms

"""The territory of the demo city: an irregular outline tiled by grid polygons.

Grids are Voronoi cells of jittered seed points (denser in the centre), clipped
to the outline in a local equal-area projection, noded and polygonized so that
neighbours share identical vertices, then transformed to WGS84 and rounded to
6 decimals. Because shared vertices are rounded identically, the rounded grids
still tile the territory exactly; they are checked and regenerated otherwise.
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPoint, Polygon

from analytics.demo.rng import stream

CENTRE_LON, CENTRE_LAT = 120.1, 30.25
HALF_WIDTH_M, HALF_HEIGHT_M = 6000.0, 5000.0
DECIMALS = 6
LOCAL_CRS = f"+proj=laea +lat_0={CENTRE_LAT} +lon_0={CENTRE_LON} +datum=WGS84 +units=m"

_TO_LONLAT = Transformer.from_crs(LOCAL_CRS, "EPSG:4326", always_xy=True)
_TO_LOCAL = Transformer.from_crs("EPSG:4326", LOCAL_CRS, always_xy=True)


def to_local(geoms: np.ndarray) -> np.ndarray:
    """WGS84 geometries in the local equal-area metric frame (metres)."""
    return shapely.transform(geoms, lambda xy: np.column_stack(_TO_LOCAL.transform(xy[:, 0], xy[:, 1])))


def to_lonlat(geoms: np.ndarray) -> np.ndarray:
    """Local metric geometries in WGS84 lon/lat, rounded to :data:`DECIMALS`."""

    def convert(xy: np.ndarray) -> np.ndarray:
        lon, lat = _TO_LONLAT.transform(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([lon, lat]), DECIMALS)

    return shapely.transform(geoms, convert)


def city_outline(rng: np.random.Generator) -> Polygon:
    """An irregular, star-shaped outline of about 12 × 10 km (local metres)."""
    theta = np.linspace(0.0, 2 * np.pi, 96, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(2, 7):
        radius += rng.normal(0.0, 0.07 / k) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    ring = np.column_stack([HALF_WIDTH_M * radius * np.cos(theta), HALF_HEIGHT_M * radius * np.sin(theta)])
    return Polygon(ring)


def seed_points(outline: Polygon, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` points inside ``outline``, denser towards the centre, then relaxed."""
    minx, miny, maxx, maxy = outline.bounds
    chosen = np.empty((0, 2))
    while len(chosen) < count:
        x, y = rng.uniform(minx, maxx, 4 * count), rng.uniform(miny, maxy, 4 * count)
        dist = np.hypot(x / HALF_WIDTH_M, y / HALF_HEIGHT_M)
        accept = rng.random(x.size) < (0.35 + np.exp(-(dist**2) / 0.25)) / 1.35
        keep = shapely.contains_xy(outline, x, y) & accept
        chosen = np.vstack([chosen, np.column_stack([x[keep], y[keep]])])
    points = chosen[:count]
    for _ in range(2):  # half-step Lloyd relaxation: fewer slivers, density kept
        cells = voronoi_cells(points, outline)
        centroids = shapely.get_coordinates(shapely.centroid(cells))
        points = 0.5 * points + 0.5 * centroids
    return points


def voronoi_cells(points: np.ndarray, outline: Polygon) -> np.ndarray:
    """Voronoi cell of each point clipped to ``outline``, in the order of ``points``."""
    cells = shapely.voronoi_polygons(MultiPoint(points), extend_to=outline.buffer(5000), ordered=True)
    return shapely.intersection(shapely.get_parts(cells), outline)


def noded_tiles(points: np.ndarray, outline: Polygon) -> np.ndarray:
    """One polygon per point; neighbours share exactly the same vertices.

    Clipped cells are noded together and polygonized; a piece without a seed
    (a cell cut in two by a concave outline) is merged into the neighbour with
    which it shares the longest boundary.
    """
    cells = voronoi_cells(points, outline)
    lines = shapely.unary_union(shapely.boundary(cells))
    pieces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    owner = np.full(len(pieces), -1)
    tree = shapely.STRtree(pieces)
    piece_idx, point_idx = tree.query(shapely.points(points), predicate="within")[::-1]
    owner[piece_idx] = point_idx
    tiles = np.empty(len(points), dtype=object)
    for i in np.flatnonzero(owner >= 0):
        tiles[owner[i]] = pieces[i]
    if any(tile is None for tile in tiles):
        return tiles  # a seed on an edge: the caller rejects this attempt
    for i in np.flatnonzero(owner < 0):
        shared = shapely.length(shapely.intersection(pieces[i].boundary, shapely.boundary(tiles)))
        target = int(np.argmax(shared))
        tiles[target] = shapely.union(tiles[target], pieces[i])
    return tiles


def tiling_error(tiles: np.ndarray) -> float:
    """Relative gap-or-overlap measure: |sum of areas - area of union| / area of union."""
    union_area = shapely.union_all(tiles).area
    return abs(float(shapely.area(tiles).sum()) - union_area) / union_area


def grid_polygons(count: int, seed: int, max_attempts: int = 20) -> np.ndarray:
    """``count`` valid WGS84 grid polygons (rounded) that tile the city exactly.

    Raises
    ------
    RuntimeError
        When no attempt gives valid, exactly tiling polygons (never seen in practice).
    """
    if count < 4:
        raise ValueError(f"the demo city needs at least 4 grids, got {count}")
    for attempt in range(max_attempts):
        rng = stream(seed, "geography", attempt)
        outline = city_outline(rng)
        local = noded_tiles(seed_points(outline, count, rng), outline)
        tiles = to_lonlat(local)
        single = (shapely.get_type_id(tiles) == 3).all()
        valid = shapely.is_valid(local).all() and shapely.is_valid(tiles).all()
        if single and valid and tiling_error(tiles) < 1e-12:
            return tiles
    raise RuntimeError(f"could not tile the demo city with {count} grids")

"""Boundary layers → the ``grids`` table.

The finest layer's polygons become grids; coarser layers (or attributes of the
finest layer) fill the hierarchy. Every layer is read with geopandas (GeoJSON,
Shapefile, GeoPackage …), given the CRS of ``--crs`` when its own is missing or
wrong, transformed to WGS84, optionally converted from GCJ-02/BD-09, and repaired
(``shapely.make_valid``, polygonal parts kept). Features sharing an id are never merged silently:
by the layer's ``duplicates`` rule they are kept apart (``suffix``, the default of the grid layer: the
second and later features get ``~2``, ``~3`` … after the id), merged into one area (``merge``, the default
of coarser layers, whose areas are often several polygons) or refused (``fail``); either way the
validation report names the ids.
A grid takes, per coarser layer, the parent polygon it overlaps most (by area, in an
equal-area projection).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from analytics.ingest.coords import geometries_to_wgs84
from analytics.ingest.errors import IngestError
from analytics.ingest.guard import boundary_format

LEVELS = ("community", "street", "district")
EQUAL_AREA = "EPSG:6933"  # WGS 84 / NSIDC EASE-Grid 2.0 Global (cylindrical equal-area)
GRID_COLUMNS = [
    "grid_id",
    "grid_name",
    "community_id",
    "community_name",
    "street_id",
    "street_name",
    "district_id",
    "district_name",
    "area_km2",
    "centroid_lon",
    "centroid_lat",
    "geometry",
]


@dataclass(frozen=True)
class Layer:
    """One boundary file: its id field, optional name field, CRS override and coordinate system."""

    path: Path
    id_field: str
    name_field: str | None = None
    crs: str | None = None
    coords: str = "wgs84"
    duplicates: str = "suffix"  # features sharing an id: "suffix" (kept apart), "merge" or "fail"


@dataclass(frozen=True)
class BoundarySpec:
    """The grid layer, coarser layers per level, and hierarchy taken from the grid layer's own fields."""

    grids: Layer
    parent_layers: dict[str, Layer] = field(default_factory=dict)
    parent_fields: dict[str, tuple[str, str | None]] = field(default_factory=dict)


@dataclass
class Areas:
    """Polygons of one layer: ids, names, WGS84 geometries, attributes; and how many were repaired."""

    ids: np.ndarray
    names: np.ndarray
    geoms: np.ndarray
    attributes: pd.DataFrame
    repaired: list[str]
    duplicates: dict[str, int] = field(default_factory=dict)  # repeated id -> features that had it


def _id_text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(values) and values.dropna().mod(1).eq(0).all():
        values = values.astype("Int64")
    return values.astype("str").str.strip()


def _read(layer: Layer) -> gpd.GeoDataFrame:
    if not layer.path.exists():
        raise IngestError(f"boundary file not found: {layer.path}")
    boundary_format(layer.path)  # by content: GeoJSON, Shapefile (zipped or not), GeoPackage; never VRT
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's notes; a real failure raises
            frame = gpd.read_file(layer.path)
    except Exception as exc:  # pyogrio/GDAL/GEOS raise many types; all mean "cannot read this file"
        raise IngestError(f"{layer.path.name}: cannot read the boundary file: {exc}") from None
    if frame.empty:
        raise IngestError(f"{layer.path.name}: the boundary file has no features")
    for name in (layer.id_field, layer.name_field):
        if name and name not in frame.columns:
            fields = ", ".join(c for c in frame.columns if c != "geometry")
            raise IngestError(f"{layer.path.name}: no field {name!r}; its fields are: {fields}")
    missing = frame.geometry.isna() | frame.geometry.is_empty
    if missing.any():
        raise IngestError(
            f"{layer.path.name}: feature {_id_text(frame[layer.id_field])[missing].iloc[0]!r} "
            "has no geometry (or an unreadable one)"
        )
    return frame


def _to_wgs84(frame: gpd.GeoDataFrame, layer: Layer) -> gpd.GeoDataFrame:
    if layer.crs:
        try:
            frame = frame.set_crs(pyproj.CRS.from_user_input(layer.crs), allow_override=True)
        except pyproj.exceptions.CRSError as exc:
            raise IngestError(f"--crs {layer.crs!r} is not a known CRS: {exc}") from None
    elif frame.crs is None:
        frame = frame.set_crs("EPSG:4326")
    frame = frame.to_crs("EPSG:4326")
    minx, miny, maxx, maxy = frame.total_bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise IngestError(
            f"{layer.path.name}: the coordinates are not longitude/latitude after reading it as "
            f"{frame.crs.to_string()} (bounds {minx:.0f}, {miny:.0f}, {maxx:.0f}, {maxy:.0f}); "
            "its CRS is missing or wrong: pass the right one with --crs (e.g. EPSG:2249)"
        )
    return frame


def polygonal(geom):
    """The polygonal part of a geometry (after ``make_valid`` a collection may hold lines or points)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon") and not p.is_empty]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def _repair(ids: np.ndarray, geoms: np.ndarray, name: str) -> tuple[np.ndarray, list[str]]:
    invalid = ~shapely.is_valid(geoms)
    geoms = geoms.copy()
    for i in np.flatnonzero(invalid | ~np.isin(shapely.get_type_id(geoms), (3, 6))):
        fixed = polygonal(shapely.make_valid(geoms[i]))
        if fixed is None:
            raise IngestError(
                f"{name}: the geometry of feature {ids[i]!r} is not a polygon and cannot be "
                f"repaired into one ({shapely.get_type_id(geoms[i])=}, {geoms[i].wkt[:80]}…)"
            )
        geoms[i] = fixed
    return shapely.orient_polygons(geoms), [str(i) for i in ids[invalid]]


DUPLICATE_RULES = ("suffix", "merge", "fail")


def _resolve_duplicates(table: pd.DataFrame, attributes: pd.DataFrame, layer: Layer, duplicates: dict[str, int]):
    """Apply the layer's rule to features sharing an id (``table``: id, name, geom in file order)."""
    named = ", ".join(f"{i!r} ×{n}" for i, n in list(duplicates.items())[:10])
    if layer.duplicates == "fail":
        raise IngestError(
            f"{layer.path.name}: {len(duplicates)} id(s) of {layer.id_field!r} are used by more than one "
            f"feature: {named}; make them unique, or keep them apart (suffix) or merge them"
        )
    if layer.duplicates == "merge":
        first = table.groupby("id", sort=False).head(1).index
        merged = table.groupby("id", sort=False)["geom"].agg(lambda g: shapely.union_all(g.to_numpy()))
        return table.loc[first].assign(geom=merged.loc[table.loc[first, "id"]].to_numpy()), attributes.loc[first]
    if layer.duplicates != "suffix":
        raise IngestError(f"unknown rule for repeated boundary ids {layer.duplicates!r}; one of {DUPLICATE_RULES}")
    taken, ids, names = set(table["id"]), [], []
    seen: dict[str, int] = {}
    for area_id, name in zip(table["id"], table["name"]):
        seen[area_id] = seen.get(area_id, 0) + 1
        if seen[area_id] == 1:
            ids.append(area_id)
            names.append(name)
            continue
        k = seen[area_id]
        while f"{area_id}~{k}" in taken:
            k += 1
        taken.add(f"{area_id}~{k}")
        ids.append(f"{area_id}~{k}")
        names.append(f"{name} ({k})")
    return table.assign(id=ids, name=names), attributes


def read_areas(layer: Layer) -> Areas:
    """Read, reproject, convert and repair one layer; merge features that share an id."""
    frame = _to_wgs84(_read(layer), layer)
    ids = _id_text(frame[layer.id_field])
    if ids.isna().any():
        raise IngestError(f"{layer.path.name}: {int(ids.isna().sum())} feature(s) have no {layer.id_field!r}")
    names = _id_text(frame[layer.name_field]).fillna(ids) if layer.name_field else ids
    geoms = geometries_to_wgs84(np.asarray(frame.geometry.values, dtype=object), layer.coords)
    geoms, repaired = _repair(ids.to_numpy(object), geoms, layer.path.name)
    attributes = pd.DataFrame(frame.drop(columns="geometry")).reset_index(drop=True)
    table = pd.DataFrame({"id": ids.to_numpy(object), "name": names.to_numpy(object), "geom": geoms})
    counts = table["id"].value_counts()
    duplicates = {str(i): int(n) for i, n in counts[counts > 1].sort_index().items()}
    if duplicates:
        table, attributes = _resolve_duplicates(table, attributes, layer, duplicates)
    order = np.argsort(table["id"].to_numpy(str), kind="stable")
    return Areas(
        table["id"].to_numpy(object)[order],
        table["name"].to_numpy(object)[order],
        table["geom"].to_numpy(object)[order],
        attributes.iloc[order].reset_index(drop=True),
        repaired,
        duplicates,
    )


def _equal_area(geoms: np.ndarray) -> np.ndarray:
    return gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(EQUAL_AREA).to_numpy()


def assign_parents(children: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """Index of the parent overlapping each child most (-1 when none), from equal-area geometries."""
    tree = shapely.STRtree(parents)
    child_idx, parent_idx = tree.query(children, predicate="intersects")
    best = np.full(len(children), -1)
    if child_idx.size:
        overlap = shapely.area(shapely.intersection(children[child_idx], parents[parent_idx]))
        order = np.lexsort((parent_idx, -overlap, child_idx))  # per child: largest overlap, then lowest index
        first = np.unique(child_idx[order], return_index=True)[1]
        chosen = order[first]
        keep = overlap[chosen] > 0
        best[child_idx[chosen][keep]] = parent_idx[chosen][keep]
    return best


def build_grids(spec: BoundarySpec, city_name: str | None = None) -> tuple[pd.DataFrame, np.ndarray, dict, list[dict]]:
    """The ``grids`` frame (sorted by id), the WGS84 geometries aligned with it, the repaired ids per file,
    and one entry per layer with repeated ids (``file``, ``rule``, ``ids``: id -> feature count)."""
    finest = read_areas(spec.grids)
    grids = pd.DataFrame({"grid_id": finest.ids, "grid_name": finest.names})
    repaired = {spec.grids.path.name: finest.repaired}
    duplicates = []
    if finest.duplicates:
        duplicates.append({"file": spec.grids.path.name, "rule": spec.grids.duplicates, "ids": finest.duplicates})
    projected = _equal_area(finest.geoms)
    for level, (id_field, name_field) in spec.parent_fields.items():
        for name in (id_field, name_field):
            if name and name not in finest.attributes.columns:
                raise IngestError(f"{spec.grids.path.name}: no field {name!r} for the {level} level")
        ids = _id_text(finest.attributes[id_field])
        grids[f"{level}_id"] = ids.to_numpy(object)
        grids[f"{level}_name"] = (_id_text(finest.attributes[name_field]).fillna(ids) if name_field else ids).to_numpy(
            object
        )
    for level, layer in spec.parent_layers.items():
        parents = read_areas(layer)
        repaired[layer.path.name] = parents.repaired
        if parents.duplicates:
            duplicates.append({"file": layer.path.name, "rule": layer.duplicates, "ids": parents.duplicates})
        best = assign_parents(projected, _equal_area(parents.geoms))
        grids[f"{level}_id"] = np.where(best >= 0, parents.ids[best], None)
        grids[f"{level}_name"] = np.where(best >= 0, parents.names[best], None)
    for level in LEVELS:
        if f"{level}_id" not in grids:
            value = city_name if level == "district" else None
            grids[f"{level}_id"], grids[f"{level}_name"] = value, value
    centroids = shapely.centroid(finest.geoms)
    grids["area_km2"] = shapely.area(projected) / 1e6
    grids["centroid_lon"], grids["centroid_lat"] = shapely.get_x(centroids), shapely.get_y(centroids)
    grids["geometry"] = shapely.to_geojson(finest.geoms)
    return grids[GRID_COLUMNS], finest.geoms, repaired, duplicates

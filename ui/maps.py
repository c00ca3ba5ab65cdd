"""pydeck map builders: returned objects are testable without a server.

Offline first: ``map_provider=None`` draws no base map and fetches nothing; area
polygons on a plain background read as the map.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pydeck as pdk

from analytics.scoring import STATUS_COLORS


class CompactDeck(pdk.Deck):
    """A ``pdk.Deck`` whose JSON has no indentation and keeps Chinese text as UTF-8: pydeck indents by 2 spaces,
    which more than doubles what a map of thousands of grids sends to the browser, and ``\\uXXXX`` escapes take
    6 bytes a character where UTF-8 takes 3 (area names and tooltips are most of a 10,000-grid map's bytes)."""

    def to_json(self) -> str:
        from pydeck.bindings.json_tools import default_serialize

        return json.dumps(self, default=default_serialize, separators=(",", ":"), ensure_ascii=False)


class SerializedDeck:
    """A deck already turned into JSON, which ``st.pydeck_chart`` draws like the ``pdk.Deck`` it came from: it can
    be kept in ``st.cache_data`` (a string and the tooltip) so a rerun does not build and serialize the map again."""

    layers = ()

    def __init__(self, spec: str, tooltip: dict | None) -> None:
        self.spec, self._tooltip = spec, tooltip

    @classmethod
    def of(cls, deck: pdk.Deck) -> SerializedDeck:
        tooltip = getattr(deck, "_tooltip", None)
        return cls(deck.to_json(), tooltip if isinstance(tooltip, dict) else None)

    def to_json(self) -> str:
        return self.spec


def outer_rings(geojson: pd.Series, digits: int = 5) -> list[list]:
    """Per GeoJSON text, its outer rings (one per polygon of a MultiPolygon; none for other types) as lists of
    [lon, lat] rounded to 5 decimals (about 1 m: enough for a grid map, a third of the characters), without the
    closing point (deck.gl's PolygonLayer closes rings itself). Parsed and rounded for all areas at once.

    Examples
    --------
    >>> outer_rings(pd.Series(['{"type":"Polygon","coordinates":[[[0,0],[1,0.123456],[1,1],[0,0]],[[0.2,0.2],'
    ...                        '[0.3,0.2],[0.3,0.3],[0.2,0.2]]]}', '{"type":"Point","coordinates":[0,0]}']))
    [[[[0.0, 0.0], [1.0, 0.12346], [1.0, 1.0]]], []]
    """
    import shapely

    shapes = shapely.from_geojson(geojson.to_numpy())
    polygonal = np.flatnonzero(np.isin(shapely.get_type_id(shapes), (3, 6)))  # Polygon, MultiPolygon
    parts, owner = shapely.get_parts(shapes[polygonal], return_index=True)
    coords, ring = shapely.get_coordinates(shapely.get_exterior_ring(parts), return_index=True)
    out: list[list] = [[] for _ in range(len(shapes))]
    if not len(coords):
        return out
    coords = np.round(coords, digits)
    counts = np.bincount(ring, minlength=len(parts))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int)
    ends = starts + counts
    last = np.maximum(ends - 1, 0)
    closed = (counts > 3) & (coords[starts.clip(max=len(coords) - 1)] == coords[last]).all(axis=1)
    listed = coords.tolist()
    for area, start, end in zip(polygonal[owner].tolist(), starts.tolist(), (ends - closed).tolist()):
        out[area].append(listed[start:end])
    return out


def with_polygons(geoms: pd.DataFrame) -> pd.DataFrame:
    """``geoms`` plus ``polygon``: the outer rings, rounded, parsed once from the GeoJSON (cache the result:
    every map of the level reuses it)."""
    if "polygon" in geoms:
        return geoms
    return geoms.assign(polygon=outer_rings(geoms["geometry"]) if len(geoms) else [])


def polygon_rows(geoms: pd.DataFrame, values: pd.DataFrame, on: str = "area_id") -> pd.DataFrame:
    """One row per outer ring (MultiPolygons exploded), with the columns of ``values`` joined on ``on``."""
    merged = with_polygons(geoms).merge(values, on=on, how="left", suffixes=("", "_v"))
    return merged.explode("polygon", ignore_index=True).dropna(subset=["polygon"]).drop(columns=["geometry"])


def bounds_of(geoms: pd.DataFrame) -> tuple[float, float, float, float]:
    """West, south, east, north of every outer ring (the areas themselves, not only their centroids)."""
    points = [point for rings in with_polygons(geoms)["polygon"] for ring in rings for point in ring]
    if not points:
        lon, lat = geoms["centroid_lon"], geoms["centroid_lat"]
        return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())
    array = np.asarray(points, dtype=float)[:, :2]  # one array of every vertex, not one per ring
    (west, south), (east, north) = array.min(axis=0), array.max(axis=0)
    return float(west), float(south), float(east), float(north)


def view_for(geoms: pd.DataFrame, width_px: int = 1000, height_px: int = 560) -> pdk.ViewState:
    """A view that fits every area, with a small margin."""
    west, south, east, north = bounds_of(geoms)
    lon_span = max(east - west, 0.005) * 1.08
    lat_span = max(north - south, 0.005) * 1.08
    lat_mid = (south + north) / 2
    # deck.gl's zoom 0 shows the world 512 px wide; latitude spans stretch by 1 / cos(latitude)
    zoom_lon = math.log2(360 * width_px / 512 / lon_span)
    zoom_lat = math.log2(360 * height_px / 512 / (lat_span / max(math.cos(math.radians(lat_mid)), 0.2)))
    return pdk.ViewState(
        longitude=(west + east) / 2, latitude=lat_mid, zoom=min(zoom_lon, zoom_lat) - 0.1, pitch=0, bearing=0
    )


def bitmap_layer(image: str, bounds: list[float], layer_id: str = "basemap") -> pdk.Layer:
    """A stitched base-map image (data URL) under the areas."""
    return pdk.Layer("BitmapLayer", image=image, bounds=bounds, id=layer_id, opacity=0.9)


def with_base(layers: list[pdk.Layer], base: tuple[str, list[float]] | None) -> list[pdk.Layer]:
    return ([bitmap_layer(*base)] if base else []) + layers


def short_keys(rows: pd.DataFrame, tooltip_html: str) -> tuple[pd.DataFrame, str]:
    """``rows`` with ``polygon`` → ``p``, ``fill`` → ``f`` and the other columns → ``c0``, ``c1``, …, and the
    tooltip's ``{column}`` placeholders renamed the same way.

    Examples
    --------
    >>> frame = pd.DataFrame({"polygon": [[]], "fill": [[0, 0, 0]], "area_name": ["x"]})
    >>> short, html = short_keys(frame, "<b>{area_name}</b>")
    >>> list(short.columns), html
    (['p', 'f', 'c0'], '<b>{c0}</b>')
    """
    names = {"polygon": "p", "fill": "f"}
    names.update({c: f"c{i}" for i, c in enumerate(c for c in rows.columns if c not in names)})
    for long, short in names.items():
        tooltip_html = tooltip_html.replace("{" + long + "}", "{" + short + "}")
    return rows.rename(columns=names), tooltip_html


def _fills(colours) -> list[list]:
    """RGB(A) lists per row; an area without a colour (no value joined) drawn light grey."""
    return [list(c) if isinstance(c, (list, tuple)) else [235, 238, 242, 200] for c in colours]


def _polygon_layer(data: pd.DataFrame, layer_id: str) -> pdk.Layer:
    """Filled, outlined, pickable polygons from :func:`short_keys` rows (``p`` rings, ``f`` fills)."""
    return pdk.Layer(
        "PolygonLayer",
        data=_records(data),
        get_polygon="p",
        get_fill_color="f",
        get_line_color=[255, 255, 255, 230],
        line_width_min_pixels=1,
        stroked=True,
        filled=True,
        pickable=True,
        auto_highlight=True,
        id=layer_id,
    )


def _records(frame: pd.DataFrame) -> list[dict]:
    """``frame.to_dict(orient="records")`` (what pydeck does with a frame), built column-wise: several times
    faster at 10,000 rows."""
    columns = list(frame.columns)
    return [dict(zip(columns, values)) for values in zip(*(frame[c].tolist() for c in columns))]


def area_map(
    geoms: pd.DataFrame,
    values: pd.DataFrame,
    colour: pd.Series | str,
    tooltip_html: str,
    keep: list[str],
    height: int = 560,
    layer_id: str = "areas",
    base: tuple[str, list[float]] | None = None,
) -> pdk.Deck:
    """Areas filled with an RGB(A) list per row (``colour`` column of ``values`` after the join), with a tooltip.

    ``keep`` names the joined columns the tooltip uses; nothing else is sent to the browser, and under short keys
    (:func:`short_keys`): every row repeats its keys, a third of a 10,000-grid map's bytes with the long names.
    """
    rows = polygon_rows(geoms, values)
    rows["fill"] = rows[colour] if isinstance(colour, str) else colour
    rows["fill"] = _fills(rows["fill"])
    data, tooltip_html = short_keys(rows[["polygon", "fill", *keep]], tooltip_html)
    layer = _polygon_layer(data, layer_id)
    return CompactDeck(
        layers=with_base([layer], base),
        initial_view_state=view_for(geoms, height_px=height),
        map_provider=None,
        tooltip={"html": tooltip_html, "style": {"fontSize": "14px"}},
    )


def paired_area_map(
    geoms: pd.DataFrame,
    left: pd.DataFrame,
    right: pd.DataFrame,
    tooltip_html: str,
    keep: list[str],
    height: int = 460,
    width_px: int = 1440,
    layer_id: str = "paired-areas",
    base: tuple[str, list[float]] | None = None,
) -> pdk.Deck:
    """Two maps of the same areas side by side in ONE deck: the ``right`` panel is the areas moved east by half
    the map's visible width, so pan and zoom move both together.

    ``left`` and ``right`` hold ``area_id``, ``fill`` (RGB(A) lists) and the ``keep`` columns the tooltip uses. One
    map instead of two halves what the browser sets up (a WebGL context, shaders, picking buffers): in the software
    WebGL of the benchmark machine a second map cost about as much as the rest of the hotspot page.
    """
    west, south, east, north = bounds_of(geoms)
    # each panel fitted into half the map's width; the right one moved by half the visible span, so the two sit
    # under the two halves of the page (a map ``width_px`` wide shows them centred at 25 % and 75 %)
    view = view_for(geoms, width_px=width_px // 2, height_px=height)
    shift = 360 * width_px / 512 / 2**view.zoom / 2
    rows_left = polygon_rows(geoms, left)
    rows_right = polygon_rows(geoms, right)
    rows_right["polygon"] = [[[x + shift, y] for x, y in ring] for ring in rows_right["polygon"]]
    rows = pd.concat([rows_left, rows_right], ignore_index=True)
    rows["fill"] = _fills(rows["fill"])
    data, tooltip_html = short_keys(rows[["polygon", "fill", *keep]], tooltip_html)
    layer = _polygon_layer(data, layer_id)
    images = []
    if base:
        image, (b_west, b_south, b_east, b_north) = base
        moved = [b_west + shift, b_south, b_east + shift, b_north]
        images = [bitmap_layer(image, [b_west, b_south, b_east, b_north]), bitmap_layer(image, moved, "basemap-right")]
    view.longitude += shift / 2
    return CompactDeck(
        layers=[*images, layer],
        initial_view_state=view,
        map_provider=None,
        tooltip={"html": tooltip_html, "style": {"fontSize": "14px"}},
    )


def status_map(
    geoms: pd.DataFrame,
    scored: pd.DataFrame,
    status_labels: dict[str, str],
    tooltip_html: str,
    height: int = 560,
    base: tuple[str, list[float]] | None = None,
) -> pdk.Deck:
    """Areas coloured by status (green/amber/red/grey) with a tooltip per area."""
    shown = ["area_id", "status", "score", "grade", "due_to_close", "open_overdue", "reported"]
    values = scored[shown].assign(  # only what the map shows is joined to the rings (not ~60 metric columns)
        status=scored["status"].fillna("grey"),
        status_label=scored["status"].fillna("grey").map(status_labels),
        score_text=scored["score"].map(lambda v: "—" if pd.isna(v) else f"{v:.1f}"),
        grade_text=scored["grade"].fillna("—").astype(str),
    )
    values["fill"] = values["status"].map(lambda s: STATUS_COLORS[s] + [200])
    keep = [
        "area_id",
        "area_name",
        "status_label",
        "score_text",
        "grade_text",
        "due_to_close",
        "open_overdue",
        "reported",
    ]
    return area_map(geoms, values, "fill", tooltip_html, keep, height, "status-areas", base)

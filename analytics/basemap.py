"""An optional base map from a configured tile server (e.g. an intranet 天地图 or OSM-compatible server).

The server side fetches the XYZ tiles covering the area once, stitches them into one
image and hands the browser a data URL for a deck.gl ``BitmapLayer``: the browser
itself never contacts the tile server, and with no tile URL configured nothing is
fetched at all (the map draws area boundaries on a plain background).
"""

from __future__ import annotations

import base64
import io
import math
import urllib.request

from PIL import Image

TILE_SIZE = 256


def tile_xy(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Fractional XYZ tile coordinates of a WGS84 point (Web Mercator).

    Examples
    --------
    >>> tile_xy(0.0, 0.0, 1)
    (1.0, 1.0)
    """
    n = 2**zoom
    lat = max(min(lat, 85.0511), -85.0511)
    x = (lon + 180.0) / 360.0 * n
    y = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    return x, y


def tile_lonlat(x: float, y: float, zoom: int) -> tuple[float, float]:
    """WGS84 lon/lat of the north-west corner of tile coordinates ``(x, y)``."""
    n = 2**zoom
    lon = x / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return lon, lat


def choose_zoom(bbox: tuple[float, float, float, float], width_px: int = 1600, max_zoom: int = 18) -> int:
    """The largest zoom at which the bbox is at most ``width_px`` wide."""
    west, _, east, _ = bbox
    span = max(east - west, 1e-6)
    return max(0, min(max_zoom, int(math.floor(math.log2(width_px / TILE_SIZE * 360.0 / span)))))


def compose(
    tile_url: str,
    bbox: tuple[float, float, float, float],
    zoom: int | None = None,
    timeout: float = 3.0,
    max_tiles: int = 100,
) -> tuple[str, list[float]]:
    """Fetch and stitch the tiles of ``bbox`` (west, south, east, north).

    Returns a PNG data URL and its bounds ``[west, south, east, north]`` for a ``BitmapLayer``.
    Raises ``ValueError`` on a bad template or too many tiles, ``OSError`` when the server fails.
    """
    if not all(part in tile_url for part in ("{x}", "{y}", "{z}")):
        raise ValueError(f"tile URL must contain {{x}}, {{y}} and {{z}}: {tile_url!r}")
    zoom = choose_zoom(bbox) if zoom is None else zoom
    west, south, east, north = bbox
    x0, y0 = (int(v) for v in tile_xy(west, north, zoom))
    x1, y1 = (int(v) for v in tile_xy(east, south, zoom))
    count = (x1 - x0 + 1) * (y1 - y0 + 1)
    if count > max_tiles:
        raise ValueError(f"{count} tiles at zoom {zoom} exceed the limit of {max_tiles}")
    canvas = Image.new("RGBA", ((x1 - x0 + 1) * TILE_SIZE, (y1 - y0 + 1) * TILE_SIZE), (255, 255, 255, 0))
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            url = tile_url.format(x=x, y=y, z=zoom)
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (configured server)
                tile = Image.open(io.BytesIO(response.read())).convert("RGBA")
            canvas.paste(tile.resize((TILE_SIZE, TILE_SIZE)), ((x - x0) * TILE_SIZE, (y - y0) * TILE_SIZE))
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    nw_lon, nw_lat = tile_lonlat(x0, y0, zoom)
    se_lon, se_lat = tile_lonlat(x1 + 1, y1 + 1, zoom)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode(), [nw_lon, se_lat, se_lon, nw_lat]

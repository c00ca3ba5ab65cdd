"""The optional tile base map: tiles fetched server-side from a local tile server and stitched."""

from __future__ import annotations

import base64
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from analytics.basemap import compose, tile_lonlat, tile_xy


class TileHandler(BaseHTTPRequestHandler):
    requested: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        TileHandler.requested.append(self.path)
        z, x, y = (int(p) for p in self.path.strip("/").removesuffix(".png").split("/"))
        buffer = io.BytesIO()
        Image.new("RGB", (256, 256), ((x * 40) % 256, (y * 40) % 256, 200)).save(buffer, format="PNG")
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(buffer.getvalue())

    def log_message(self, *args):
        pass


@pytest.fixture()
def tile_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), TileHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    TileHandler.requested = []
    yield f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    server.shutdown()


def test_tile_math_round_trip():
    x, y = tile_xy(120.15, 30.25, 12)
    lon, lat = tile_lonlat(x, y, 12)
    assert lon == pytest.approx(120.15) and lat == pytest.approx(30.25)


def test_compose_stitches_the_covering_tiles(tile_server):
    bbox = (120.05, 30.20, 120.25, 30.32)
    image, bounds = compose(tile_server, bbox, zoom=12)
    x0, y0 = (int(v) for v in tile_xy(bbox[0], bbox[3], 12))
    x1, y1 = (int(v) for v in tile_xy(bbox[2], bbox[1], 12))
    assert len(TileHandler.requested) == (x1 - x0 + 1) * (y1 - y0 + 1)
    png = Image.open(io.BytesIO(base64.b64decode(image.split(",", 1)[1])))
    assert png.size == ((x1 - x0 + 1) * 256, (y1 - y0 + 1) * 256)
    west, south, east, north = bounds
    assert west <= bbox[0] < bbox[2] <= east and south <= bbox[1] < bbox[3] <= north


def test_bad_template_and_unreachable_server():
    with pytest.raises(ValueError, match="must contain"):
        compose("http://127.0.0.1:9/tiles.png", (120.0, 30.0, 120.1, 30.1))
    with pytest.raises(OSError):
        compose("http://127.0.0.1:9/{z}/{x}/{y}.png", (120.0, 30.0, 120.1, 30.1), zoom=10, timeout=1)

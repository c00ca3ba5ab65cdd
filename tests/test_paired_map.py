"""The hotspot page's two maps are two panels of ONE deck: the right panel is the same areas moved east, and each
panel sits under its half of the page."""

from __future__ import annotations

import json

import pandas as pd
from shapely.geometry import box, mapping

from tests.test_pages import run_page
from ui.maps import paired_area_map

WIDTH, HEIGHT = 1440, 460


def _geoms() -> pd.DataFrame:
    # two areas side by side: [120.00, 120.01] × [30.00, 30.02] and [120.01, 120.03] × [30.00, 30.02]
    boxes = [box(120.00, 30.00, 120.01, 30.02), box(120.01, 30.00, 120.03, 30.02)]
    return pd.DataFrame(
        {
            "area_id": ["a", "b"],
            "area_name": ["Area A", "Area B"],
            "geometry": [json.dumps(mapping(b)) for b in boxes],
            "centroid_lon": [120.005, 120.02],
            "centroid_lat": [30.01, 30.01],
        }
    )


def _deck():
    geoms = _geoms()
    left = pd.DataFrame({"area_id": ["a", "b"], "fill": [[1, 2, 3], [4, 5, 6]], "gi": ["hot", "none"]})
    right = pd.DataFrame({"area_id": ["a", "b"], "fill": [[7, 8, 9], [10, 11, 12]], "gi": ["hot", "none"]})
    return paired_area_map(geoms, left, right, "<b>{area_name}</b><br/>{gi}", ["area_name", "gi"], HEIGHT, WIDTH)


def _pixel_x(lon: float, view: dict) -> float:
    """Web Mercator: a map ``WIDTH`` px wide shows 360° × WIDTH / (512 · 2^zoom) of longitude, centred on the view."""
    return WIDTH / 2 + (lon - view["longitude"]) * 512 * 2 ** view["zoom"] / 360


def test_the_right_panel_is_the_same_areas_moved_east_with_its_own_colours():
    spec = json.loads(_deck().to_json())
    (layer,) = spec["layers"]
    rows = layer["data"]
    assert len(rows) == 4  # two areas, twice
    left, right = rows[:2], rows[2:]
    assert [r["f"] for r in left] == [[1, 2, 3], [4, 5, 6]] and [r["f"] for r in right] == [[7, 8, 9], [10, 11, 12]]
    shifts = {round(rp[0] - lp[0], 9) for lr, rr in zip(left, right) for lp, rp in zip(lr["p"], rr["p"])}
    assert len(shifts) == 1 and shifts.pop() > 0.03  # one eastward move, wider than the territory (0.03°)
    assert all(lp[1] == rp[1] for lr, rr in zip(left, right) for lp, rp in zip(lr["p"], rr["p"]))  # same latitudes
    assert [r["c0"] for r in rows] == ["Area A", "Area B", "Area A", "Area B"]
    assert spec["initialViewState"]["pitch"] == 0


def test_each_panel_sits_inside_its_half_centred_at_a_quarter_and_three_quarters():
    spec = json.loads(_deck().to_json())
    view = spec["initialViewState"]
    lons = [p[0] for row in spec["layers"][0]["data"] for p in row["p"]]
    west, east = min(lons), max(lons)
    territory = 0.03  # 120.00 … 120.03
    left_panel = (_pixel_x(west, view), _pixel_x(west + territory, view))
    right_panel = (_pixel_x(east - territory, view), _pixel_x(east, view))
    assert 0 < left_panel[0] < left_panel[1] < WIDTH / 2 < right_panel[0] < right_panel[1] < WIDTH
    assert abs(sum(left_panel) / 2 - WIDTH / 4) < 1 and abs(sum(right_panel) / 2 - 3 * WIDTH / 4) < 1


def test_the_hotspot_page_draws_one_map_with_both_panels(demo_env):
    at = run_page("pages/hotspots.py", "en")
    assert not at.exception and not at.error
    decks = at.get("deck_gl_json_chart")
    assert len(decks) == 1
    spec = json.loads(decks[0].proto.json)
    polygons = [layer for layer in spec["layers"] if layer["@@type"] == "PolygonLayer"]
    assert len(polygons) == 1
    rows = polygons[0]["data"]
    names = [row["c0"] for row in rows]
    assert len(rows) % 2 == 0 and names[: len(rows) // 2] == names[len(rows) // 2 :]  # every ring once per panel
    tooltip = json.loads(decks[0].proto.tooltip)["html"]
    assert "Gi* z: {c2}" in tooltip and tooltip.endswith("<br/>{c4}")  # the tooltip gives both analyses
    classes = {row["c4"] for row in rows}
    assert "No pattern" in classes and not any("_" in c or "⟦" in c for c in classes)  # names, not codes
    headers = [h.value for h in at.subheader]
    assert any("Gi*" in h for h in headers) and any("emerging" in h.lower() for h in headers)

"""GCJ-02 / BD-09 ↔ WGS84 against published coordinate pairs, and round trips."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from analytics.ingest import coords

# wandergis/coordtransform README: every conversion of (116.404, 39.915), lon/lat
COORDTRANSFORM = {
    "wgs84_to_gcj02": (116.41024449916938, 39.91640428150164),
    "gcj02_to_bd09": (116.41036949371029, 39.92133699351021),
    "bd09_to_gcj02": (116.39762729119315, 39.90865673957631),
    "gcj02_to_wgs84": (116.39775550083061, 39.91359571849836),  # their one-step inverse (~3 cm off exact)
}
# googollee/eviltransform tests: (wgs lat, wgs lng, gcj lat, gcj lng)
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]
METRE_IN_DEGREES = 1 / 111_000


@pytest.mark.parametrize("name", ["wgs84_to_gcj02", "gcj02_to_bd09", "bd09_to_gcj02"])
def test_closed_forms_match_the_published_pairs(name):
    lon, lat = getattr(coords, name)(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx(COORDTRANSFORM[name], abs=1e-9)


def test_gcj02_inverse_agrees_with_the_published_approximation_within_10_cm():
    lon, lat = coords.gcj02_to_wgs84(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx(COORDTRANSFORM["gcj02_to_wgs84"], abs=0.1 * METRE_IN_DEGREES)


@pytest.mark.parametrize("wgs_lat, wgs_lng, gcj_lat, gcj_lng", EVILTRANSFORM)
def test_wgs_to_gcj_matches_eviltransform(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    lon, lat = coords.wgs84_to_gcj02(wgs_lng, wgs_lat)
    assert (float(lon), float(lat)) == pytest.approx((gcj_lng, gcj_lat), abs=1e-9)
    back_lon, back_lat = coords.gcj02_to_wgs84(gcj_lng, gcj_lat)
    assert (float(back_lon), float(back_lat)) == pytest.approx((wgs_lng, wgs_lat), abs=0.01 * METRE_IN_DEGREES)


def test_round_trips_stay_within_a_metre_across_china():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(74, 134, 2000), rng.uniform(18, 53, 2000)
    for forward, backward in [
        (coords.wgs84_to_gcj02, coords.gcj02_to_wgs84),
        (coords.wgs84_to_bd09, coords.bd09_to_wgs84),
    ]:
        back_lon, back_lat = backward(*forward(lon, lat))
        assert np.abs(back_lon - lon).max() < METRE_IN_DEGREES
        assert np.abs(back_lat - lat).max() < METRE_IN_DEGREES


def test_the_offset_is_hundreds_of_metres_inside_china_and_zero_outside():
    lon, lat = coords.wgs84_to_gcj02(np.array([116.404, -71.0589]), np.array([39.915, 42.3601]))
    assert 200 * METRE_IN_DEGREES < abs(lon[0] - 116.404) < 1000 * METRE_IN_DEGREES
    assert (lon[1], lat[1]) == (-71.0589, 42.3601)


def test_to_wgs84_keeps_nan_and_rejects_unknown_systems():
    lon, lat = coords.to_wgs84([np.nan, 116.41024449916938], [np.nan, 39.91640428150164], "gcj02")
    assert np.isnan(lon[0]) and np.isnan(lat[0])
    assert (lon[1], lat[1]) == pytest.approx((116.404, 39.915), abs=1e-7)
    with pytest.raises(ValueError, match="unknown coordinate system"):
        coords.to_wgs84([1.0], [1.0], "wgs72")


def test_polygons_are_converted_vertex_by_vertex():
    square = shapely.box(116.40, 39.91, 116.41, 39.92)
    converted = coords.geometries_to_wgs84(np.array([square]), "bd09")[0]
    corners = shapely.get_coordinates(square)
    expected_lon, expected_lat = coords.bd09_to_wgs84(corners[:, 0], corners[:, 1])
    assert converted.is_valid
    assert shapely.get_coordinates(converted) == pytest.approx(np.column_stack([expected_lon, expected_lat]))

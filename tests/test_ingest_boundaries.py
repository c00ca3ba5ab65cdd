"""Boundary layers → grids: repair, CRS, coordinate systems, duplicate ids and the hierarchy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from analytics.ingest.boundaries import BoundarySpec, Layer, assign_parents, build_grids, polygonal
from analytics.ingest.cli_args import parse_parent_field, parse_parent_layer
from analytics.ingest.coords import gcj02_to_wgs84
from analytics.ingest.errors import IngestError
from tests.conftest import need_real_data


def write_layer(path: Path, features: list[tuple[dict, list]], crs: str | None = None) -> Path:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}
            for props, ring in features
        ],
    }
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def square(x0: float, y0: float, size: float) -> list:
    return [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]


def test_a_child_takes_the_parent_it_overlaps_most():
    children = np.array([shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10), shapely.box(50, 50, 51, 51)])
    parents = np.array([shapely.box(-5, -5, 3, 15), shapely.box(3, -5, 40, 15)])
    # child 0: 3 x 10 in parent 0, 7 x 10 in parent 1; child 1 only in parent 1; child 2 in none
    assert assign_parents(children, parents).tolist() == [1, 1, -1]


def test_equal_overlaps_go_to_the_first_parent():
    assert assign_parents(
        np.array([shapely.box(0, 0, 2, 1)]), np.array([shapely.box(1, 0, 3, 1), shapely.box(-1, 0, 1, 1)])
    ).tolist() == [0]


def test_polygonal_keeps_only_areas():
    collection = shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.LineString([(0, 0), (5, 5)])])
    assert polygonal(collection).equals(shapely.box(0, 0, 1, 1))
    assert polygonal(shapely.LineString([(0, 0), (1, 1)])) is None


def test_grids_with_parent_fields_duplicates_and_a_city_district(tmp_path):
    layer = write_layer(
        tmp_path / "grids.geojson",
        [
            ({"id": 2, "name": "Two", "c": "C1", "cn": "Community 1"}, square(116.40, 39.90, 0.01)),
            ({"id": 1, "name": "One", "c": "C1", "cn": "Community 1"}, square(116.41, 39.90, 0.01)),
            ({"id": 1, "name": "One", "c": "C1", "cn": "Community 1"}, square(116.42, 39.90, 0.01)),
        ],
    )
    spec = BoundarySpec(Layer(layer, "id", "name", duplicates="merge"), parent_fields={"community": ("c", "cn")})
    grids, geoms, repaired, duplicates = build_grids(spec, "Testville")
    assert grids["grid_id"].tolist() == ["1", "2"]  # merged when asked to, and sorted; numbers become text
    assert duplicates == [{"file": "grids.geojson", "rule": "merge", "ids": {"1": 2}}]  # and said so
    assert geoms[0].area == pytest.approx(2 * geoms[1].area)
    assert grids["community_name"].tolist() == ["Community 1"] * 2
    assert grids["street_id"].isna().all() and grids["district_name"].tolist() == ["Testville"] * 2
    assert grids["area_km2"][1] == pytest.approx(0.01 * 111.32 * 0.01 * 111.32 * np.cos(np.radians(39.905)), rel=0.01)
    assert grids["centroid_lon"][1] == pytest.approx(116.405) and repaired == {"grids.geojson": []}


def test_repeated_grid_ids_are_kept_apart_or_refused_never_merged_silently(tmp_path):
    """Issue 11, item 12: two polygons with one id stay two grids (the later one suffixed ~2) by default."""
    layer = write_layer(
        tmp_path / "grids.geojson",
        [
            ({"id": "A", "name": "Alpha"}, square(116.40, 39.90, 0.01)),
            ({"id": "B", "name": "Beta"}, square(116.41, 39.90, 0.01)),
            ({"id": "A", "name": "Alpha"}, square(116.42, 39.90, 0.01)),
            ({"id": "A~2", "name": "Taken"}, square(116.43, 39.90, 0.01)),
        ],
    )
    grids, geoms, _, duplicates = build_grids(BoundarySpec(Layer(layer, "id", "name")))
    assert grids["grid_id"].tolist() == ["A", "A~2", "A~3", "B"]  # "A~2" was already an id: the copy is A~3
    assert grids.set_index("grid_id").loc["A~3", "grid_name"] == "Alpha (3)"
    assert grids.set_index("grid_id").loc["A~3", "centroid_lon"] == pytest.approx(116.425)  # the third feature
    assert duplicates == [{"file": "grids.geojson", "rule": "suffix", "ids": {"A": 2}}]
    with pytest.raises(
        IngestError, match=r"grids.geojson: 1 id\(s\) of 'id' are used by more than one feature: 'A' ×2"
    ):
        build_grids(BoundarySpec(Layer(layer, "id", duplicates="fail")))


def test_coordinates_that_are_not_lon_lat_need_a_crs(tmp_path):
    metres = [
        [12_957_000, 4_852_000],
        [12_958_000, 4_852_000],
        [12_958_000, 4_853_000],
        [12_957_000, 4_853_000],
        [12_957_000, 4_852_000],
    ]  # EPSG:3857 near Beijing
    layer = write_layer(tmp_path / "projected.geojson", [({"id": "A"}, metres)])
    with pytest.raises(IngestError, match="not longitude/latitude .* pass the right one with --crs"):
        build_grids(BoundarySpec(Layer(layer, "id")))
    grids, _, _, _ = build_grids(BoundarySpec(Layer(layer, "id", crs="EPSG:3857")))
    assert grids["centroid_lon"][0] == pytest.approx(116.40, abs=0.01)
    assert grids["centroid_lat"][0] == pytest.approx(39.90, abs=0.01)
    with pytest.raises(IngestError, match="is not a known CRS"):
        build_grids(BoundarySpec(Layer(layer, "id", crs="EPSG:999999")))


def test_gcj02_boundaries_are_converted(tmp_path):
    layer = write_layer(tmp_path / "amap.geojson", [({"id": "A"}, square(116.40, 39.90, 0.01))])
    _, geoms, _, _ = build_grids(BoundarySpec(Layer(layer, "id", coords="gcj02")))
    lon, lat = gcj02_to_wgs84(116.40, 39.90)
    assert shapely.get_coordinates(geoms[0]).min(axis=0) == pytest.approx([lon, lat], abs=1e-4)


def test_parent_options_are_parsed(tmp_path):
    existing = tmp_path / "wards.geojson"
    existing.write_text("{}", encoding="utf-8")
    level, layer = parse_parent_layer(f"community={existing}:WARD:NAME", "wgs84")
    assert (level, layer.path, layer.id_field, layer.name_field) == ("community", existing, "WARD", "NAME")
    level, layer = parse_parent_layer("street=C:/maps/hoods.geojson:Name", "gcj02")
    assert (level, str(layer.path), layer.id_field, layer.coords) == (
        "street",
        "C:/maps/hoods.geojson",
        "Name",
        "gcj02",
    )
    assert parse_parent_field("district=BORO:BORO_NAME") == ("district", ("BORO", "BORO_NAME"))
    with pytest.raises(ValueError, match="expected LEVEL=FILE:ID_FIELD"):
        parse_parent_layer("community=wards.geojson", "wgs84")


def test_boston_precincts_in_state_plane_feet_match_the_wgs84_copy():
    real = need_real_data() / "boston311_2015"
    wgs84, wgs84_geoms, repaired, _ = build_grids(
        BoundarySpec(Layer(real / "boston_precincts_wgs84.geojson", "WARD_PRECINCT"))
    )
    feet, feet_geoms, _, _ = build_grids(
        BoundarySpec(Layer(real / "original_epsg2249" / "Precincts.geojson", "WARD_PRECINCT", crs="EPSG:2249"))
    )
    assert len(wgs84) == 255 and wgs84["grid_id"].tolist() == feet["grid_id"].tolist()
    assert np.abs(wgs84["centroid_lon"] - feet["centroid_lon"]).max() < 1e-6
    assert sorted(repaired["boston_precincts_wgs84.geojson"]) == ["0511", "1713"]  # SOURCE.md: 2 invalid
    assert shapely.is_valid(wgs84_geoms).all()
    with pytest.raises(IngestError, match="Precincts.geojson: the coordinates are not longitude/latitude"):
        build_grids(BoundarySpec(Layer(real / "original_epsg2249" / "Precincts.geojson", "WARD_PRECINCT")))

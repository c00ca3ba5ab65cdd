"""The real NYC 311 sample (2022-05-01) with the NYC community districts as grids.

Expected values come from the raw CSV read here with pandas and an independent geopandas ``sjoin``.
"""

from __future__ import annotations

import duckdb
import geopandas as gpd
import pandas as pd
import pytest

from analytics.ingest import BoundarySpec, ImportSpec, Layer, run_import
from tests.conftest import need_real_data


@pytest.fixture(scope="module")
def nyc(tmp_path_factory):
    real = need_real_data() / "nyc311_sample"
    db = tmp_path_factory.mktemp("nyc") / "nyc.duckdb"
    boundaries = BoundarySpec(
        Layer(real / "nyc_community_districts_dcp.geojson", "BoroCD"),
        parent_layers={"district": Layer(real / "nyc_boroughs_carto.geojson", "name")},
    )
    result = run_import(
        ImportSpec(db=db, cases=[real / "nyc311_2022-05-01_allagencies.csv"], mapping="nyc311", boundaries=boundaries)
    )
    raw = pd.read_csv(real / "nyc311_2022-05-01_allagencies.csv", dtype=str)
    districts = gpd.read_file(real / "nyc_community_districts_dcp.geojson")
    with duckdb.connect(str(db), read_only=True) as con:
        cases = con.execute("SELECT * FROM cases").df().set_index("case_id")
        grids = con.execute("SELECT * FROM grids").df().set_index("grid_id")
    return result, raw, districts, cases, grids


def test_every_row_is_a_case_or_a_reject(nyc):
    result, raw, _, cases, _ = nyc
    assert result.rows_in == len(raw) == 924
    assert result.rows_loaded + result.rows_rejected == 924 and len(cases) == result.rows_loaded
    assert result.rows_rejected == raw["Unique Key"].duplicated().sum() == 0


def test_points_fall_in_the_same_district_as_an_independent_sjoin(nyc):
    _, raw, districts, cases, _ = nyc
    located = raw.dropna(subset=["Latitude", "Longitude"])
    points = gpd.GeoDataFrame(
        located[["Unique Key"]],
        crs="EPSG:4326",
        geometry=gpd.points_from_xy(located["Longitude"].astype(float), located["Latitude"].astype(float)),
    )
    joined = gpd.sjoin(points, districts[["BoroCD", "geometry"]], predicate="within")
    expected = joined.set_index("Unique Key")["BoroCD"].astype(str)
    assert len(expected) == 913  # SOURCE.md: all 913 geocoded points are inside
    assert (cases.loc[expected.index, "grid_id"] == expected).all()
    missing = raw["Latitude"].isna().sum()
    assert (cases["location_flag"] == "missing").sum() == missing == 11
    assert (cases["location_flag"] == "outside").sum() == 0


def test_districts_and_boroughs(nyc):
    _, _, _, cases, grids = nyc
    assert len(grids) == 71
    assert grids.loc["311", "district_id"] == "Brooklyn" and grids.loc["101", "district_id"] == "Manhattan"
    assert grids.loc["412", "district_id"] == "Queens"  # Queens is the invalid borough polygon (repaired)
    assert set(cases["kind"]) == {"demand"}
    assert cases["status"].value_counts().to_dict() == {"closed": 480, "dispatched": 440, "filed": 4}
    assert cases.loc[cases["category_name"] == "Noise - Residential", "category_major"].eq("Noise").all()

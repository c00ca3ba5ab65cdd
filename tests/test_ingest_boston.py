"""Boston 311 (2015) end to end, checked against counts derived here from the raw parquet with pandas.

Needs the shared real data (``need_real_data`` skips with the reason when it is absent). The import runs
once per session for the preset and once for the hand-written mapping.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analytics.ingest import BoundarySpec, ImportSpec, Layer, load_report, run_import
from tests.conftest import need_real_data

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
BOSTON_TIME = "%m/%d/%Y %I:%M:%S %p"


def boston_spec(db: Path, mapping) -> ImportSpec:
    real = need_real_data() / "boston311_2015"
    boundaries = BoundarySpec(
        Layer(real / "boston_precincts_wgs84.geojson", "WARD_PRECINCT"),
        parent_layers={
            "community": Layer(real / "boston_wards.geojson", "WARD"),
            "street": Layer(real / "boston_neighborhoods.geojson", "Name"),
        },
    )
    return ImportSpec(
        db=db, cases=[real / "boston311_2015.parquet"], mapping=mapping, boundaries=boundaries, city_name="Boston"
    )


@pytest.fixture(scope="session")
def boston_raw() -> pd.DataFrame:
    return pd.read_parquet(need_real_data() / "boston311_2015" / "boston311_2015.parquet")


@pytest.fixture(scope="session")
def boston_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("boston") / "boston.duckdb"
    run_import(boston_spec(db, "boston311"))
    return db


@pytest.fixture()
def con(boston_db):
    with duckdb.connect(str(boston_db), read_only=True) as connection:
        yield connection


def scalar(con, sql: str):
    return con.execute(sql).fetchone()[0]


def test_rows_in_are_cases_plus_rejects(con, boston_raw):
    cases, rejects = scalar(con, "SELECT count(*) FROM cases"), scalar(con, "SELECT count(*) FROM rejects")
    assert cases + rejects == len(boston_raw) == 121_145
    assert rejects == boston_raw["CASE_ENQUIRY_ID"].duplicated().sum() == 0
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    assert (int(meta["rows_in"]), int(meta["rows_loaded"])) == (len(boston_raw), cases)
    assert (meta["dataset"], meta["timezone"], meta["city_name"]) == ("boston311", "America/New_York", "Boston")
    assert (meta["data_start"], meta["data_end"]) == ("2015-01-01", "2016-01-01")


def test_the_city_hall_placeholder_rows_are_flagged(con, boston_raw):
    expected = set(boston_raw.loc[boston_raw["Geocoded_Location"] == "(0, 0)", "CASE_ENQUIRY_ID"])
    flagged = {r[0] for r in con.execute("SELECT case_id FROM cases WHERE location_flag = 'placeholder'").fetchall()}
    assert flagged == expected and len(expected) == 17_070
    assert (
        scalar(
            con,
            "SELECT count(*) FROM cases WHERE location_flag = 'placeholder' "
            "AND (grid_id IS NOT NULL OR lon IS NOT NULL)",
        )
        == 0
    )


def test_cases_per_month_match_the_raw_file(con, boston_raw):
    opened = pd.to_datetime(boston_raw["OPEN_DT"], format=BOSTON_TIME)
    expected = opened.dt.month.value_counts().sort_index().tolist()
    loaded = [
        r[1]
        for r in con.execute("SELECT month(reported_at) AS m, count(*) FROM cases GROUP BY m ORDER BY m").fetchall()
    ]
    assert loaded == expected
    assert expected[:2] == [7528, 9052]  # the first two months quoted in SOURCE.md, as a sanity check


def test_closed_before_opened_rows_are_flagged(con, boston_raw):
    opened = pd.to_datetime(boston_raw["OPEN_DT"], format=BOSTON_TIME)
    closed = pd.to_datetime(boston_raw["CLOSED_DT"], format=BOSTON_TIME)
    expected = set(boston_raw.loc[closed < opened, "CASE_ENQUIRY_ID"])
    flagged = {
        r[0]
        for r in con.execute("SELECT case_id FROM cases WHERE quality_flags LIKE '%closed_before_reported%'").fetchall()
    }
    assert flagged == expected and len(expected) == 197


def normalise_ward(text: pd.Series) -> pd.Series:
    """'Ward 5', '05' and '5' all mean ward 5."""
    return text.str.extract(r"(\d+)\s*$")[0].astype("Int64").astype("str")


def test_point_in_ward_agrees_with_the_data_s_own_ward_column(con, boston_raw):
    joined = con.execute(
        "SELECT c.case_id, g.community_id FROM cases c JOIN grids g USING (grid_id) WHERE c.location_flag IS NULL"
    ).df()
    raw = boston_raw.set_index("CASE_ENQUIRY_ID")["ward"]
    data_ward = normalise_ward(raw.reindex(joined["case_id"]).reset_index(drop=True))
    comparable = data_ward.notna() & data_ward.ne("<NA>")
    agree = (data_ward[comparable] == joined.loc[comparable, "community_id"]).mean()
    assert comparable.sum() > 100_000
    assert agree >= 0.98, f"point-in-ward agrees with the ward column for {agree:.2%}"


def test_kinds_sources_and_reference_tables(con, boston_raw):
    worker = boston_raw["Source"].isin(["Employee Generated", "City Worker App", "Maximo Integration"])
    assert scalar(con, "SELECT count(*) FROM cases WHERE kind = 'incident'") == worker.sum()
    assert (
        scalar(con, "SELECT count(*) FROM cases WHERE source = 'patrol'")
        == boston_raw["Source"].isin(["Employee Generated", "City Worker App"]).sum()
    )
    assert scalar(con, "SELECT count(*) FROM cases WHERE closed_at IS NULL") == boston_raw["CLOSED_DT"].isna().sum()
    assert scalar(con, "SELECT count(*) FROM cases WHERE due_at IS NOT NULL") == boston_raw["TARGET_DT"].notna().sum()
    assert scalar(con, "SELECT count(*) FROM departments") == boston_raw["SUBJECT"].nunique()
    expected = (
        boston_raw.assign(kind=worker.map({True: "incident", False: "demand"}))
        .groupby(["kind", "TYPE", "REASON"])
        .ngroups
    )
    assert scalar(con, "SELECT count(*) FROM categories") == expected
    assert scalar(con, "SELECT count(*) FROM grids") == 255
    assert scalar(con, "SELECT count(DISTINCT community_id) FROM grids") == 22
    assert scalar(con, "SELECT count(DISTINCT district_name) FROM grids") == 1


def test_the_stored_report_counts_what_the_tables_hold(con):
    report = load_report(con).set_index(["kind", "reason"])
    assert report.loc[("flagged", "placeholder"), "rows"] == 17_070
    assert report.loc[("flagged", "closed_before_reported"), "rows"] == 197
    outside = scalar(con, "SELECT count(*) FROM cases WHERE location_flag = 'outside'")
    assert report.loc[("flagged", "outside"), "rows"] == outside
    assert outside < 0.001 * 121_145  # SOURCE.md: 99.98 % of points fall inside a precinct


def test_a_hand_written_mapping_loads_the_same_cases(boston_db, tmp_path):
    by_hand = tmp_path / "by_hand.duckdb"
    run_import(boston_spec(by_hand, FIXTURES / "boston_mapping.toml"))
    query = "SELECT * FROM cases ORDER BY case_id"
    with duckdb.connect(str(boston_db), read_only=True) as a, duckdb.connect(str(by_hand), read_only=True) as b:
        pd.testing.assert_frame_equal(a.execute(query).df(), b.execute(query).df())
        assert b.execute("SELECT value FROM meta WHERE key = 'dataset'").fetchone()[0] == "boston_by_hand"

"""Small hand-written fixtures imported end to end; expected values worked out by hand from the files."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import h3
import pandas as pd
import pytest

from analytics.cli import main
from analytics.ingest import BoundarySpec, ImportSpec, Layer, inspect_file, load_report, preview, run_import
from analytics.ingest.coords import gcj02_to_wgs84

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
OPEN311 = FIXTURES / "open311_requests.json"
GRIDS = FIXTURES / "open311_grids_self_intersecting.geojson"
NYC = FIXTURES / "nyc311_style.csv"


def open311_spec(db: Path, **changes) -> ImportSpec:
    boundaries = BoundarySpec(Layer(GRIDS, "grid", "label"), parent_fields={"community": ("ward", None)})
    return ImportSpec(
        **{
            "db": db,
            "cases": [OPEN311],
            "mapping": "open311",
            "timezone": "America/Chicago",
            "boundaries": boundaries,
            "city_name": "Chicago",
            **changes,
        }
    )


def table(db: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


@pytest.fixture(scope="module")
def open311_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("open311") / "open311.duckdb"
    run_import(open311_spec(db))
    return db


def test_open311_rows_in_are_cases_plus_rejects(open311_db):
    # 10 requests: the second "102" is a duplicate, "107" has no readable time, one has no id
    rejects = table(open311_db, "SELECT row_number, reason FROM rejects ORDER BY row_number")
    assert rejects.values.tolist() == [[6, "duplicate_id"], [7, "unparseable_reported_at"], [8, "missing_id"]]
    cases = table(open311_db, "SELECT case_id FROM cases ORDER BY case_id")
    assert cases["case_id"].tolist() == ["101", "102", "103", "104", "105", "109", "110"]
    raw = json.loads(table(open311_db, "SELECT raw FROM rejects WHERE reason = 'duplicate_id'")["raw"][0])
    assert raw["description"] == "Same pothole, reported again" and "service_notice" not in raw


def test_open311_points_land_in_the_repaired_bow_tie(open311_db):
    located = table(open311_db, "SELECT case_id, grid_id, location_flag FROM cases ORDER BY case_id")
    assert located.fillna("-").values.tolist() == [
        ["101", "A", "-"],
        ["102", "B", "-"],
        ["103", "C", "-"],  # 103 is in the bow-tie's left triangle
        ["104", "-", "missing"],
        ["105", "-", "outside"],  # 105 sits in the bow-tie's gap
        ["109", "A", "-"],
        ["110", "B", "-"],
    ]
    grids = table(
        open311_db,
        "SELECT grid_id, grid_name, community_id, district_name, area_km2, geometry FROM grids ORDER BY grid_id",
    )
    assert grids["grid_name"].tolist() == ["Grid A", "Grid B", "Grid C (bow-tie)"]
    assert grids["community_id"].tolist() == ["1", "1", "2"]
    assert grids["district_name"].tolist() == ["Chicago"] * 3
    bow_tie = json.loads(grids["geometry"][2])
    assert bow_tie["type"] == "MultiPolygon" and len(bow_tie["coordinates"]) == 2
    # two triangles of half the square's area: 0.01° x 0.01° at 41.88°N ≈ 1.113 km x 0.829 km
    assert grids["area_km2"].tolist() == pytest.approx([0.922, 0.922, 0.922], rel=0.01)


def test_open311_times_statuses_and_flags(open311_db):
    cases = table(open311_db, "SELECT * FROM cases ORDER BY case_id").set_index("case_id")
    assert cases.loc["101", "reported_at"] == pd.Timestamp("2024-03-01 09:00")  # -06:00 is Chicago time
    assert cases.loc["110", "reported_at"] == pd.Timestamp("2024-03-05 09:00")  # 15:00Z in Chicago
    assert cases.loc["102", "closed_at"] == pd.Timestamp("2024-03-02 10:00")
    assert cases.loc["102", "due_at"] == pd.Timestamp("2024-03-04 10:00")
    assert pd.isna(cases.loc["109", "closed_at"])  # updated but still open: not a closure
    assert cases["status"].to_dict() == {
        "101": "filed",
        "102": "closed",
        "103": "closed",
        "104": "filed",
        "105": "filed",
        "109": "filed",
        "110": "closed",
    }
    assert cases["quality_flags"].dropna().to_dict() == {"103": "closed_within_10min", "110": "closed_before_reported"}
    assert (cases["filed_at"] == cases["reported_at"]).all()
    assert set(cases["kind"]) == {"demand"}


def test_open311_reference_tables_and_meta(open311_db):
    categories = table(open311_db, "SELECT kind, category_code, category_name, deadline_hours FROM categories")
    assert len(categories) == 3 and set(categories["kind"]) == {"demand"}
    pothole = categories.set_index("category_name").loc["Pothole in Street"]
    assert pothole["deadline_hours"] == 72.0  # 102: due 3 days after its report; no other pothole has one
    departments = table(open311_db, "SELECT * FROM departments ORDER BY department")
    assert departments["department"].tolist() == ["Streets and Sanitation", "Transportation"]
    meta = dict(table(open311_db, "SELECT key, value FROM meta").values.tolist())
    assert (meta["dataset"], meta["timezone"], meta["city_name"]) == ("open311", "America/Chicago", "Chicago")
    assert (meta["rows_in"], meta["rows_loaded"], meta["rows_rejected"]) == ("10", "7", "3")
    assert (meta["data_start"], meta["data_end"]) == ("2024-03-01", "2024-03-06")
    files = json.loads(meta["source_files"])
    assert [f["file"] for f in files] == [OPEN311.name, GRIDS.name] and len(files[0]["sha256"]) == 64


def test_the_validation_report_is_stored_and_readable(open311_db):
    with duckdb.connect(str(open311_db), read_only=True) as con:
        report = load_report(con)
    rows = {(r.kind, r.field, r.reason): r.rows for r in report.itertuples()}
    assert rows[("rejected", None, "duplicate_id")] == 1
    assert rows[("flagged", "location_flag", "outside")] == 1
    assert rows[("flagged", "quality_flags", "closed_within_10min")] == 1
    assert rows[("repaired", "geometry", "geometry_repaired")] == 1
    assert report.loc[report["reason"] == "outside", "sample"].item() == "105"


def test_open311_with_an_h3_grid(tmp_path):
    db = tmp_path / "h3.duckdb"
    result = run_import(open311_spec(db, boundaries=None, h3_resolution=9))
    cases = table(db, "SELECT case_id, grid_id, location_flag, lon, lat FROM cases ORDER BY case_id")
    located = cases[cases["lon"].notna()]
    assert located["grid_id"].tolist() == [h3.latlng_to_cell(r.lat, r.lon, 9) for r in located.itertuples()]
    assert cases["location_flag"].fillna("-").tolist() == ["-", "-", "-", "missing", "-", "-", "-"]
    grids = table(db, "SELECT * FROM grids")
    assert sorted(grids["grid_id"]) == sorted(set(located["grid_id"])) and result.grids == len(grids)
    first = grids.iloc[0]
    assert first["community_id"] == h3.cell_to_parent(first["grid_id"], 8)
    assert first["district_id"] == h3.cell_to_parent(first["grid_id"], 6)
    assert first["area_km2"] == pytest.approx(h3.cell_area(first["grid_id"], unit="km^2"))


def test_nyc_style_csv_with_an_h3_grid(tmp_path):
    db = tmp_path / "nyc.duckdb"
    result = run_import(ImportSpec(db=db, cases=[NYC], mapping="nyc311", h3_resolution=8))
    assert (result.rows_in, result.rows_loaded, result.rows_rejected) == (10, 8, 2)
    cases = table(db, "SELECT * FROM cases").set_index("case_id")
    assert cases.loc["1001", "source"] == "app" and cases.loc["1009", "source"] == "unknown"
    assert cases["status"].to_dict() == {
        "1001": "dispatched",
        "1002": "closed",
        "1003": "closed",
        "1004": "filed",
        "1006": "dispatched",
        "1008": "filed",
        "1009": "suspended",
        "1010": "closed",
    }
    assert cases.loc["1001", "category_major"] == "Noise" and cases.loc["1010", "category_major"] == "HEATING"
    assert cases.loc["1008", "due_at"] == pd.Timestamp("2022-05-03 00:45")
    assert cases.loc["1006", "quality_flags"] == "closed_before_reported"  # Closed Date 01/01/1900
    assert cases.loc["1002", "quality_flags"] == "closed_within_10min"
    assert cases.loc["1004", "location_flag"] == "missing"
    assert cases["grid_id"].notna().sum() == 7
    rejects = table(db, "SELECT row_number, reason FROM rejects")
    assert rejects.values.tolist() == [[5, "duplicate_id"], [7, "unparseable_reported_at"]]
    departments = table(db, "SELECT * FROM departments").set_index("department")
    assert departments.loc["HPD", "department_name"] == "Department of Housing Preservation and Development"


def test_gbk_file_through_a_mapping_file_with_gcj02_points(tmp_path):
    db = tmp_path / "beijing.duckdb"
    run_import(
        ImportSpec(
            db=db, cases=[FIXTURES / "gbk_semicolon.csv"], mapping=FIXTURES / "gbk_mapping.toml", h3_resolution=9
        )
    )
    cases = table(db, "SELECT * FROM cases").set_index("case_id")
    assert cases["kind"].to_dict() == {
        "E001": "incident",
        "E002": "demand",
        "E003": "incident",
        "E004": "dispute",
        "E005": "demand",
        "E006": "incident",
    }
    assert cases.loc["E004", "source"] == "walk_in" and cases.loc["E004", "status"] == "reported"
    assert cases.loc["E006", "reported_at"] == pd.Timestamp("2025-03-03 09:30")  # second time format
    assert cases.loc["E001", "description"] == "东华门大街路边垃圾堆放"
    # E001 is coordtransform's published GCJ-02 image of WGS84 (116.404, 39.915)
    assert (cases.loc["E001", "lon"], cases.loc["E001", "lat"]) == pytest.approx((116.404, 39.915), abs=1e-6)
    lon, lat = gcj02_to_wgs84(116.38, 39.92)
    assert (cases.loc["E004", "lon"], cases.loc["E004", "lat"]) == pytest.approx((lon, lat))
    meta = dict(table(db, "SELECT key, value FROM meta").values.tolist())
    assert meta["city_name"] == "北京市" and meta["city_name_en"] == "Beijing"


def test_reimporting_gives_the_same_content(tmp_path):
    first, second = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    run_import(open311_spec(first))
    run_import(open311_spec(second))
    for name in ("cases", "grids", "rejects", "categories", "departments", "import_report"):
        pd.testing.assert_frame_equal(table(first, f"SELECT * FROM {name}"), table(second, f"SELECT * FROM {name}"))
    query = "SELECT * FROM meta WHERE key <> 'loaded_at' ORDER BY key"
    pd.testing.assert_frame_equal(table(first, query), table(second, query))


def test_preview_maps_the_first_rows_without_writing(tmp_path):
    frame = preview([NYC], "nyc311", rows=7)
    assert frame["case_id"].tolist() == ["1001", "1002", "1003", "1004", "1003", "1006", "1007"]
    assert frame["reject_reason"].fillna("-").tolist() == ["-"] * 4 + ["duplicate_id", "-", "unparseable_reported_at"]
    assert frame.loc[3, "location_flag"] == "missing"
    assert frame["file"].unique().tolist() == ["nyc311_style.csv"] and frame["row_number"].tolist() == list(range(1, 8))


def test_inspect_file_suggests_the_preset():
    info = inspect_file(NYC)
    assert info.suggested_preset == "nyc311" and info.delimiter == "," and info.encoding == "utf-8-sig"
    assert len(info.sample) == 5 and "Unique Key" in info.columns


def test_the_command_prints_the_report_and_a_summary(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    code = main(
        [
            "import",
            "--db",
            str(db),
            "--cases",
            str(OPEN311),
            "--preset",
            "open311",
            "--timezone",
            "America/Chicago",
            "--boundaries",
            str(GRIDS),
            "--boundary-id",
            "grid",
            "--boundary-name",
            "label",
            "--parent-field",
            "community=ward",
            "--city",
            "Chicago",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0
    summary = json.loads(out)
    assert (summary["rows_in"], summary["rows_loaded"], summary["rows_rejected"]) == (10, 7, 3)
    assert "duplicate_id" in err and "location_flag=outside" in err and "geometry_repaired" in err
    cli_cases = table(db, "SELECT * FROM cases")
    api_db = tmp_path / "api.duckdb"
    run_import(open311_spec(api_db))
    pd.testing.assert_frame_equal(cli_cases, table(api_db, "SELECT * FROM cases"))


def test_the_command_detects_the_preset(tmp_path, capsys):
    assert main(["import", "--db", str(tmp_path / "x.duckdb"), "--cases", str(NYC), "--h3", "7"]) == 0
    assert "using preset nyc311" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--boundary-id", "grid"], "need --boundaries"),
        (["--boundaries", str(GRIDS)], "--boundaries needs --boundary-id"),
        (
            ["--boundaries", str(GRIDS), "--boundary-id", "grid", "--parent-layer", "ward=x.geojson:W"],
            "LEVEL one of community, street, district",
        ),
        (["--boundaries", str(GRIDS), "--boundary-id", "nope"], "no field 'nope'; its fields are: grid, label, ward"),
        (["--h3", "16"], "resolution must be 0..15"),
        (["--timezone", "Nowhere/City"], "unknown time zone"),
    ],
)
def test_bad_options_exit_2_with_a_message(tmp_path, capsys, args, message):
    code = main(["import", "--db", str(tmp_path / "x.duckdb"), "--cases", str(OPEN311), "--preset", "open311", *args])
    assert code == 2
    err = capsys.readouterr().err
    assert "error: " in err and message in err.split("error: ", 1)[1]
    assert not (tmp_path / "x.duckdb").exists()


def test_duplicates_across_files_and_bad_csv_records_are_rejects(tmp_path):
    second = tmp_path / "later.csv"
    second.write_text(
        "Unique Key,Created Date,Status,Latitude,Longitude\n"
        "1001,05/02/2022 09:00:00 AM,Open,40.75,-73.99\n"  # already in the first file
        "2001,05/02/2022 09:30:00 AM,Open\n"  # two fields short
        "2002,05/02/2022 10:00:00 AM,Open,40.75,-73.99\n",
        encoding="utf-8",
    )
    db = tmp_path / "two.duckdb"
    result = run_import(ImportSpec(db=db, cases=[NYC, second], mapping="nyc311", h3_resolution=7))
    assert (result.rows_in, result.rows_loaded, result.rows_rejected) == (13, 9, 4)
    rejects = table(db, "SELECT source, row_number, reason FROM rejects")
    assert rejects.values.tolist() == [
        ["nyc311_style.csv", 5, "duplicate_id"],
        ["nyc311_style.csv", 7, "unparseable_reported_at"],
        ["later.csv", 1, "duplicate_id"],
        ["later.csv", 2, "wrong_field_count"],
    ]
    kept = table(db, "SELECT reported_at FROM cases WHERE case_id = '1001'")["reported_at"].tolist()
    assert kept == [pd.Timestamp("2022-05-01 00:00:03")]  # the first occurrence
    assert "no column 'Closed Date'" in result.text()  # the second file lacks it


def test_a_file_with_only_a_header_imports_nothing(tmp_path):
    header_only = tmp_path / "none.csv"
    header_only.write_text("case_id,reported_at,lon,lat\n", encoding="utf-8")
    result = run_import(ImportSpec(db=tmp_path / "none.duckdb", cases=[header_only], h3_resolution=8))
    assert (result.rows_in, result.rows_loaded, result.grids) == (0, 0, 0)
    assert "data_start" not in result.meta

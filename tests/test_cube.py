"""The lake and the cube: DuckDB and Spark build the same cube from one SQL text, and the metrics read from the
cube equal the case-level metrics (medians and p90 within the histogram's stated bound)."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from analytics.access.scope import Scope
from analytics.cube.build import CUBE_DB, WHOLE_RANGE, build_cube, build_periods
from analytics.cube.dialect import CUBE_TABLES, bin_edges_seconds, cube_settings, statements
from analytics.cube.read import bin_middles_hours, histogram_quantile, quantile_error_bound
from analytics.filters import Filters
from analytics.lake.export import LakeError, export_lake
from analytics.metrics import by_area, summary

QUANTILES = ("median_handling_hours", "p90_handling_hours")
EVERY_DAY = {"period_start": WHOLE_RANGE[0], "period_end": WHOLE_RANGE[1]}  # the cube SQL's bound period


@pytest.fixture(scope="module")
def spark():
    """PySpark in local mode (no UI, 1 GB), stopped after this module so its JVM does not outlive the tests."""
    from analytics.cube.build import spark_session

    session = spark_session({"cube": {"spark_driver_memory": "1g", "spark_shuffle_partitions": 2}})
    yield session
    session.stop()


def test_lake_is_hive_partitioned_and_complete(demo_db, lake):
    con = duckdb.connect(str(demo_db), read_only=True)
    cases, grids = (con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("cases", "grids"))
    months = con.execute("SELECT count(DISTINCT date_trunc('month', reported_at)) FROM cases").fetchone()[0]
    con.close()
    glob = str(lake / "cases" / "**" / "*.parquet")
    read = duckdb.connect()
    assert read.execute(f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning = true)").fetchone()[0] == cases
    assert read.execute(f"SELECT count(*) FROM '{lake / 'grids.parquet'}'").fetchone()[0] == grids
    folders = {p.relative_to(lake / "cases").parts[:3] for p in (lake / "cases").rglob("*.parquet")}
    assert all(y.startswith("year=") and m.startswith("month=") and d.startswith("district=") for y, m, d in folders)
    assert len({(y, m) for y, m, _ in folders}) == months  # one folder per month of reports
    with pytest.raises(LakeError, match="already exists"):
        export_lake(duckdb.connect(str(demo_db), read_only=True), lake)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or str(frame[column].dtype).startswith(("string", "str")):
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame.sort_values(list(frame.columns), na_position="first", ignore_index=True)


def test_duckdb_and_spark_cubes_are_equal(lake, duck_cube, spark, tmp_path):
    spark_out = tmp_path / "spark"
    result = build_cube(lake, spark_out, engine="spark", spark=spark)
    assert result["engine"] == "spark"
    a = duckdb.connect(str(duck_cube / CUBE_DB), read_only=True)
    b = duckdb.connect(str(spark_out / CUBE_DB), read_only=True)
    for table in [*CUBE_TABLES, "daily_by_kind", "handling_histogram_by_kind", "department_daily_all_grids"]:
        left, right = (_sorted(c.execute(f"SELECT * FROM {table}").df()) for c in (a, b))
        assert len(left) > 0, table
        pd.testing.assert_frame_equal(left, right, check_dtype=False, obj=table)


def test_build_periods_cut_months_open_at_both_ends():
    # 2025-11-28 .. 2026-02-03 in one-month steps: Nov (open to the past), Dec, Jan, Feb (open to the future)
    first, last = dt.date(2025, 11, 28), dt.date(2026, 2, 3)
    past, future = dt.date(1, 1, 1), dt.date(9999, 12, 31)
    assert build_periods(first, last, 1) == [
        (past, dt.date(2025, 12, 1)),
        (dt.date(2025, 12, 1), dt.date(2026, 1, 1)),
        (dt.date(2026, 1, 1), dt.date(2026, 2, 1)),
        (dt.date(2026, 2, 1), future),
    ]
    assert build_periods(first, last, 2) == [(past, dt.date(2026, 1, 1)), (dt.date(2026, 1, 1), future)]
    assert build_periods(first, last, 0) == [(past, future)]
    assert build_periods(None, None, 1) == [(past, future)]  # a lake without cases
    with pytest.raises(ValueError, match="duckdb_step_months"):
        build_periods(first, last, -1)


def test_month_by_month_build_equals_one_shot_build(lake, duck_cube, tmp_path):
    """The default DuckDB build runs month by month; a one-shot build and a five-month-step build of the same
    lake give exactly the same tables, row for row."""
    months = len(list((duck_cube / "daily").glob("*.parquet")))
    assert months >= 12  # the demo lake spans more than a year: one part per month
    one_shot, five = tmp_path / "one", tmp_path / "five"
    build_cube(lake, one_shot, cfg={"cube": {"duckdb_step_months": 0}})
    build_cube(lake, five, cfg={"cube": {"duckdb_step_months": 5}})
    assert len(list((one_shot / "daily").glob("*.parquet"))) == 1
    monthly = duckdb.connect(str(duck_cube / CUBE_DB), read_only=True)
    for other in (one_shot, five):
        con = duckdb.connect(str(other / CUBE_DB), read_only=True)
        for table in [*CUBE_TABLES, "daily_by_kind", "open_changes_by_kind"]:
            left, right = (_sorted(c.execute(f"SELECT * FROM {table}").df()) for c in (monthly, con))
            assert len(left) > 0, table
            pd.testing.assert_frame_equal(left, right, obj=f"{other.name}/{table}")
        con.close()


def _filters(grid_id: str, street_id: str, category: str) -> list[Filters]:
    return [
        Filters(dt.date(2025, 10, 1), dt.date(2025, 11, 1)),
        Filters(dt.date(2025, 3, 5), dt.date(2025, 3, 19), kind="dispute"),
        Filters(dt.date(2025, 1, 1), dt.date(2026, 1, 1), "street", street_id),
        Filters(dt.date(2025, 6, 1), dt.date(2025, 9, 1), "grid", grid_id, kind="demand"),
        Filters(dt.date(2025, 6, 1), dt.date(2025, 7, 1), category=category),
        Filters(dt.date(2025, 6, 1), dt.date(2025, 7, 1), source="hotline"),
        Filters(dt.date(2025, 6, 1), dt.date(2025, 7, 1), kind="x'; DROP TABLE daily;--"),
        Filters(dt.date(2010, 1, 1), dt.date(2010, 2, 1)),
    ]


def _assert_same_metrics(cube: dict, cases: dict, bound: tuple[float, float], label: str) -> None:
    assert set(cube) == set(cases), label
    for key, expected in cases.items():
        got = cube[key]
        if key in QUANTILES and expected is not None:
            relative, absolute = bound
            assert abs(got - expected) <= relative * expected + absolute, (label, key, got, expected)
        elif isinstance(expected, float) and got is not None:
            assert got == pytest.approx(expected, rel=1e-12, abs=1e-12), (label, key)
        else:
            assert got == expected, (label, key, got, expected)


def test_cube_summary_equals_case_level(demo_con, duck_cube):
    cube = duckdb.connect(str(duck_cube / CUBE_DB), read_only=True)
    grid, street = demo_con.execute("SELECT grid_id, street_id FROM grids ORDER BY grid_id LIMIT 1").fetchone()
    category = demo_con.execute("SELECT category_code FROM cases GROUP BY 1 ORDER BY count(*) DESC").fetchone()[0]
    bound = quantile_error_bound(cube_settings())
    end = demo_con.execute("SELECT value FROM meta WHERE key = 'data_end'").fetchone()[0]
    recent = dt.date.fromisoformat(end) - dt.timedelta(days=20)
    for f in [*_filters(grid, street, category), Filters(recent, dt.date.fromisoformat(end), kind="dispute")]:
        _assert_same_metrics(summary(cube, f), summary(demo_con, f), bound, repr(f))
    assert summary(cube, Filters(recent, dt.date.fromisoformat(end), kind="dispute"))["dispute_resolution_provisional"]


def test_cube_by_area_equals_case_level_with_scope(demo_con, duck_cube):
    cube = duckdb.connect(str(duck_cube / CUBE_DB), read_only=True)
    bound = quantile_error_bound(cube_settings())
    district = demo_con.execute("SELECT min(district_id) FROM grids").fetchone()[0]
    scoped = Filters(dt.date(2025, 4, 1), dt.date(2025, 5, 1), scope=Scope((("district", district),)))
    for f, level in [
        (Filters(dt.date(2025, 10, 1), dt.date(2025, 11, 1)), "grid"),
        (Filters(dt.date(2025, 1, 1), dt.date(2025, 7, 1), kind="incident"), "street"),
        (scoped, "community"),
    ]:
        left, right = by_area(cube, f, level), by_area(demo_con, f, level)
        assert list(left.columns) == list(right.columns)
        assert left["area_id"].tolist() == right["area_id"].tolist()
        for a, b in zip(left.to_dict("records"), right.to_dict("records")):
            clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in a.items()}
            expected = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in b.items()}
            if expected["satisfaction_points"] is None:  # no case "relevant" to the period: a sum of nothing,
                assert clean["satisfaction_points"] in (None, 0.0)  # 0 in the cube (every rate is null in both)
                clean["satisfaction_points"] = None
            _assert_same_metrics(clean, expected, bound, f"{level} {b['area_id']}")
    assert set(by_area(cube, scoped, "district")["area_id"]) == {district}


def test_histogram_quantile_by_hand():
    # bins 1, 2, 3 stand for 10, 20, 30 hours; 4 cases: 10, 20, 20, 30 -> median (rank 1.5) = 20, p90 (rank 2.7)
    # = 20 + 0.7 * (30 - 20) = 27
    middles = [0.0, 10.0, 20.0, 30.0]
    assert histogram_quantile([1, 2, 3], [1, 2, 1], 0.5, middles) == 20.0
    assert histogram_quantile([1, 2, 3], [1, 2, 1], 0.9, middles) == pytest.approx(27.0)
    assert histogram_quantile([], [], 0.5, middles) is None


def test_histogram_bins_and_error_bound(tmp_path):
    """Durations at the bin edges land in the right bins (edges 60, 63, 66 s worked out by hand:
    round(60 * 10 ** (k / 50))), and the histogram median of durations spread over 8 decades is within the bound."""
    settings = cube_settings()
    relative, absolute = quantile_error_bound(settings)
    assert 0.02 < relative < 0.03 and absolute == pytest.approx(31 / 3600)
    seconds = [0, 59, 60, 62, 63, 65, 66, 3600, 86400 * 365, 2_000_000_000]
    expected_bins = [0, 0, 1, 1, 2, 2, 3, None, None, settings["last_bin"]]
    con = duckdb.connect()
    base = dt.datetime(2025, 1, 1)
    rows = [(f"c{i}", base, base + dt.timedelta(seconds=s)) for i, s in enumerate(seconds)]
    con.execute("CREATE TABLE cases (case_id TEXT, filed_at TIMESTAMP, closed_at TIMESTAMP)")
    con.executemany("INSERT INTO cases VALUES (?, ?, ?)", rows)
    sql = statements(settings)["handling_histogram"]
    con.execute(
        "CREATE VIEW v AS SELECT *, 'g' AS grid_id, 'demand' AS kind, NULL AS category_code, NULL AS category_major,"
        " NULL AS source, closed_at AS reported_at, 'closed' AS status FROM cases"
    )
    got = con.execute(sql.replace("FROM cases", "FROM v"), EVERY_DAY).fetchall()
    bins = {r[6] for r in got}
    assert {b for b in expected_bins if b is not None} <= bins
    edges = bin_edges_seconds(settings)
    for s in (3600, 86400 * 365):  # each in the bin whose edges hold it
        assert next(b for b in range(1, len(edges) - 1) if edges[b] <= s < edges[b + 1]) in bins


def test_histogram_quantiles_within_the_stated_bound():
    """2,001 durations spread evenly (in log) from 1 minute to about 19 years: every decile from the SQL histogram
    is within the bound of the exact value (numpy's linear quantile, which is DuckDB's quantile_cont)."""
    settings = cube_settings()
    relative, absolute = quantile_error_bound(settings)
    seconds = [round(60 * 10 ** (7 * i / 2000)) for i in range(2001)]
    con = duckdb.connect()
    base = dt.datetime(2025, 1, 1)
    frame = pd.DataFrame({"filed_at": [base] * len(seconds), "seconds": seconds})
    con.register("durations", frame)
    con.execute(
        "CREATE VIEW v AS SELECT filed_at, filed_at + to_seconds(seconds) AS closed_at, 'g' AS grid_id, 'demand' AS kind,"
        " NULL AS category_code, NULL AS category_major, NULL AS source, 'closed' AS status FROM durations"
    )
    hist = con.execute(
        f"SELECT bin, sum(cases) FROM ({statements(settings)['handling_histogram'].replace('FROM cases', 'FROM v')})"
        " GROUP BY bin ORDER BY bin",
        EVERY_DAY,
    ).fetchall()
    bins, counts = [b for b, _ in hist], [int(n) for _, n in hist]
    hours = np.array(seconds) / 3600
    for p in (0.1, 0.25, 0.5, 0.75, 0.9, 0.99):
        exact = float(np.quantile(hours, p))
        estimate = histogram_quantile(bins, counts, p, bin_middles_hours(settings))
        assert abs(estimate - exact) <= relative * exact + absolute, (p, estimate, exact)


def test_cli_lake_and_cube_verbs(demo_db, duck_cube, tmp_path, capsys):
    import json
    import shutil

    from analytics.cli import main

    assert main(["lake", "export", "--db", str(demo_db), "--out", str(tmp_path / "lake")]) == 0
    written = json.loads(capsys.readouterr().out)
    assert (
        written["cases"]
        == duckdb.connect(str(demo_db), read_only=True).execute("SELECT count(*) FROM cases").fetchone()[0]
    )
    assert main(["lake", "export", "--db", str(demo_db), "--out", str(tmp_path / "lake")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["cube", "--lake", str(tmp_path / "nothing"), "--out", str(tmp_path / "c")]) == 2
    assert "not a GridScope lake" in capsys.readouterr().err
    # spark-submit writes only the Parquet tables; --assemble makes the dashboard's cube.duckdb from them
    parquet_only = tmp_path / "from_cluster"
    shutil.copytree(duck_cube, parquet_only, ignore=shutil.ignore_patterns("*.duckdb"))
    assert main(["cube", "--assemble", "--lake", str(tmp_path / "lake"), "--out", str(parquet_only)]) == 0
    capsys.readouterr()
    a = duckdb.connect(str(parquet_only / CUBE_DB), read_only=True)
    b = duckdb.connect(str(duck_cube / CUBE_DB), read_only=True)
    f = Filters(dt.date(2025, 5, 1), dt.date(2025, 6, 1))
    assert summary(a, f) == summary(b, f)


def test_lake_update_after_import_append(demo_db, tmp_path, capsys):
    """After ``import --append`` (one case changed, one new), ``lake update`` rewrites only the partitions
    holding them, and the lake then holds exactly the live cases."""
    import json
    import shutil

    from analytics.cli import main
    from analytics.sync.live import open_live
    from tests.helpers import first_dispatched_case

    db = tmp_path / "city.duckdb"
    shutil.copy(demo_db, db)
    assert main(["lake", "export", "--db", str(db), "--out", str(tmp_path / "lake")]) == 0
    capsys.readouterr()
    case_id, grid = first_dispatched_case(db)
    export = tmp_path / "daily.csv"
    export.write_text(
        "case_id,kind,grid_id,reported_at,closed_at,status\n"
        f"{case_id},demand,{grid},2025-12-30 09:00:00,2025-12-31 10:00:00,closed\n"
        f"NEW-1,demand,{grid},2025-12-31 11:00:00,,filed\n",
        encoding="utf-8",
    )
    assert main(["import", "--append", "--preset", "canonical", "--db", str(db), "--cases", str(export)]) == 0
    capsys.readouterr()
    assert main(["lake", "update", "--db", str(db), "--out", str(tmp_path / "lake")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert 1 <= result["partitions"] <= 3  # the changed case's old and new month, the new case's month
    live = open_live(db)
    glob = str(tmp_path / "lake" / "cases" / "**" / "*.parquet")
    live.execute(f"CREATE TEMP VIEW lake_cases AS SELECT * FROM read_parquet('{glob}', hive_partitioning = true)")
    assert (
        live.execute("SELECT count(*) FROM lake_cases").fetchone()[0]
        == live.execute("SELECT count(*) FROM cases").fetchone()[0]
    )
    assert live.execute("SELECT count(*) FROM lake_cases WHERE case_id = $id", {"id": case_id}).fetchone()[0] == 1
    assert live.execute("SELECT status FROM lake_cases WHERE case_id = $id", {"id": case_id}).fetchone()[0] == "closed"
    assert live.execute("SELECT count(*) FROM lake_cases WHERE case_id = 'NEW-1'").fetchone()[0] == 1
    differ = live.execute(
        "SELECT count(*) FROM (SELECT * EXCLUDE (year, month, district) FROM lake_cases EXCEPT SELECT * FROM cases)"
    ).fetchone()[0]
    assert differ == 0

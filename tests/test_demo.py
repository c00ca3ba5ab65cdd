"""The demo city generator: tiling, determinism, mixes, lifecycle consistency, planted signals, PII."""

from __future__ import annotations

import json
import re

import duckdb
import numpy as np
import pandas as pd
import pytest
import shapely

from analytics.demo import build_demo
from analytics.demo.city import build_city
from analytics.demo.hierarchy import level_sizes
from analytics.demo.text import EMERGING_TERMS

CASES = 30_000
TABLES = ("grids", "workers", "departments", "categories", "cases", "signals", "pii_planted", "meta")


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("demo") / "demo.duckdb")
    build_demo(path, cases=CASES, seed=42)
    return path


@pytest.fixture(scope="session")
def con(demo_path):
    connection = duckdb.connect(demo_path, read_only=True)
    yield connection
    connection.close()


def frame(con, sql: str, **params) -> pd.DataFrame:
    return con.execute(sql, params).df()


def scalar(con, sql: str, **params):
    return con.execute(sql, params).fetchone()[0]


def table_snapshot(path: str) -> dict[str, pd.DataFrame]:
    with duckdb.connect(path, read_only=True) as c:
        out = {}
        for table in TABLES:
            df = c.execute(f"SELECT * FROM {table}").df()
            if table == "meta":
                df = df[df["key"] != "loaded_at"]
            out[table] = df.sort_values(list(df.columns)).reset_index(drop=True)
        return out


# --- geography -------------------------------------------------------------------------------------------------


def test_grids_tile_the_city_without_gaps_or_overlaps(con):
    geoms = shapely.from_geojson(frame(con, "SELECT geometry FROM grids ORDER BY grid_id")["geometry"].to_numpy())
    assert shapely.is_valid(geoms).all()
    assert (shapely.get_type_id(geoms) == 3).all()
    union = shapely.union_all(geoms)
    total = shapely.area(geoms).sum()
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert abs(total - union.area) / union.area < 1e-9
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]])).sum()
    assert overlap / total < 1e-9
    coords = shapely.get_coordinates(geoms)
    assert np.array_equal(coords, np.round(coords, 6))
    assert 119.9 < coords[:, 0].min() and coords[:, 0].max() < 120.3
    assert 30.1 < coords[:, 1].min() and coords[:, 1].max() < 30.4


def test_hierarchy_counts_codes_and_contiguity(con):
    grids = frame(con, "SELECT * FROM grids")
    assert len(grids) == 400
    assert grids["district_id"].nunique() == 2
    assert grids["street_id"].nunique() == 8
    assert grids["community_id"].nunique() == 40
    assert grids["grid_id"].str.len().eq(15).all() and grids["grid_id"].str.fullmatch(r"\d{15}").all()
    assert (grids["street_id"] == grids["grid_id"].str[:9]).all()
    assert (grids["community_id"] == grids["grid_id"].str[:12]).all()
    assert (grids["district_id"] == grids["grid_id"].str[:6]).all()
    assert grids["grid_name"].str.fullmatch(r".+社区第\d+网格").all()
    geoms = shapely.from_geojson(grids["geometry"].to_numpy())
    for level in ("community_id", "street_id", "district_id"):
        for _, rows in grids.groupby(level).groups.items():
            assert shapely.union_all(geoms[rows]).geom_type == "Polygon", level
    assert grids["population"].between(800, 4000).all()
    assert (grids["elderly"] / grids["population"]).between(0.14, 0.29).all()
    area = grids["area_km2"].sum()
    assert 70 < area < 130


@pytest.mark.parametrize("count", [120, 1000])
def test_hierarchy_scales_with_the_grid_count(count):
    city = build_city(count, seed=3)
    grids = city.grids
    assert len(grids) == count and grids["grid_id"].is_unique
    sizes = (grids["district_id"].nunique(), grids["street_id"].nunique(), grids["community_id"].nunique())
    assert sizes == level_sizes(count)
    for _, rows in grids.groupby("community_id").groups.items():
        assert shapely.union_all(city.tiles[rows]).geom_type == "Polygon"


def test_workers(con):
    workers = frame(con, "SELECT * FROM workers")
    per_grid = workers.groupby("grid_id")["full_time"].agg(["sum", "size"])
    assert len(per_grid) == 400 and (per_grid["sum"] == 1).all() and per_grid["size"].between(1, 3).all()
    assert (workers["worker_id"] == "W" + workers["grid_id"] + workers["worker_id"].str[-2:]).all()


# --- determinism and types --------------------------------------------------------------------------------------


def test_same_seed_same_content_other_seed_differs(tmp_path):
    paths = [str(tmp_path / f"{name}.duckdb") for name in ("a", "b", "c")]
    build_demo(paths[0], cases=6000, seed=7)
    build_demo(paths[1], cases=6000, seed=7)
    build_demo(paths[2], cases=6000, seed=8)
    first, second, other = (table_snapshot(p) for p in paths)
    for table in TABLES:
        pd.testing.assert_frame_equal(first[table], second[table], obj=table)
    assert not first["cases"].equals(other["cases"])


def test_failed_build_leaves_previous_file_untouched(tmp_path):
    path = tmp_path / "keep.duckdb"
    path.write_bytes(b"previous")
    with pytest.raises(ValueError):
        build_demo(path, cases=6000, start="2025-12-01", end="2026-01-01")
    assert path.read_bytes() == b"previous"
    assert list(tmp_path.iterdir()) == [path]


def test_column_types(con):
    types = dict(frame(con, "DESCRIBE cases")[["column_name", "column_type"]].values)
    for column in ("reported_at", "filed_at", "dispatched_at", "handled_at", "closed_at", "due_at"):
        assert types[column] == "TIMESTAMP"
    assert types["self_handled"] == types["callback_valid"] == "BOOLEAN"
    assert types["rework_count"] == "INTEGER"
    assert (
        scalar(
            con,
            "SELECT count(*) FROM cases WHERE hour(reported_at) = 0 AND minute(reported_at) = 0 "
            "AND second(reported_at) = 0",
        )
        < CASES * 0.001
    )


def test_meta(con):
    meta = dict(frame(con, "SELECT key, value FROM meta").values)
    assert meta["dataset"] == "demo" and meta["synthetic"] == "true"
    assert meta["city_name"] == "示范市（演示数据）" and meta["timezone"] == "Asia/Shanghai"
    assert meta["data_start"] == "2024-01-01" and meta["data_end"] == "2026-01-01"
    assert meta["source_files"] == f"synthetic: analytics.demo seed=42 cases={CASES} grids=400"
    assert set(json.loads(meta["demo_signals"])) == {
        "emerging_hotspot",
        "slow_department",
        "collapsing_grid",
        "seasonal_category",
        "spike",
        "emerging_term",
    }
    assert {"schema_version", "loaded_at", "demo_seed", "demo_cases"} <= set(meta)


# --- mixes ---------------------------------------------------------------------------------------------------


def test_case_count_and_kind_mix(con):
    kinds = frame(con, "SELECT kind, count(*) AS n FROM cases GROUP BY kind").set_index("kind")["n"]
    assert abs(kinds.sum() - CASES) / CASES < 0.03
    share = kinds / kinds.sum()
    assert share["incident"] == pytest.approx(0.55, abs=0.02)
    assert share["demand"] == pytest.approx(0.40, abs=0.02)
    assert share["dispute"] == pytest.approx(0.05, abs=0.01)
    assert scalar(con, "SELECT min(reported_at) FROM cases") >= pd.Timestamp("2024-01-01")
    assert scalar(con, "SELECT max(reported_at) FROM cases") < pd.Timestamp("2026-01-01")


def test_incident_major_mix_and_top_minors(con):
    shares = frame(
        con,
        """SELECT category_major, count(*) / sum(count(*)) OVER () AS share FROM cases
                           WHERE kind = 'incident' GROUP BY 1""",
    ).set_index("category_major")["share"]
    expected = {"市容环境类": 0.652, "街面秩序类": 0.245, "宣传广告类": 0.032, "公共设施类": 0.021, "施工管理类": 0.020}
    for major, value in expected.items():
        assert shares[major] == pytest.approx(value, abs=0.02), major
    top = frame(
        con,
        """SELECT category_name FROM cases WHERE kind = 'incident' GROUP BY 1
                        ORDER BY count(*) DESC LIMIT 6""",
    )["category_name"].tolist()
    assert {"非法小广告", "暴露垃圾", "乱堆杂物", "占道经营", "机动车乱停放"} <= set(top)


def test_sources_and_demand_majors(con):
    hotline = scalar(con, "SELECT avg((source = 'hotline')::INT) FROM cases WHERE kind = 'demand'")
    assert hotline == pytest.approx(0.907, abs=0.015)
    patrol = scalar(con, "SELECT avg((source = 'patrol')::INT) FROM cases WHERE kind = 'incident'")
    assert patrol == pytest.approx(0.70, abs=0.03)
    top = frame(
        con,
        """SELECT category_major FROM cases WHERE kind = 'demand' GROUP BY 1
                        ORDER BY count(*) DESC LIMIT 1""",
    )["category_major"].tolist()
    assert top == ["市场管理"]
    sources = set(frame(con, "SELECT DISTINCT source FROM cases WHERE kind = 'dispute'")["source"])
    assert sources == {"walk_in", "referral", "patrol"}


def test_weekly_pattern_and_spring_festival(con):
    by_day = frame(
        con,
        """SELECT isodow(reported_at) AS dow, count(*) AS n FROM cases WHERE kind = 'incident'
                           GROUP BY 1""",
    ).set_index("dow")["n"]
    assert by_day[[6, 7]].mean() < 0.75 * by_day[[1, 2, 3, 4, 5]].mean()
    window = "SELECT count(*) FROM cases WHERE reported_at >= $start AND reported_at < $end"
    festival = scalar(con, window, start="2025-01-28", end="2025-02-05")
    before = scalar(con, window, start="2025-01-06", end="2025-01-14")
    assert festival < 0.6 * before


def test_categories_table_covers_every_case(con):
    cats = frame(con, "SELECT * FROM categories")
    assert cats[["category_name_en", "category_major_en"]].notna().all().all()
    assert set(cats["deadline_basis"]) == {"working", "calendar"}
    missing = scalar(
        con,
        """SELECT count(*) FROM cases c ANTI JOIN categories k
                             ON c.kind = k.kind AND c.category_code = k.category_code""",
    )
    assert missing == 0
    hours = cats.set_index("category_name")["deadline_hours"]
    assert (
        hours["暴露垃圾"] == 8 and hours["积存垃圾渣土"] == 32 and hours["道路不洁"] == 5 and hours["私搭乱建"] == 120
    )
    assert 12 <= scalar(con, "SELECT count(*) FROM departments") <= 15


# --- lifecycle consistency -------------------------------------------------------------------------------------


def test_status_matches_timestamps(con):
    bad = scalar(
        con,
        """SELECT count(*) FROM cases WHERE NOT CASE status
        WHEN 'cancelled' THEN filed_at IS NULL AND closed_at IS NULL
        WHEN 'closed' THEN closed_at IS NOT NULL
        WHEN 'handled' THEN handled_at IS NOT NULL AND closed_at IS NULL
        WHEN 'dispatched' THEN dispatched_at IS NOT NULL AND handled_at IS NULL
        WHEN 'filed' THEN filed_at IS NOT NULL AND dispatched_at IS NULL AND closed_at IS NULL
        WHEN 'reported' THEN filed_at IS NULL
        WHEN 'suspended' THEN filed_at IS NOT NULL AND closed_at IS NULL
        ELSE false END""",
    )
    assert bad == 0
    shares = frame(con, "SELECT status, count(*) / sum(count(*)) OVER () AS s FROM cases GROUP BY 1").set_index(
        "status"
    )["s"]
    assert shares["cancelled"] == pytest.approx(0.015, abs=0.004)
    assert shares["suspended"] == pytest.approx(0.005, abs=0.003)


def test_timestamps_are_ordered_and_before_the_end(con):
    bad = scalar(
        con,
        """SELECT count(*) FROM cases WHERE filed_at < reported_at OR dispatched_at < filed_at
        OR handled_at < coalesce(dispatched_at, filed_at) OR closed_at < handled_at OR closed_at < filed_at
        OR due_at <= filed_at OR (filed_at IS NOT NULL AND status <> 'cancelled' AND due_at IS NULL)""",
    )
    assert bad == 0
    after = scalar(
        con,
        """SELECT count(*) FROM cases WHERE greatest(filed_at, dispatched_at, handled_at, closed_at)
                           >= TIMESTAMP '2026-01-01'""",
    )
    assert after == 0


def test_self_handling_and_routing(con):
    assert (
        scalar(
            con,
            """SELECT count(*) FROM cases WHERE self_handled AND (dispatched_at IS NOT NULL
                          OR closed_at IS NULL OR department IS NOT NULL)""",
        )
        == 0
    )
    share = scalar(con, "SELECT avg(self_handled::INT) FROM cases WHERE kind = 'incident' AND source = 'patrol'")
    assert 0.35 <= share <= 0.45
    assert scalar(con, "SELECT count(*) FROM cases WHERE (source = 'patrol') <> (reporter_worker_id IS NOT NULL)") == 0
    assert (
        scalar(
            con,
            """SELECT count(*) FROM cases c ANTI JOIN workers w ON c.reporter_worker_id = w.worker_id
                          WHERE c.reporter_worker_id IS NOT NULL""",
        )
        == 0
    )
    assert scalar(con, "SELECT count(*) FROM cases c ANTI JOIN grids g USING (grid_id)") == 0
    assert (
        scalar(
            con,
            """SELECT count(*) FROM cases c ANTI JOIN departments d USING (department)
                          WHERE c.department IS NOT NULL""",
        )
        == 0
    )


def test_late_closures_rework_and_flags(con):
    late = scalar(con, "SELECT avg((closed_at > due_at)::INT) FROM cases WHERE closed_at IS NOT NULL")
    assert 0.07 <= late <= 0.13
    rework = scalar(con, "SELECT avg((rework_count > 0)::INT) FROM cases WHERE closed_at IS NOT NULL")
    assert 0.015 <= rework <= 0.04
    flags = frame(
        con,
        """SELECT quality_flags, closed_at - reported_at <= INTERVAL 10 MINUTE AS quick
                          FROM cases WHERE closed_at IS NOT NULL""",
    )
    assert (flags["quick"] == (flags["quality_flags"] == "closed_within_10min")).all()
    assert 0.0003 <= flags["quick"].mean() <= 0.002


def test_disputes(con):
    levels = frame(
        con,
        """SELECT resolution_level, count(*) / sum(count(*)) OVER () AS s FROM cases
                           WHERE kind = 'dispute' AND closed_at IS NOT NULL GROUP BY 1""",
    ).set_index("resolution_level")["s"]
    assert levels["grid"] == pytest.approx(0.70, abs=0.04)
    assert levels["community"] == pytest.approx(0.27, abs=0.04)
    assert (
        scalar(
            con,
            "SELECT count(*) FROM cases WHERE (resolution_level IS NOT NULL) <> "
            "(kind = 'dispute' AND closed_at IS NOT NULL)",
        )
        == 0
    )
    resolved = scalar(
        con,
        """SELECT avg((closed_at IS NOT NULL)::INT) FROM cases WHERE kind = 'dispute'
                              AND status <> 'cancelled' AND reported_at < '2025-09-01'""",
    )
    assert resolved == pytest.approx(0.97, abs=0.015)


def test_callbacks(con):
    assert (
        scalar(
            con,
            """SELECT count(*) FROM cases WHERE callback_valid IS NOT NULL
                          AND NOT (kind = 'demand' AND closed_at IS NOT NULL)""",
        )
        == 0
    )
    assert scalar(con, "SELECT count(*) FROM cases WHERE satisfaction IS NOT NULL AND NOT callback_contacted") == 0
    rates = frame(
        con,
        """SELECT year(closed_at) AS y, avg(callback_valid::INT) AS valid,
        avg(callback_solved::INT) AS solved, avg((satisfaction = 'satisfied')::INT) AS satisfied
        FROM cases WHERE kind = 'demand' AND closed_at IS NOT NULL GROUP BY 1""",
    ).set_index("y")
    assert rates["valid"].between(0.82, 0.88).all()
    assert rates.loc[2025, "solved"] > rates.loc[2024, "solved"] + 0.04
    assert rates.loc[2025, "satisfied"] > rates.loc[2024, "satisfied"] + 0.05


def test_points_inside_their_grid(con):
    cases = frame(con, "SELECT grid_id, lon, lat FROM cases USING SAMPLE 3000 ROWS (reservoir, 1)")
    grids = frame(con, "SELECT grid_id, geometry FROM grids").set_index("grid_id")["geometry"]
    polygons = shapely.from_geojson(grids.loc[cases["grid_id"]].to_numpy())
    assert shapely.contains_xy(polygons, cases["lon"].to_numpy(), cases["lat"].to_numpy()).all()
    assert scalar(con, "SELECT count(*) FROM cases WHERE location_flag IS NOT NULL OR lon IS NULL") == 0


# --- planted signals --------------------------------------------------------------------------------------------


def test_signals_have_valid_subjects(con):
    signals = frame(con, "SELECT * FROM signals")
    assert set(signals["signal"]) == {
        "emerging_hotspot",
        "slow_department",
        "collapsing_grid",
        "seasonal_category",
        "spike",
        "emerging_term",
        "duplicate_cluster",
        "rebound",
    }
    grids = set(frame(con, "SELECT grid_id FROM grids")["grid_id"])
    departments = set(frame(con, "SELECT department FROM departments")["department"])
    codes = set(frame(con, "SELECT category_code FROM categories")["category_code"])
    cases = set(frame(con, "SELECT case_id FROM cases")["case_id"])
    terms = set(EMERGING_TERMS)
    valid = {"grid": grids, "department": departments, "category": codes, "case": cases, "term": terms}
    for row in signals.itertuples():
        assert row.subject_id in valid[row.subject_type], row
        assert row.start_date < row.end_date
        json.loads(row.detail)
    hotspot = signals[signals["signal"] == "emerging_hotspot"]
    assert 7 <= len(hotspot) <= 9
    collapsing = signals.loc[signals["signal"] == "collapsing_grid", "subject_id"].item()
    assert collapsing not in set(hotspot["subject_id"])


def test_hotspot_ramps_and_is_contiguous(con):
    monthly = frame(
        con,
        """WITH h AS (SELECT subject_id FROM signals WHERE signal = 'emerging_hotspot')
        SELECT date_trunc('month', reported_at) AS m, grid_id IN (SELECT * FROM h) AS hot, count(*) AS n
        FROM cases WHERE kind = 'demand' GROUP BY ALL""",
    )
    hot = monthly[monthly["hot"]].set_index("m")["n"].sort_index()
    cold = monthly[~monthly["hot"]].set_index("m")["n"].sort_index()
    first_year = hot.iloc[:12].mean()
    assert hot.iloc[-1] > 3 * first_year
    assert cold.iloc[-1] < 1.6 * cold.iloc[:12].mean()
    geoms = shapely.from_geojson(
        frame(
            con,
            """SELECT geometry FROM grids WHERE grid_id IN
        (SELECT subject_id FROM signals WHERE signal = 'emerging_hotspot')""",
        )["geometry"].to_numpy()
    )
    assert shapely.union_all(geoms).geom_type == "Polygon"


def test_slow_department_and_collapsing_grid(con):
    slow = frame(
        con,
        """SELECT filed_at >= TIMESTAMP '2025-10-01' AS q4,
        avg(CASE WHEN closed_at IS NULL THEN (due_at < TIMESTAMP '2026-01-01')::INT
                 ELSE (closed_at > due_at)::INT END) AS late
        FROM cases WHERE department = (SELECT subject_id FROM signals WHERE signal = 'slow_department')
        AND status <> 'cancelled' AND filed_at >= TIMESTAMP '2025-04-01' GROUP BY 1""",
    ).set_index("q4")["late"]
    assert slow[True] > 0.5 and slow[False] < 0.2
    grid = frame(
        con,
        """SELECT filed_at >= TIMESTAMP '2025-11-01' AS late_window,
        avg((closed_at IS NOT NULL AND closed_at <= due_at)::INT) AS on_time
        FROM cases WHERE grid_id = (SELECT subject_id FROM signals WHERE signal = 'collapsing_grid')
        AND status <> 'cancelled' AND filed_at >= TIMESTAMP '2025-05-01' AND due_at < TIMESTAMP '2026-01-01'
        GROUP BY 1""",
    ).set_index("late_window")["on_time"]
    assert grid[False] > 0.8 and grid[True] < 0.4


def test_seasonal_category_and_spike(con):
    months = frame(
        con,
        """SELECT month(reported_at) AS m, count(*) AS n FROM cases WHERE category_code =
        (SELECT subject_id FROM signals WHERE signal = 'seasonal_category') GROUP BY 1""",
    ).set_index("m")["n"]
    months = months.reindex(range(1, 13), fill_value=0)
    assert months[[12, 1, 2]].sum() > 10 * max(months[[6, 7, 8, 9]].sum(), 1)
    row = frame(con, "SELECT subject_id, start_date FROM signals WHERE signal = 'spike'").iloc[0]
    daily = frame(
        con,
        """SELECT reported_at::DATE AS d, count(*) AS n FROM cases WHERE category_code = $code
                          GROUP BY 1""",
        code=row["subject_id"],
    ).set_index("d")["n"]
    spike = daily[row["start_date"]]
    assert spike >= 60 and spike >= 10 * max(daily.drop(row["start_date"]).median(), 1)


# --- personal data --------------------------------------------------------------------------------------------


def test_planted_personal_data_is_in_the_description(con):
    planted = frame(con, """SELECT p.*, c.description FROM pii_planted p JOIN cases c USING (case_id)""")
    assert len(planted) == scalar(con, "SELECT count(*) FROM pii_planted")
    assert all(v in d for v, d in zip(planted["value"], planted["description"]))
    share = scalar(con, "SELECT count(DISTINCT case_id) FROM pii_planted") / scalar(con, "SELECT count(*) FROM cases")
    assert 0.08 <= share <= 0.12
    assert set(planted["pii_type"]) == {"name", "mobile", "landline", "id_card", "address"}
    by_type = planted.groupby("pii_type")["value"]
    assert by_type.get_group("mobile").str.fullmatch(r"1[3-9]\d{9}").all()
    assert by_type.get_group("landline").str.fullmatch(r"0571-8\d{7}").all()
    assert by_type.get_group("address").str.contains(r"\d+单元\d+室").all()
    for number in by_type.get_group("id_card"):
        assert re.fullmatch(r"\d{17}[\dX]", number)
        total = sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(number[:17]))
        assert "10X98765432"[total % 11] == number[17]

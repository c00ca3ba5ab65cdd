"""The two-city benchmark lake (``analytics.lake.twin``): the second city is the first one with its codes
remapped, so its cube equals the first city's cube row for row once the codes are mapped back."""

from __future__ import annotations

import duckdb
import pytest

from analytics.cube.build import CUBE_DB, build_cube
from analytics.lake.export import lake_cases_glob
from analytics.lake.twin import build_twin


def test_twin_lake_doubles_the_city_without_collisions(lake, duck_cube, tmp_path):
    out = tmp_path / "twin"
    report = build_twin(lake, out, city="3302")
    assert report["cases"] == 2 * report["source_cases"] > 0
    assert report["distinct_case_ids"] == report["cases"]
    con = duckdb.connect()
    glob = lake_cases_glob(out)
    districts = {
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT district::VARCHAR FROM read_parquet('{glob}', hive_partitioning = true)"
        ).fetchall()
    }
    assert any(d.startswith("3302") for d in districts) and any(d.startswith("3301") for d in districts)
    grids = con.execute(f"SELECT count(*), count(DISTINCT community_id) FROM '{out / 'grids.parquet'}'").fetchone()
    source_grids = con.execute(
        f"SELECT count(*), count(DISTINCT community_id) FROM '{lake / 'grids.parquet'}'"
    ).fetchone()
    assert grids == (2 * source_grids[0], 2 * source_grids[1])
    departments = con.execute(f"SELECT count(DISTINCT department) FROM '{out / 'departments.parquet'}'").fetchone()[0]
    assert departments == 2 * con.execute(f"SELECT count(*) FROM '{lake / 'departments.parquet'}'").fetchone()[0]

    cube = tmp_path / "cube"
    build_cube(out, cube, engine="duckdb")
    twin = duckdb.connect(str(cube / CUBE_DB), read_only=True)
    single = duckdb.connect(str(duck_cube / CUBE_DB), read_only=True)
    for table, key in (("daily", "grid_id"), ("department_daily", "department")):
        first = single.execute(f"SELECT * FROM {table} WHERE grid_id IS NOT NULL ORDER BY ALL").fetchdf()
        mine = twin.execute(f"SELECT * FROM {table} WHERE grid_id LIKE '3301%' ORDER BY ALL").fetchdf()
        back = twin.execute(
            "SELECT * REPLACE ('3301' || substr(grid_id, 5) AS grid_id"
            + (", replace(department, '_3302', '') AS department" if key == "department" else "")
            + f") FROM {table} WHERE grid_id LIKE '3302%' ORDER BY ALL"
        ).fetchdf()
        assert len(first) > 0
        assert first.equals(mine), table
        assert first.sort_values(list(first.columns), ignore_index=True).equals(
            back.sort_values(list(back.columns), ignore_index=True)
        ), table
    twin.close()
    single.close()


def test_twin_refuses_an_existing_folder_and_a_bad_city(lake, tmp_path):
    with pytest.raises(ValueError, match="exists"):
        build_twin(lake, tmp_path)
    with pytest.raises(ValueError, match="four digits"):
        build_twin(lake, tmp_path / "x", city="3301")

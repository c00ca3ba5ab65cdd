"""Issue 11: per-1,000 rates with unknown populations, hotspots on short data and without variance."""

from __future__ import annotations

import datetime as dt
import io
import json
from contextlib import redirect_stdout

import duckdb
import pandas as pd
import pytest
from shapely.geometry import box, mapping

from analytics.cli import main
from analytics.filters import Filters
from analytics.hotspot_report import HotspotImpossible, hotspot_analysis
from analytics.metrics import by_area
from analytics.schema import create_schema
from tests.helpers import add_cases, empty_store


def strip_grids(populations: list[int | None]) -> list[dict]:
    """Grids in a row (each touches the next), all in street S1 of district D1."""
    return [
        {
            "grid_id": f"G{i}",
            "grid_name": f"{i}网格",
            "community_id": "C1",
            "community_name": "一社区",
            "street_id": "S1",
            "street_name": "一街道",
            "district_id": "D1",
            "district_name": "一区",
            "population": pop,
            "centroid_lon": i + 0.5,
            "centroid_lat": 0.5,
            "geometry": json.dumps(mapping(box(i, 0, i + 1, 1))),
        }
        for i, pop in enumerate(populations)
    ]


def test_per_1000_is_null_unless_every_grid_has_a_population():
    con = empty_store(strip_grids([1000, 1000, None, None]))
    add_cases(con, [{"reported_at": "2025-03-03 09:00", "grid_id": f"G{i}"} for i in (0, 0, 1, 2, 3, 3)])
    march = Filters(dt.date(2025, 3, 1), dt.date(2025, 4, 1))
    street = by_area(con, march, "street").set_index("area_id").loc["S1"]
    # before: 6 cases / 2,000 known residents * 1000 = 3.0 although half the grids' residents are unknown
    assert pd.isna(street["population"]) and pd.isna(street["reported_per_1000"])
    assert street["grids_without_population"] == 2 and street["population_missing"]
    grids = by_area(con, march, "grid").set_index("area_id")
    assert grids.loc["G0", "reported_per_1000"] == pytest.approx(2 / 1000 * 1000)
    assert pd.isna(grids.loc["G2", "reported_per_1000"])
    assert int(grids["population_missing"].sum()) == 2


def hot_store(populations, days=range(1, 5), per_day=None):
    con = empty_store(strip_grids(populations))
    per_day = per_day or {0: 1, 1: 2, 2: 3, 3: 1, 4: 2, 5: 1}
    rows = [
        {"reported_at": f"2025-07-{d:02d} 10:00", "grid_id": f"G{g}", "kind": "demand"}
        for d in days
        for g, n in per_day.items()
        if g < len(populations)
        for _ in range(n)
    ]
    add_cases(con, rows)
    return con


def test_hotspots_leave_unknown_populations_out_and_say_how_many():
    con = hot_store([1000, 2000, None, 1000, 500, 1000])
    year = Filters(dt.date(2024, 8, 1), dt.date(2025, 8, 1))
    result = hotspot_analysis(con, year, "grid", "auto", "per_1000", permutations=99)
    assert result.no_population == 1
    assert sorted(result.table["area_id"]) == ["G0", "G1", "G3", "G4", "G5"]  # G2 is not a rate of 0
    g4 = result.table.set_index("area_id").loc["G4"]
    assert g4["value"] == pytest.approx(4 * 2 / 500 * 1000)  # 8 cases over 4 days, 500 residents -> 16.0
    # no population at all: a per-1,000 analysis is impossible and says why; counts still work
    none = hot_store([None] * 6)
    with pytest.raises(HotspotImpossible) as info:
        hotspot_analysis(none, year, "grid", "auto", "per_1000", permutations=99)
    assert info.value.reason == "no_population"
    assert len(hotspot_analysis(none, year, "grid", "auto", "count", permutations=99).table) == 6


def test_hotspots_on_four_days_use_daily_steps_inside_the_coverage():
    con = hot_store([1000] * 6)
    # the page's default window (12 months to the period end) is clipped to the four days of data
    result = hotspot_analysis(
        con, Filters(dt.date(2024, 8, 1), dt.date(2025, 8, 1)), "grid", "auto", "count", permutations=99
    )
    assert (result.start, result.end) == (dt.date(2025, 7, 1), dt.date(2025, 7, 5))
    assert result.step == "day" and result.steps == 4
    assert "too_few_steps" not in set(result.table["emerging"])
    # monthly steps over the same data: 1 step, and the result says so (the page explains it)
    monthly = hotspot_analysis(
        con, Filters(dt.date(2025, 7, 1), dt.date(2025, 8, 1)), "grid", "month", "count", permutations=99
    )
    assert monthly.steps == 1 and set(monthly.table["emerging"]) == {"too_few_steps"}
    with pytest.raises(HotspotImpossible) as info:
        hotspot_analysis(con, Filters(dt.date(2024, 1, 1), dt.date(2024, 2, 1)), "grid", "auto", "count")
    assert info.value.reason == "outside_coverage"


def test_hotspots_command_gives_null_z_and_p_without_variance(tmp_path):
    path = tmp_path / "flat.duckdb"
    con = duckdb.connect(str(path))
    create_schema(con)
    grid_rows = pd.DataFrame(strip_grids([1000] * 5))  # noqa: F841 (read by DuckDB by name)
    con.execute("INSERT INTO grids BY NAME SELECT * FROM grid_rows")
    add_cases(con, [{"reported_at": "2025-07-02 10:00", "grid_id": f"G{g}", "kind": "demand"} for g in range(5)])
    con.close()
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(
            [
                "hotspots",
                "--db",
                str(path),
                "--start",
                "2025-07-01",
                "--end",
                "2025-08-01",
                "--permutations",
                "99",
                "--measure",
                "count",
            ]
        )
    assert code == 0
    rows = json.loads(out.getvalue())
    assert len(rows) == 5
    assert all(r["z"] is None and r["p"] is None for r in rows)  # one case each: no variance, no z

"""Data with only some of the four area levels (issue 11, item 1): no page crashes, selectors offer what exists."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from analytics import profile, queries
from tests.helpers import add_cases, empty_store
from tests.test_pages import APP, TIMEOUT


def square(x: float) -> str:
    """A 0.01° square polygon (GeoJSON) whose west edge is at longitude 120 + x."""
    ring = [[120 + x, 30], [120.01 + x, 30], [120.01 + x, 30.01], [120 + x, 30.01], [120 + x, 30]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


# Two streets of one district, three grids side by side, and no community level at all (as most 311 exports).
NO_COMMUNITY = [
    {"grid_id": "G1", "grid_name": "一网格", "street_id": "S1", "street_name": "一街道", "district_id": "D1"},
    {"grid_id": "G2", "grid_name": "二网格", "street_id": "S1", "street_name": "一街道", "district_id": "D1"},
    {"grid_id": "G3", "grid_name": None, "street_id": "S2", "street_name": "二街道", "district_id": "D1"},
]
for i, grid in enumerate(NO_COMMUNITY):
    grid.update(geometry=square(0.01 * i), centroid_lon=120.005 + 0.01 * i, centroid_lat=30.005, area_km2=1.0)


def _store(path, grids) -> None:
    con = empty_store(grids)
    add_cases(
        con,
        [
            {"grid_id": "G1", "reported_at": "2025-03-03 10:00", "closed_at": "2025-03-04 10:00", "status": "closed"},
            {"grid_id": "G2", "reported_at": "2025-03-05 10:00"},
            {"grid_id": "G3", "reported_at": "2025-03-06 10:00", "kind": "demand"},
        ],
    )
    con.execute(f"ATTACH '{path}' AS out")
    con.execute("COPY FROM DATABASE memory TO out")
    con.close()


@pytest.fixture()
def no_community_db(tmp_path, monkeypatch):
    path = tmp_path / "levels.duckdb"
    _store(path, NO_COMMUNITY)
    monkeypatch.setenv("GRIDSCOPE_DB", str(path))
    return path


def test_levels_present_and_parents_skip_the_missing_level(no_community_db):
    with duckdb.connect(str(no_community_db), read_only=True) as con:
        assert queries.levels_present(con) == ("district", "street", "grid")
        info = profile.area_info(con, "grid", "G1")
        assert [(lv, pid, name) for lv, pid, name in info["parents"]] == [
            ("street", "S1", "一街道"),
            ("district", "D1", "D1"),  # a parent without a name shows its id
        ]
        assert profile.area_info(con, "grid", "G3")["name"] == "G3"
    assert profile.children_level("street", ("district", "street", "grid")) == "grid"
    assert profile.children_level("grid", ("district", "street", "grid")) is None


def _run(page: str, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page(page)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    return at


@pytest.mark.parametrize("level", ["grid", "street", "district"])
def test_profile_without_community_level(no_community_db, level):
    at = _run("pages/profile.py", profile_level=level)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert "Community" not in at.segmented_control(key="profile_level").options
    path = next(c.value for c in at.caption if "›" in c.value)
    assert "None" not in path and "nan" not in path


def test_sidebar_and_map_offer_only_existing_levels(no_community_db):
    at = _run("pages/grid_map.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.segmented_control(key="filter_level").options == ["Whole city", "District", "Street", "Grid"]


def test_custom_range_is_inclusive_of_its_last_day_and_stops_at_the_data(no_community_db):
    """Issue 11, item 14: the picker's last allowed day is the last day of data (2025-03-06), not the
    exclusive end (2025-03-07); picking 3 to 5 March means [3 March, 6 March)."""
    at = _run("pages/overview.py", filter_period="custom")
    picker = at.date_input(key="filter_range")
    assert (picker.min, picker.max) == (dt.date(2025, 3, 3), dt.date(2025, 3, 6))
    picker.set_value((dt.date(2025, 3, 3), dt.date(2025, 3, 5))).run()
    f = at.session_state["filters"]
    assert (f.start, f.end) == (dt.date(2025, 3, 3), dt.date(2025, 3, 6))
    assert next(m for m in at.metric if m.label == "Reported").value == "2"  # 3 and 5 March, not the 6th
    assert not at.exception and not at.error

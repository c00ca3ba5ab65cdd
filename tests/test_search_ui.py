"""The place search box on the map and profile pages (AppTest on the demo city)."""

from __future__ import annotations

import duckdb

from analytics.search import pinyin_keys
from tests.test_pages import run_page


def _a_community(demo_db) -> tuple[str, str, str]:
    con = duckdb.connect(str(demo_db), read_only=True)
    community_id, name = con.execute(
        "SELECT community_id, any_value(community_name) FROM grids GROUP BY 1 ORDER BY 1 LIMIT 1"
    ).fetchone()
    con.close()
    return community_id, name, pinyin_keys(name)[1]


def test_map_search_by_initials_flies_to_the_area(demo_env):
    community_id, name, initials = _a_community(demo_env)
    at = run_page("pages/grid_map.py", "zh")
    at.text_input(key="map_search").input(initials).run()
    pick = at.selectbox(key="map_search_pick")
    assert pick.options[0] == f"社区 · {name} · {community_id} · " + pick.options[0].split(" · ")[-1]
    pick.set_value(f"community|{community_id}").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["map_selected"] == ("community", community_id)
    assert name in [s.value for s in at.subheader]  # the area's panel is open


def test_profile_search_by_code_opens_the_profile(demo_env):
    community_id, name, _ = _a_community(demo_env)
    at = run_page("pages/profile.py", "en")
    at.text_input(key="profile_search").input(community_id).run()
    pick = at.selectbox(key="profile_search_pick")
    assert pick.options[0].startswith(f"Community · {name} · {community_id}")  # the exact code first
    pick.set_value(f"community|{community_id}").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params["level"] == "community" and at.query_params["area"] == community_id
    assert any(s.value.startswith(name) for s in at.subheader)


def test_hostile_search_shows_no_match_and_no_error(demo_env):
    at = run_page("pages/profile.py", "zh")
    at.text_input(key="profile_search").input("**x** [a](javascript:1) %_.*(").run()
    assert not at.exception and not at.error
    assert "没有匹配的地点" in [c.value for c in at.caption]

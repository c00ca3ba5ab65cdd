"""AppTests of the Demand insight page, the repeat metrics on the grid map and the profile's repeat panel."""

from __future__ import annotations

import re

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from tests.test_pages import APP, TIMEOUT, open_tab, run_page

HOSTILE = "x'; DROP TABLE cases;--"


def _found(at: AppTest) -> int:
    counts = [re.match(r"([\d,]+) cases found", c.value) for c in at.caption]
    return next(int(m.group(1).replace(",", "")) for m in counts if m)


def _settled(at: AppTest) -> AppTest:
    """Run ``at`` again once the background analyses it started (the city-wide repeats) are done."""
    from ui import heavy

    for future in heavy.running():
        future.result(120)
    return at.run()


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_insight_page_shows_terms_repeats_and_maps(demo_env, lang):
    at = run_page("pages/insight.py", lang)
    _clean(at)
    assert len(at.tabs) == 2
    assert len(at.get("deck_gl_json_chart")) == 0, "the term's map is drawn on request, the repeats tab when opened"
    term, f = at.selectbox(key="insight_term").value, at.session_state["filters"]
    (areas,) = [d.value for d in at.dataframe if len(d.value.columns) == 3 and d.value.columns[0] in ("Area", "区域")]
    with duckdb.connect(str(demo_env), read_only=True) as con:  # cases mentioning the term, per street, in the period
        expected = con.execute(
            """SELECT s.street_name,
                      count(*) FILTER (WHERE c.case_id IN (SELECT case_id FROM case_terms WHERE term = ?)) AS n,
                      count(*) AS reported
               FROM cases c JOIN grids g USING (grid_id)
               JOIN (SELECT DISTINCT street_id, street_name FROM grids) s ON s.street_id = g.street_id
               WHERE c.reported_at >= ? AND c.reported_at < ?
               GROUP BY 1 HAVING n > 0""",
            [term, f.start, f.end],
        ).df()
    assert sorted(zip(areas.iloc[:, 0], areas.iloc[:, 1])) == sorted(zip(expected["street_name"], expected["n"]))
    # the share: the street's cases mentioning the term over all its cases in the period, shown in per cent
    share = dict(zip(expected["street_name"], (100 * expected["n"] / expected["reported"]).round(1)))
    assert [share[name] for name in areas.iloc[:, 0]] == pytest.approx(areas.iloc[:, 2].tolist(), abs=0.051)
    assert areas.iloc[:, 1].is_monotonic_decreasing, "most cases first"
    at.toggle(key="insight_term_map").set_value(True).run()
    _clean(at)
    assert len(at.get("deck_gl_json_chart")) == 1, "the term map, on request"
    at = _settled(open_tab(at, "insight_tab", at.tabs[1].label))
    _clean(at)
    assert len(at.dataframe) >= 4, "top terms, emerging terms, a term's cases and the repeat lists"
    assert len(at.metric) == 4
    assert len(at.get("deck_gl_json_chart")) == 2, "the term map and the repeat-rate map"
    assert at.selectbox(key="insight_term").options


def test_hostile_and_private_searches_find_nothing(demo_env):
    at = run_page("pages/insight.py", "en")
    at.text_input(key="insight_search").input(HOSTILE).run()
    _clean(at)
    assert _found(at) == 0
    at.text_input(key="insight_search").input("13812345678").run()
    _clean(at)
    assert _found(at) == 0
    at.text_input(key="insight_search").input("垃圾").run()
    _clean(at)
    assert _found(at) > 0


@pytest.mark.parametrize("metric", ["repeat_rate", "rebound_rate"])
def test_grid_map_draws_repeat_metrics(demo_env, metric):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/grid_map.py")
    at.session_state["map_metric"] = metric
    at.run()
    _clean(at)
    assert at.get("deck_gl_json_chart")


def test_profile_shows_repeat_rates(demo_env):
    at = run_page("pages/profile.py", "en")
    _clean(at)
    labels = [m.label for m in at.metric]
    assert "Repeat rate" in labels and "Rebound rate" in labels


def test_top_terms_show_the_lift_only_for_an_area(demo_env):
    """The whole city's lift against itself is 1 on every row, so the column is shown only once an area is chosen
    (where it differs from 1: the street's own share of a term against the city's)."""
    city = run_page("pages/insight.py", "en")
    _clean(city)
    assert list(city.dataframe[0].value.columns) == ["Term", "Cases", "Share"]
    assert any("choose an area to see each term's lift" in c.value for c in city.caption)
    with duckdb.connect(str(demo_env), read_only=True) as con:
        street = con.execute("SELECT street_id FROM grids ORDER BY street_id LIMIT 1").fetchone()[0]
    area = run_page("pages/insight.py", "en", query={"level": "street", "area": street})
    _clean(area)
    terms = area.dataframe[0].value
    assert list(terms.columns) == ["Term", "Cases", "Share", "Lift"]
    assert (terms["Lift"] - 1).abs().max() > 0.01, "a street's terms are not all as common as in the city"

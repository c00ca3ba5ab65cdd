"""AppTest smoke tests: every registered page runs without an exception on the demo city, in both languages."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ui.navigation import PAGES

TIMEOUT = 120
APP = str(Path(__file__).resolve().parent.parent / "app.py")


def run_page(path: str, lang: str = "zh", query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if path != PAGES[0].path:
        at.switch_page(path)
        at.run()
    return at


# Pages whose tabs are drawn only when open (``st.tabs(..., on_change="rerun")``), by the tabs' widget key
LAZY_TABS = {"data": "data_tab", "insight": "insight_tab"}


def open_tab(at: AppTest, key: str, label: str) -> AppTest:
    """``at`` run again with the tab ``label`` of the lazily drawn tabs ``key`` open (as a click on it does)."""
    assert label in [tab.label for tab in at.tabs], (label, [tab.label for tab in at.tabs])
    at.session_state[key] = label
    return at.run()


def every_tab(at: AppTest, page_key: str):
    """``at`` once per tab of a page with lazily drawn tabs (once as it is for any other page)."""
    key = LAZY_TABS.get(page_key)
    if key is None:
        yield at
        return
    for label in [tab.label for tab in at.tabs]:
        yield open_tab(at, key, label)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", PAGES, ids=[p.key for p in PAGES])
def test_page_runs(demo_env, page, lang):
    for at in every_tab(run_page(page.path, lang), page.key):
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        # what keeps a new browser session light (docs/performance.md, "A lighter frame"): no HTML inside
        # markdown (the browser would load its HTML parser first) and no list widget in the sidebar
        assert not [m.value[:60] for m in at.markdown if m.proto.allow_html]
        assert not at.sidebar.selectbox, [box.label for box in at.sidebar.selectbox]
        assert at.title and at.title[0].value
        texts = " ".join(str(m.value) for m in [*at.markdown, *at.html]) + " ".join(m.label for m in at.metric)
        assert "⟦" not in texts, "a string is missing from the i18n catalog"


def test_overview_has_tiles_map_and_charts(demo_env):
    at = run_page("pages/overview.py")
    labels = [m.label for m in at.metric]
    assert len(labels) >= 8 and "结案率" in labels and "按期结案率" in labels
    assert at.get("deck_gl_json_chart"), "status map missing"
    assert len(at.get("vega_lite_chart")) >= 2, "trend and top categories are drawn with Vega-Lite (ui/vega.py)"


def test_overview_says_the_summed_rest_below_the_named_bars(demo_env):
    """The categories beyond the top eight are said in a caption, not drawn as one bar that dwarfs the named ones;
    the caption's count and share are worked out here in plain SQL (every case reported in the period, grouped)."""
    at = run_page("pages/overview.py", "en")
    f = at.session_state["filters"]
    with duckdb.connect(str(demo_env), read_only=True) as con:
        counts = [
            n
            for (n,) in con.execute(
                "SELECT count(*) AS n FROM cases WHERE reported_at >= ? AND reported_at < ? "
                "GROUP BY kind, category_code ORDER BY n DESC",
                [dt.datetime.combine(f.start, dt.time()), dt.datetime.combine(f.end, dt.time())],
            ).fetchall()
        ]
    assert len(counts) > 8, "the demo city has more than eight categories in a month"
    rest = sum(counts[8:])
    expected = (
        f"All other categories together: {rest:,} cases, {rest / sum(counts) * 100:.1f}% of this period's reports."
    )
    assert expected in [c.value for c in at.caption]
    charts = json.dumps([c.proto.spec for c in at.get("vega_lite_chart")])
    assert "Other" not in charts and "other" not in charts  # no bar for the rest


@pytest.mark.parametrize(("lang", "words"), [("zh", "{d.year}年{d.month}月{d.day}日"), ("en", "{d:%d %b %Y}")])
def test_grid_map_legend_names_the_periods_last_day(demo_env, lang, words):
    """The map legend's period ends on the last day counted, written as the page's caption writes it (the filters
    hold the exclusive end: the day after)."""
    at = run_page("pages/grid_map.py", lang)
    f = at.session_state["filters"]
    last = f.end - dt.timedelta(days=1)
    legend = next(h.value for h in at.html if "quantile" in h.value or "分位" in h.value)
    assert words.format(d=f.start) in legend and words.format(d=last) in legend
    assert words.format(d=f.end) not in legend and "exclusive" not in legend and "不含" not in legend


def test_the_frame_spares_streamlits_repl_check(demo_env, monkeypatch):
    """Streamlit's once-per-process REPL check (an ``inspect.stack()`` of the script thread) is not run: the
    frame marks its warning as shown. Fails when a Streamlit upgrade renames the flag it sets."""
    from streamlit import delta_generator, env_util

    assert hasattr(delta_generator, "_use_warning_has_been_displayed")
    asked = []
    monkeypatch.setattr(delta_generator, "_use_warning_has_been_displayed", False)
    monkeypatch.setattr(env_util, "is_repl", lambda: asked.append(1) or False)
    at = run_page(PAGES[0].path)
    assert not at.exception
    assert asked == [] and delta_generator._use_warning_has_been_displayed is True


def test_sidebar_filters_are_one_click_each(demo_env):
    """Period, level and kind are segmented buttons; the area list appears once a level is chosen; a preset
    gives whole months ending where the opening month ends."""
    at = run_page(PAGES[0].path, "en")
    opening = at.session_state["filters"]
    assert at.segmented_control(key="filter_period").options == [
        "1 month",
        "3 months",
        "6 months",
        "12 months",
        "Custom",
    ]
    assert at.segmented_control(key="filter_kind").options == ["All", "Incidents", "Demands", "Disputes"]
    at.segmented_control(key="filter_period").set_value("quarter").run()
    f = at.session_state["filters"]
    assert f.end == opening.end
    assert (f.end.year * 12 + f.end.month) - (f.start.year * 12 + f.start.month) == 3 and f.start.day == 1
    at.segmented_control(key="filter_kind").set_value("demand").run()
    assert at.session_state["filters"].kind == "demand"
    at.segmented_control(key="filter_level").set_value("street").run()
    areas = at.sidebar.selectbox(key="filter_area_street")
    assert areas.options and at.session_state["filters"].area == areas.value
    assert not at.exception and not at.error


@pytest.mark.parametrize(
    ("widget", "value"), [("filter_period", "quarter"), ("filter_level", "street"), ("filter_kind", "demand")]
)
def test_a_sidebar_choice_clears_a_deep_link(demo_env, widget, value):
    """A deep link's period, area and kind hold until the user changes a filter: then the link's parameters go."""
    link = {"start": "2025-11-03", "end": "2025-11-10", "kind": "dispute"}
    at = run_page(PAGES[0].path, "en", query=link)
    f = at.session_state["filters"]
    assert (f.start, f.end, f.kind) == (dt.date(2025, 11, 3), dt.date(2025, 11, 10), "dispute")
    at.segmented_control(key=widget).set_value(value).run()
    assert not at.exception and not at.error
    assert not set(link) & set(at.query_params)
    f = at.session_state["filters"]
    assert (f.start, f.end) != (dt.date(2025, 11, 3), dt.date(2025, 11, 10)) and f.kind != "dispute"


def test_hostile_deep_link_gives_empty_result(demo_env):
    at = run_page("pages/overview.py", query={"level": "street", "area": "x'; DROP TABLE cases;--"})
    assert not at.exception
    assert any("没有案件" in w.value for w in at.warning)
    reported = next(m for m in at.metric if m.label == "上报数")
    assert reported.value == "0"


def test_overview_tiles_equal_report_command(demo_env):
    """The report command's JSON equals what the overview tiles show for the same filters."""
    at = run_page("pages/overview.py", "en")
    f = at.session_state["filters"]
    out = subprocess.run(
        [sys.executable, "-m", "analytics", "report", "--start", f.start.isoformat(), "--end", f.end.isoformat()],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(out.stdout)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Reported"] == f"{report['reported']:,}"
    assert tiles["Open overdue"] == f"{report['open_overdue']:,}"
    for label, key in (
        ("Closure rate", "closure_rate"),
        ("On-time closure rate", "on_time_closure_rate"),
        ("Satisfaction rate", "satisfaction_rate"),
        ("Local resolution rate", "local_resolution_rate"),
        ("Response rate", "response_rate"),
    ):
        assert tiles[label] == f"{report[key] * 100:.1f}%", label
    assert tiles["Median handling time"] == f"{report['median_handling_hours']:.1f} h"


def cli_json(*args: str):
    out = subprocess.run([sys.executable, "-m", "analytics", *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_assessment_scorecard_equals_scores_command(demo_env):
    at = run_page("pages/assessment.py", "en")
    f = at.session_state["filters"]
    shown = at.dataframe[0].value.set_index("Id")
    scores = {
        row["entity_id"]: row
        for row in cli_json("scores", "--start", f.start.isoformat(), "--end", f.end.isoformat(), "--entity", "grid")
    }
    assert len(shown) == len(scores)
    for entity_id, row in shown.iterrows():
        expected = scores[entity_id]
        if expected["score"] is None:
            assert row["Grade"] == "not graded (too few cases)"
            continue
        assert row["Score"] == pytest.approx(round(expected["score"], 1))
        assert row["Grade"] == expected["grade"] and row["Rank"] == expected["rank"]
        assert row["Due to close"] == expected["due_to_close"]


def test_closed_loop_numbers_equal_commands(demo_env):
    at = run_page("pages/closed_loop.py", "en")
    f = at.session_state["filters"]
    period = ("--start", f.start.isoformat(), "--end", f.end.isoformat())
    report = cli_json("report", *period)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Dispute resolution rate"] == f"{report['dispute_resolution_rate'] * 100:.1f}%"
    assert tiles["Local resolution rate"] == f"{report['local_resolution_rate'] * 100:.1f}%"
    departments = at.dataframe[0].value.set_index("Department")
    by_name = {row["department_name_en"]: row for row in cli_json("scores", *period, "--entity", "department")}
    for name, row in departments.iterrows():
        expected = by_name[name]
        assert (row["Dispatched"], row["Handled"], row["Open overdue"]) == (
            expected["dispatched"],
            expected["handled"],
            expected["open_overdue"],
        )
        rate = expected["on_time_handling_rate"]
        if rate is None:
            assert pd.isna(row["On-time handling rate"])
        else:
            assert row["On-time handling rate"] == pytest.approx(round(rate * 100, 1))


def test_closed_loop_overdue_filters_sit_in_a_popover_and_filter(demo_env):
    """The overdue list's filters are drawn in a pop-over (loaded when opened); a department chosen there
    leaves only that department's cases in the list, and the pop-over's label counts the choices."""
    at = run_page("pages/closed_loop.py", "en")
    overdue = next(d.value for d in at.dataframe if "Days overdue" in d.value.columns)
    assert overdue["Department"].nunique() > 1
    box = at.multiselect(key="overdue_departments")
    wanted = overdue["Department"].value_counts().index[0]
    box.select(wanted).run()
    assert not at.exception and not at.error
    overdue = next(d.value for d in at.dataframe if "Days overdue" in d.value.columns)
    assert len(overdue) > 0 and set(overdue["Department"]) == {wanted}
    assert any(p.proto.popover.label == "Filter the list · 1" for p in at.get("popover"))


def test_trends_theme_choices_sit_in_a_popover_that_names_them(demo_env):
    """The theme tracker's category, date and weeks are chosen in a pop-over whose label says the current choice;
    a choice made there drives the block's figures."""
    at = run_page("pages/trends.py", "en")

    def label() -> str:
        (only,) = [p.proto.popover.label for p in at.get("popover") if "weeks on each side" in p.proto.popover.label]
        return only

    category = at.selectbox(key="theme_category")
    from ui.safe import md

    assert label().startswith(md(category.format_func(category.value)) + " · intervention ")  # escaped: data text
    assert label().endswith(" · 8 weeks on each side")
    at.slider(key="theme_weeks").set_value(4).run()
    assert not at.exception and not at.error
    assert label().endswith(" · 4 weeks on each side")
    assert "Weekly mean, 4 weeks before" in [m.label for m in at.metric]


def some_grid(demo_db) -> str:
    import duckdb

    with duckdb.connect(str(demo_db), read_only=True) as con:
        return con.execute(
            "SELECT grid_id FROM cases WHERE reported_at >= '2025-12-01' GROUP BY 1 "
            "ORDER BY count(*) DESC, grid_id LIMIT 1"
        ).fetchone()[0]


def test_map_selection_drives_the_side_panel(demo_env):
    grid = some_grid(demo_env)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page("pages/grid_map.py")
    at.session_state["map_level"] = "grid"
    at.session_state["map_selected"] = ("grid", grid)  # what a click on the map sets
    at.run()
    assert not at.exception
    f = at.session_state["filters"]
    report = cli_json(
        "report", "--start", f.start.isoformat(), "--end", f.end.isoformat(), "--level", "grid", "--area", grid
    )
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Reported"] == f"{report['reported']:,}"
    assert tiles["Closure rate"] == f"{report['closure_rate'] * 100:.1f}%"
    assert tiles["On-time closure rate"] == f"{report['on_time_closure_rate'] * 100:.1f}%"
    assert tiles["Open overdue"] == f"{report['open_overdue']:,}"


def test_profile_shows_the_areas_numbers(demo_env):
    grid = some_grid(demo_env)
    at = run_page("pages/profile.py", "en", query={"level": "grid", "area": grid})
    assert not at.exception
    f = at.session_state["filters"]
    assert (f.level, f.area) == ("grid", grid)
    report = cli_json(
        "report", "--start", f.start.isoformat(), "--end", f.end.isoformat(), "--level", "grid", "--area", grid
    )
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Reported"] == f"{report['reported']:,}"
    assert tiles["On-time closure rate"] == f"{report['on_time_closure_rate'] * 100:.1f}%"
    assert tiles["Open overdue"] == f"{report['open_overdue']:,}"
    assert tiles["Median handling time"] == f"{report['median_handling_hours']:.1f} h"


@pytest.mark.parametrize("page", PAGES, ids=[p.key for p in PAGES])
def test_no_personal_data_on_any_page(demo_env, page):
    """No name, phone number, ID number or address planted in the demo's raw descriptions is rendered."""
    import duckdb

    with duckdb.connect(str(demo_env), read_only=True) as con:
        planted = [v for (v,) in con.execute("SELECT DISTINCT value FROM pii_planted").fetchall()]
    at = run_page(
        page.path, "zh", query={"level": "grid", "area": some_grid(demo_env)} if page.key == "profile" else None
    )
    shown = []
    for view in every_tab(at, page.key):  # every tab of a page whose tabs are drawn only when open
        shown += [df.value.to_csv() for df in view.dataframe]
        shown += [str(m.value) for m in [*view.markdown, *view.html]] + [str(c.value) for c in view.caption]
    text = "\n".join(shown)
    assert not [v for v in planted if v in text]
    if page.key in ("closed_loop", "profile"):
        assert "描述" in text or any("描述" in df.value.columns.str.cat() for df in at.dataframe)


@pytest.mark.parametrize("metric", ["reported_per_1000", "closure_rate", "score", "status"])
def test_grid_map_draws_every_metric(demo_env, metric):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/grid_map.py")
    at.session_state["map_metric"] = metric
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.get("deck_gl_json_chart")


def test_profile_area_list_and_search_sit_in_a_popover_named_by_the_area(demo_env):
    """The profile's level is a row of buttons; its area list and the place search are in a pop-over (loaded when
    opened) whose label names the area shown; an area picked there is the one the page profiles."""
    at = run_page("pages/profile.py", "en")
    assert not at.exception and not at.error
    assert at.segmented_control(key="profile_level").value == "grid"
    (popover,) = [p for p in at.get("popover") if p.proto.popover.label.startswith("Area: ")]
    inside = {w.key for w in popover.get("selectbox")} | {w.key for w in popover.get("text_input")}
    assert inside == {"profile_area_grid_None", "profile_search"}
    box = at.selectbox(key="profile_area_grid_None")
    first = box.value
    with duckdb.connect(str(demo_env), read_only=True) as con:
        names = dict(con.execute("SELECT grid_id, grid_name FROM grids").fetchall())
    assert popover.proto.popover.label == f"Area: {names[first]} ({first}) · change or search"
    other = box.options[1].rsplit(" · ", 1)[1]
    box.set_value(other).run()
    assert not at.exception and not at.error
    (popover,) = [p for p in at.get("popover") if p.proto.popover.label.startswith("Area: ")]
    assert popover.proto.popover.label == f"Area: {names[other]} ({other}) · change or search"
    assert at.subheader[0].value == f"{names[other]} (Grid)"
    at.segmented_control(key="profile_level").set_value("street").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="profile_area_street_None").options  # the streets, in the same pop-over


def test_presentation_mode_draws_its_look_and_countdown_without_html_in_markdown(demo_env):
    """Presenting (``present=1``, rotating through two pages) hides the chrome with the dark CSS and shows the
    countdown, both by ``st.html``: no markdown that allows HTML, whose parser a new session would load first."""
    from ui.present import DARK_CSS

    at = run_page("pages/overview.py", "en", query={"present": "1", "rotate": "overview,trends", "every": "30"})
    assert not at.exception and not at.error
    assert not [m.value[:60] for m in at.markdown if m.proto.allow_html]
    html = [h.proto.body for h in at.html]
    assert any(DARK_CSS in body for body in html)
    (countdown,) = [body for body in html if "<div class='gs-countdown'>" in body]
    assert "Next: Trends in 30 s" in countdown

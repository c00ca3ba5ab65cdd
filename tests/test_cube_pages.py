"""Cube mode: the app pointed at a cube database shows the same overview, map, trends, assessment and closed-loop
figures as the case-level database it was built from (AppTest, English and Chinese). Only the median and p90
handling times come from the histogram; they are compared within its stated bound, everything else exactly."""

from __future__ import annotations

import html
import re

import pytest
from streamlit.testing.v1 import AppTest

from analytics.cube.build import CUBE_DB
from analytics.cube.dialect import cube_settings
from analytics.cube.read import quantile_error_bound
from tests.test_pages import APP, TIMEOUT
from ui.navigation import PAGES as NAV_PAGES

PAGES = ("pages/overview.py", "pages/grid_map.py", "pages/trends.py", "pages/assessment.py", "pages/closed_loop.py")
MEDIAN_LABELS = {"en": "Median handling time", "zh": "处置时长中位数"}


def _run(db, monkeypatch, path: str, lang: str) -> AppTest:
    monkeypatch.setenv("GRIDSCOPE_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    at.run()
    if path != PAGES[0]:
        at.switch_page(path)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _hours(text: str) -> float:
    return float(re.search(r"[-+]?\d+(?:\.\d+)?", text.replace(",", "")).group())


def _assert_median_close(case_text: str, cube_text: str) -> None:
    relative, absolute = quantile_error_bound(cube_settings())
    exact, estimate = _hours(case_text), _hours(cube_text)
    # the tiles round to 0.1 h: allow half a step each side on top of the histogram's bound
    assert abs(estimate - exact) <= relative * exact + absolute + 0.1, (case_text, cube_text)


def _charts(at) -> list:
    """Every chart's spec with its data: plotly figures and the Vega-Lite charts ui/vega.py translates them to."""
    plotly = [("plotly", c.proto.spec) for c in at.get("plotly_chart")]
    vega = [
        ("vega", c.proto.spec, c.proto.data.SerializeToString(), [d.SerializeToString() for d in c.proto.datasets])
        for c in at.get("vega_lite_chart")
    ]
    return plotly + vega


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES)
def test_cube_mode_page_equals_case_level(demo_db, duck_cube, monkeypatch, page, lang):
    cases = _run(demo_db, monkeypatch, page, lang)
    cube = _run(duck_cube / CUBE_DB, monkeypatch, page, lang)
    tiles = {m.label: (m.value, m.delta) for m in cases.metric}
    cube_tiles = {m.label: (m.value, m.delta) for m in cube.metric}
    assert tiles.keys() == cube_tiles.keys()
    for label, (value, delta) in tiles.items():
        if label == MEDIAN_LABELS[lang]:
            _assert_median_close(value, cube_tiles[label][0])
        else:
            assert cube_tiles[label] == (value, delta), label
    assert _charts(cases) == _charts(cube)
    assert [c.proto.json for c in cases.get("deck_gl_json_chart")] == [
        c.proto.json for c in cube.get("deck_gl_json_chart")
    ]
    frames, cube_frames = [d.value for d in cases.dataframe], [d.value for d in cube.dataframe]
    assert len(frames) == len(cube_frames)
    for frame, cube_frame in zip(frames, cube_frames):
        if frame.equals(cube_frame):
            continue
        # the city index: the median handling time row may differ within the bound, and with it the index
        # (its last row, a mean of ratios that includes the median's); every other row is equal
        differ = [i for i in range(len(frame)) if not frame.iloc[i].equals(cube_frame.iloc[i])]
        median_row = frame.index[frame.iloc[:, 0] == MEDIAN_LABELS[lang]].tolist()
        assert median_row and set(differ) <= {median_row[0], len(frame) - 1}, differ
        _assert_median_close(str(frame.iloc[median_row[0], 1]), str(cube_frame.iloc[median_row[0], 1]))
    assert len(_charts(cases)) + len(cases.get("deck_gl_json_chart")) + len(frames) > 0
    alerts, cube_alerts = _alerts(cases), _alerts(cube)
    assert len(alerts) == len(cube_alerts)
    for text, cube_text in zip(alerts, cube_alerts):
        if text != cube_text:  # a slow department's median hours (from the cube's department histogram)
            assert NUMBER.sub("#", text) == NUMBER.sub("#", cube_text), (text, cube_text)
            for exact, estimate in zip(NUMBER.findall(text), NUMBER.findall(cube_text)):
                _assert_median_close(exact, estimate)
    assert page != PAGES[0] or alerts  # the overview's alerts are compared


NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _alerts(at) -> list[str]:
    """The overview's alert rows (department ones included: from the cube's department tables in cube mode)."""
    return [html.unescape(m.value) for m in at.html if "gs-alert" in m.value]  # st.html: no markdown in the browser


@pytest.mark.parametrize("page", [p.path for p in NAV_PAGES if p.path not in PAGES])
def test_every_other_page_runs_in_cube_mode(duck_cube, monkeypatch, page):
    """Pages that need case rows (lists, points, text, the dispatch model) read them from the lake through the
    cube database's ``cases`` view, filtered by the period and area like any query."""
    at = _run(duck_cube / CUBE_DB, monkeypatch, page, "zh")
    assert at.title and at.title[0].value

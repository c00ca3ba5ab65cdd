"""Charts built once for every session (``ui.present.chart`` in a ``st.cache_data`` loader): a session in another
language or in presentation mode gets its own chart, never one cached for another session."""

from __future__ import annotations

import json

from analytics.catalog import catalog
from tests.test_pages import run_page


def _specs(at) -> list[str]:
    return [el.proto.spec for el in at.get("vega_lite_chart")]


def _has(specs: list[str], text: str) -> bool:
    """``text`` among the charts' data values (json.dumps escapes non-ASCII, so compare parsed values)."""
    return any(text in json.dumps(json.loads(spec), ensure_ascii=False) for spec in specs)


def test_the_closed_loop_charts_follow_the_sessions_language_and_mode(demo_env):
    zh, en = catalog("zh"), catalog("en")
    first = run_page("pages/closed_loop.py", "zh")
    assert not first.exception and not first.error
    specs = _specs(first)
    assert len(specs) == 3  # lifecycle funnel, stage durations, disputes by level
    assert _has(specs, zh["loop.funnel_dispatched"]) and _has(specs, zh["level.grid"])
    assert not _has(specs, en["loop.funnel_dispatched"])

    second = run_page("pages/closed_loop.py", "en")  # same process: the zh charts are in the cache
    specs = _specs(second)
    assert _has(specs, en["loop.funnel_dispatched"]) and _has(specs, en["stage.closed"])
    assert _has(specs, en["level.grid"]) and not _has(specs, zh["loop.funnel_dispatched"])

    normal = [json.loads(s)["config"]["view"] for s in _specs(first)]
    assert all("fill" not in view for view in normal)  # the white page's plot area
    shown = run_page("pages/closed_loop.py", "zh", {"present": "1"})
    presented = [json.loads(s)["config"]["view"] for s in _specs(shown)]
    assert presented and all(view.get("fill") == "#111a2e" for view in presented)  # ui.present.style_figure's


def test_the_assessment_breakdown_follows_the_language(demo_env):
    zh, en = catalog("zh"), catalog("en")
    first = run_page("pages/assessment.py", "zh")
    second = run_page("pages/assessment.py", "en")
    assert not first.exception and not second.exception
    (zh_spec,) = _specs(first)
    (en_spec,) = _specs(second)
    assert zh["component.on_time_closure_rate"] in json.dumps(json.loads(zh_spec), ensure_ascii=False)
    assert en["component.on_time_closure_rate"] in en_spec
    assert zh_spec != en_spec

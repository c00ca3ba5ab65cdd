"""ui/vega.py: the house plotly figures as Vega-Lite specs (expected values worked out by hand)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from ui.charts import band_chart, before_after_chart, funnel_chart, points_chart, top_categories_chart, trend_chart
from ui.vega import figure_spec


def _layers(spec, mark):
    return [layer for layer in spec["layer"] if layer["mark"]["type"] == mark]


def test_horizontal_bars_keep_plotly_order_top_to_bottom():
    # plotly draws the first category at the bottom: a, b, c from bottom to top → c, b, a from the top
    top = pd.DataFrame({"label": ["c", "b", "a"], "reported": [30, 20, 10], "reported_previous": [25.0, 22.0, 5.0]})
    spec = figure_spec(top_categories_chart(top, "now", "before"))
    (bars,) = _layers(spec, "bar")
    # top_categories_chart reverses its frame (the biggest on top): a, b, c given → c on top
    assert bars["encoding"]["y"]["sort"] == ["c", "b", "a"]
    assert [r["v"] for r in bars["data"]["values"]] == [10, 20, 30]
    assert [r["t"] for r in _layers(spec, "text")[0]["data"]["values"]] == ["10", "20", "30"]
    (ticks,) = _layers(spec, "tick")  # the previous period: a tick per category at 5, 22, 25
    assert [(r["c"], r["v"]) for r in ticks["data"]["values"]] == [("a", 5), ("b", 22), ("c", 25)]
    # the value axis ends 15 % above the larger of both periods: 30 × 1.15
    assert abs(bars["encoding"]["x"]["scale"]["domain"][1] - 34.5) < 1e-9
    assert bars["encoding"]["color"]["scale"]["domain"] == ["now", "before"]


def test_trend_partial_bucket_is_an_open_marker_not_joined_to_the_line():
    weeks = [dt.date(2026, 10, 5), dt.date(2026, 10, 12), dt.date(2026, 10, 19)]
    series = pd.DataFrame(
        {"bucket": weeks * 2, "series": ["demand"] * 3 + ["incident"] * 3, "reported": [5, 6, 2, 9, 8, 1]}
    ).assign(partial=[False, False, True] * 2)
    spec = figure_spec(trend_chart(series, {"demand": "D", "incident": "I"}, "cases", "part"))
    lines = _layers(spec, "line")
    assert len(lines) == 2  # one per kind
    assert [r["v"] for r in lines[0]["data"]["values"]] == [5, 6]  # the partial 2 is left out of the line
    points = _layers(spec, "point")
    open_points = [p for p in points if p["mark"]["filled"] is False]
    assert [[(r["c"], r["v"]) for r in p["data"]["values"]] for p in open_points] == [
        [("2026-10-19", 2)],
        [("2026-10-19", 1)],
    ]
    assert lines[0]["encoding"]["x"]["type"] == "temporal"
    assert spec["layer"][0]["encoding"]["color"]["scale"] == {"domain": ["D", "I"], "range": ["#c0392b", "#2b6cb0"]}


def test_funnel_shares_of_the_first_stage_and_of_the_total():
    initial = figure_spec(funnel_chart(["in", "mid", "out"], [200, 150, 50]))
    texts = [r["t"] for r in _layers(initial, "bar")[0]["data"]["values"]]
    assert texts == ["200  100.0%", "150  75.0%", "50  25.0%"]  # 150 / 200, 50 / 200
    total = figure_spec(funnel_chart(["a", "b", "c", "d"], [6, 3, 1, 0], share="percent total"))
    rows = _layers(total, "bar")[0]["data"]["values"]
    assert [r["t"] for r in rows] == ["6  60.0%", "3  30.0%", "1  10.0%", "0  0.0%"]  # of 10
    assert (rows[0]["a"], rows[0]["b"]) == (-3, 3)  # centred on zero


def test_band_between_lower_and_upper_and_spikes_as_diamonds():
    frame = pd.DataFrame(
        {
            "bucket": pd.to_datetime(["2026-10-01", "2026-10-02"]),
            "count": [10, 40],
            "baseline": [11.0, 12.0],
            "lower": [8.0, 9.0],
            "upper": [14.0, 15.0],
            "spike": [False, True],
        }
    )
    labels = {"band": "band", "baseline": "base", "count": "n", "spike": "spike"}
    spec = figure_spec(band_chart(frame, labels))
    (area,) = _layers(spec, "area")
    assert [(r["v"], r["v2"]) for r in area["data"]["values"]] == [(8, 14), (9, 15)]
    diamonds = [p for p in _layers(spec, "point") if p["mark"]["shape"] == "diamond"]
    assert [(r["c"], r["v"]) for r in diamonds[0]["data"]["values"]] == [("2026-10-02T00:00:00", 40)]
    dashed = [line for line in _layers(spec, "line") if "strokeDash" in line["mark"]]
    assert [r["v"] for r in dashed[0]["data"]["values"]] == [11, 12]


def test_weekly_bars_span_four_fifths_of_a_week_centred_on_the_week():
    weekly = pd.DataFrame(
        {
            "week": [-1, 0, 1],
            "week_start": pd.to_datetime(["2026-10-05", "2026-10-12", "2026-10-19"]),
            "reported": [7, 9, 4],
        }
    )
    spec = figure_spec(before_after_chart(weekly, 7.0, 6.5, {"weekly": "w", "before": "b", "after": "a"}))
    (bars,) = _layers(spec, "bar")
    first = bars["data"]["values"][0]
    # 7 days × 0.8 = 5.6 days = 5 days 14 h 24 min, half of it (2 days 19 h 12 min) either side of Oct 5
    assert (first["a"], first["b"]) == ("2026-10-02T04:48:00", "2026-10-07T19:12:00")
    assert [r["k"] for r in bars["data"]["values"]] == ["#94a3b8", "#2b6cb0", "#2b6cb0"]  # before grey, after blue
    assert bars["encoding"]["y2"] == {"datum": 0}  # the bars stand on the axis


def test_stacked_points_and_grouped_bars():
    frame = pd.DataFrame({"label": ["g1", "g2"], "points_a": [30.0, 10.0], "points_b": [20.0, None]})
    stacked = figure_spec(points_chart(frame, ["a", "b"], {"a": "A", "b": "B"}))
    (bars,) = _layers(stacked, "bar")
    assert "stack" not in bars["encoding"]["x"]  # Vega-Lite stacks by default
    assert bars["encoding"]["y"]["sort"] == ["g1", "g2"]  # autorange reversed: the first row on top
    assert [r["v"] for r in bars["data"]["values"]] == [30, 10, 20, 0]  # a missing component counts 0
    grouped = go.Figure(
        [go.Bar(y=["x"], x=[40], orientation="h", name="A"), go.Bar(y=["x"], x=[60], orientation="h", name="B")]
    )
    grouped.update_layout(barmode="group")
    grouped.update_xaxes(ticksuffix="%")
    spec = figure_spec(grouped)
    (bars,) = _layers(spec, "bar")
    assert bars["encoding"]["yOffset"]["field"] == "s" and bars["encoding"]["x"]["stack"] is None
    assert bars["encoding"]["x"]["axis"]["labelExpr"] == "datum.label + '%'"


def test_unknown_trace_kind_is_left_to_plotly():
    assert figure_spec(go.Figure(go.Pie(labels=["a"], values=[1]))) is None
    assert figure_spec(go.Figure()) is None


def test_presentation_colours_reach_the_spec():
    top = pd.DataFrame({"label": ["a"], "reported": [3], "reported_previous": [2]})
    fig = top_categories_chart(top, "now", "before")
    fig.update_layout(plot_bgcolor="#111a2e", font=dict(color="#e2e8f0"))  # what ui.present.style_figure sets
    spec = figure_spec(fig)
    assert spec["config"]["view"]["fill"] == "#111a2e"
    assert _layers(spec, "text")[0]["mark"]["color"] == "#e2e8f0"
    assert "fill" not in figure_spec(top_categories_chart(top, "now", "before"))["config"]["view"]  # white page


def test_count_axes_tick_at_whole_numbers_and_other_values_keep_fractions():
    # a grid's weekly reports: 0 to 5 cases; ticks at 0.5 would read as half a case
    weeks = pd.date_range("2026-09-07", periods=4, freq="W-MON")
    counts = go.Figure(go.Scatter(x=weeks, y=[3, 0, 5, 1], mode="lines+markers", name="reported"))
    axis = _layers(figure_spec(counts), "line")[0]["encoding"]["y"]["axis"]
    assert axis["tickMinStep"] == 1 and axis["format"] == ",d"
    # hours or rates are not counts: 42.5 h keeps its fraction
    hours = go.Figure(go.Bar(x=["a", "b"], y=[42.5, 3.0]))
    axis = _layers(figure_spec(hours), "bar")[0]["encoding"]["y"]["axis"]
    assert "format" not in axis and "tickMinStep" not in axis

"""The overview's two charts are built with their layout given to the figure at once (plotly's ``update_layout``
and ``update_xaxes``/``update_yaxes`` cost 60-130 ms a figure): the same figure as setting it afterwards."""

from __future__ import annotations

import json

import pandas as pd

from ui.charts import LAYOUT, top_categories_chart, trend_chart


def _same(a, b) -> bool:
    return json.dumps(a.to_plotly_json(), sort_keys=True, default=str) == json.dumps(
        b.to_plotly_json(), sort_keys=True, default=str
    )


def test_trend_chart_axis():
    series = pd.DataFrame(
        {
            "bucket": pd.to_datetime(["2026-10-05", "2026-10-12", "2026-10-05", "2026-10-12"]),
            "series": ["demand", "demand", "incident", "incident"],
            "reported": [4, 7, 2, 3],
            "partial": [False, True, False, True],
        }
    )
    fig = trend_chart(series, {"demand": "D", "incident": "I"}, "reported", "partial")
    assert fig.layout.yaxis.rangemode == "tozero" and fig.layout.yaxis.gridcolor == "#e5e7eb"
    assert fig.layout.yaxis.title.text == "reported" and fig.layout.height == 300  # the house layout
    assert len(fig.data) == 4  # a line and the partial week's open marker per kind
    again = trend_chart(series, {"demand": "D", "incident": "I"}, "reported", "partial")
    again.update_layout(yaxis_title="reported", **LAYOUT)
    again.update_yaxes(rangemode="tozero", gridcolor="#e5e7eb")
    assert _same(fig, again)


def test_top_categories_chart_axis():
    top = pd.DataFrame({"label": ["a", "b"], "reported": [40, 10], "reported_previous": [20, 60]})
    fig = top_categories_chart(top, "now", "before")
    assert list(fig.layout.xaxis.range) == [0, 69.0]  # the largest bar or tick, 60, and 15 % room: 69
    again = top_categories_chart(top, "now", "before")
    again.update_layout(**{**LAYOUT, "margin": dict(l=10, r=40, t=10, b=10)})
    again.update_xaxes(gridcolor="#e5e7eb", range=[0, 69.0])
    assert _same(fig, again)

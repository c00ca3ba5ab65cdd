"""The house plotly figures as Vega-Lite specs, so pages draw them with Streamlit's own Vega-Lite renderer.

Why: a page with one plotly chart makes the browser fetch and run plotly's 4.7 MB bundle before it draws; Streamlit's
Vega-Lite renderer is a 0.8 MB chunk. The chart builders (``ui/charts.py`` and the pages' parts) keep building
plotly figures — they stay testable as figures and the briefing and tests read them — and :func:`figure_spec`
translates the small set of trace kinds they use: lines and markers (gaps, open markers, dashes), a band filled
between two lines, horizontal and vertical bars (grouped, stacked, one colour per bar, text outside) and a funnel.
A figure with anything else returns ``None`` and is drawn with plotly as before. No Streamlit here.

Examples
--------
>>> import plotly.graph_objects as go
>>> spec = figure_spec(go.Figure(go.Bar(y=["a", "b"], x=[3, 5], orientation="h", name="n")))
>>> spec["layer"][0]["mark"]["type"], [r["v"] for r in spec["layer"][0]["data"]["values"]]
('bar', [3, 5])
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

PALETTE = ["#2b6cb0", "#c0392b", "#38a169", "#d69e2e", "#805ad5", "#0f766e", "#db2777", "#64748b"]
SHAPES = {"circle": "circle", "circle-open": "circle", "diamond": "diamond", "square": "square"}
_PLAIN = {"scatter", "bar", "funnel"}


def _value(v):
    """A JSON-safe cell: dates as ISO strings, NaN as None, numpy scalars as Python ones."""
    if v is None:
        return None
    if isinstance(v, (pd.Timestamp, dt.datetime, np.datetime64)):
        return pd.Timestamp(v).isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else int(v) if float(v).is_integer() and abs(v) < 2**53 else float(v)
    return v


def _list(values) -> list:
    return [] if values is None else [_value(v) for v in values]


def _is_temporal(values: list) -> bool:
    sample = next((v for v in values if v is not None), None)
    if not isinstance(sample, str):
        return False
    try:
        pd.Timestamp(sample)
    except ValueError:
        return False
    return len(sample) >= 10 and sample[4] == "-"


def _colour(trace, fallback: str) -> str:
    line = getattr(trace, "line", None)
    marker = getattr(trace, "marker", None)
    for candidate in (getattr(line, "color", None), getattr(marker, "color", None)):
        if isinstance(candidate, str):
            return candidate
    return fallback


def _visible_line(trace) -> bool:
    """False for a scatter trace drawn with a zero-width line (the upper edge of a band)."""
    line = getattr(trace, "line", None)
    return line is None or line.width is None or line.width > 0


def _rows(trace, horizontal: bool) -> list[dict]:
    """``{"c": category or x, "v": value, "s": series, "t": text}`` rows of one trace."""
    xs, ys = _list(trace.x), _list(trace.y)
    cats, vals = (ys, xs) if horizontal else (xs, ys)
    texts = _list(trace.text) if isinstance(trace.text, (tuple, list, np.ndarray)) else [None] * len(vals)
    colours = trace.marker.color if isinstance(getattr(trace.marker, "color", None), (tuple, list)) else None
    rows = []
    for i, (c, v) in enumerate(zip(cats, vals)):
        row = {"c": c, "v": v, "s": trace.name or "", "t": None if texts[i] is None else str(texts[i])}
        if colours is not None:
            row["k"] = colours[i]
        rows.append(row)
    return rows


def _whole(values: list) -> bool:
    """True when every value is a whole number (counts): their axis needs no fractional ticks."""
    numbers = [v for v in values if v is not None]
    return bool(numbers) and all(float(v).is_integer() for v in numbers)


def _axes(fig, horizontal: bool, categories: list, temporal: bool, whole: bool = False) -> tuple[dict, dict]:
    """Encodings of the category (or time) axis and the value axis, from the figure's layout; ``whole``: the
    values are counts (ticks at whole numbers, thousands separated: 1,200 not 1200.0)."""
    cat_axis, val_axis = (fig.layout.yaxis, fig.layout.xaxis) if horizontal else (fig.layout.xaxis, fig.layout.yaxis)
    cat = {"field": "c", "title": cat_axis.title.text}
    if temporal:
        cat.update(type="temporal", axis={"format": cat_axis.tickformat} if cat_axis.tickformat else {})
    else:
        order = categories if (horizontal and cat_axis.autorange == "reversed") or not horizontal else categories[::-1]
        cat.update(type="nominal", sort=order, axis={"labelLimit": 260, "labelOverlap": False})
    val = {"field": "v", "type": "quantitative", "title": val_axis.title.text, "axis": {"tickCount": 8}}
    if val_axis.range is not None:
        val["scale"] = {"domain": list(val_axis.range)}
    if val_axis.ticksuffix:
        val["axis"]["labelExpr"] = f"datum.label + {val_axis.ticksuffix!r}"
    elif whole:
        val["axis"].update(tickMinStep=1, format=",d")
    return cat, val


def _legend(fig) -> dict:
    bottom = fig.layout.legend.y is not None and fig.layout.legend.y < 0
    return {"orient": "bottom" if bottom else "top", "direction": "horizontal", "title": None, "columns": 4}


def _tooltip(cat_title: str | None, val_title: str | None) -> list[dict]:
    """Series, category (or time) and value; untitled ones get distinct blank titles (Vega keys rows by title)."""
    return [
        {"field": "s", "title": " "},
        {"field": "c", "title": cat_title or "  "},
        {"field": "v", "title": val_title or "   "},
    ]


def _series_layer(trace, rows, horizontal, axes, colour_enc, in_legend, colour) -> list[dict]:
    """Layers of one scatter trace: its line, its markers (``colour``: the trace's, or the palette's)."""
    layers = []
    cat, val = axes
    mode = trace.mode or "lines+markers"
    colour_channel = colour_enc if in_legend else {"value": colour}
    keep = [r for r in rows if r["v"] is not None]
    enc = {"x": val, "y": cat} if horizontal else {"x": cat, "y": val}
    tooltip = _tooltip(cat.get("title"), val.get("title"))
    if "lines" in mode and (trace.line.width is None or trace.line.width > 0):
        mark = {"type": "line", "strokeWidth": trace.line.width or 2, "color": colour}
        if trace.line.dash:
            mark["strokeDash"] = [6, 4]
        layers.append({"data": {"values": keep}, "mark": mark, "encoding": {**enc, "color": colour_channel}})
    if "markers" in mode:
        symbol = trace.marker.symbol or "circle"
        size = (trace.marker.size or 6) ** 2
        if symbol == "line-ns-open":  # a tick across a horizontal bar: the previous period
            mark = {"type": "tick", "orient": "vertical" if horizontal else "horizontal", "thickness": 2}
            mark.update(color=colour, size=size / 20)
        else:
            mark = {"type": "point", "shape": SHAPES.get(symbol, "circle"), "size": size, "color": colour}
            mark.update(filled=not symbol.endswith("-open"), opacity=1)
        marker_colour = colour_channel if "lines" not in mode or not in_legend else {"value": colour}
        layers.append(
            {
                "data": {"values": keep},
                "mark": mark,
                "encoding": {**enc, "color": marker_colour, "tooltip": tooltip},
            }
        )
    return layers


def _band_layer(upper, lower, cat, val) -> dict:
    rows = [
        {"c": c, "v": lo, "v2": hi}
        for c, lo, hi in zip(_list(lower.x), _list(lower.y), _list(upper.y))
        if lo is not None and hi is not None
    ]
    return {
        "data": {"values": rows},
        "mark": {"type": "area", "color": lower.fillcolor or "rgba(43,108,176,0.15)"},
        "encoding": {"x": cat, "y": val, "y2": {"field": "v2"}},
    }


def _bar_layers(traces, horizontal, barmode, cat, val, colour_enc) -> list[dict]:
    rows = [r for tr in traces for r in _rows(tr, horizontal)]
    several = len(traces) > 1
    enc = {"x": val, "y": cat} if horizontal else {"x": cat, "y": val}
    if "k" in rows[0]:  # one colour per bar, as given (fill, so the lines' colour legend stays)
        enc["fill"] = {"field": "k", "type": "nominal", "scale": None, "legend": None}
    elif several or len(colour_enc["scale"]["domain"]) > 1:  # bars beside other traces keep their legend entry
        enc["color"] = colour_enc
    else:
        enc["color"] = {"value": _colour(traces[0], "#2b6cb0")}
    offset = "yOffset" if horizontal else "xOffset"
    if several and barmode == "group":
        enc[offset] = {"field": "s", "sort": [tr.name for tr in traces]}
    val_field = enc["x" if horizontal else "y"]
    if several and barmode != "stack":
        val_field["stack"] = None
    enc["tooltip"] = _tooltip(cat.get("title"), val.get("title"))
    if cat.get("type") == "temporal":  # bars as wide as 80 % of the step between buckets, centred on them
        rows = _time_spans(rows)
        enc["x"] = {**cat, "field": "a"}
        enc["x2"] = {"field": "b"}
        enc["y2"] = {"datum": 0}  # from the axis up: a bar ranged in x alone would be drawn as a thin line
    layers = [{"data": {"values": rows}, "mark": {"type": "bar"}, "encoding": enc}]
    if any(r["t"] is not None for r in rows) and barmode != "stack":
        text_enc = {k: v for k, v in enc.items() if k not in ("color", "tooltip")}
        text_enc["text"] = {"field": "t"}
        mark = {"type": "text", "align": "left" if horizontal else "center", "dx": 4 if horizontal else 0}
        mark.update(dy=0 if horizontal else -8, fontSize=13)
        layers.append({"data": {"values": rows}, "mark": mark, "encoding": text_enc})
    return layers


def _time_spans(rows: list[dict], share: float = 0.8) -> list[dict]:
    """Rows with ``a`` and ``b``: the bucket minus and plus ``share / 2`` of the smallest step between buckets."""
    stamps = sorted({pd.Timestamp(r["c"]) for r in rows if r["c"] is not None})
    steps = [b - a for a, b in zip(stamps, stamps[1:])]
    half = (min(steps) if steps else pd.Timedelta(days=1)) * share / 2
    spans = []
    for r in rows:
        at = pd.Timestamp(r["c"])
        spans.append({**r, "a": (at - half).isoformat(), "b": (at + half).isoformat()})
    return spans


def _funnel_layers(trace) -> list[dict]:
    stages, values = _list(trace.y), [v or 0 for v in _list(trace.x)]
    total = sum(values) or 1
    initial = values[0] or 1 if values else 1
    share_total = "percentTotal" in (trace.texttemplate or "")
    rows = []
    for stage, v in zip(stages, values):
        share = v / (total if share_total else initial)
        rows.append({"c": stage, "a": -v / 2, "b": v / 2, "v": v, "t": f"{v:,d}  {share:.1%}"})
    cat = {"field": "c", "type": "nominal", "sort": stages, "title": None, "axis": {"labelLimit": 260}}
    widest = max(values, default=0) or 1  # room right of the widest bar for its text
    colour = trace.marker.color if isinstance(trace.marker.color, str) else "#2b6cb0"
    bar = {
        "data": {"values": rows},
        "mark": {"type": "bar", "color": colour},
        "encoding": {
            "y": cat,
            "x": {"field": "a", "type": "quantitative", "axis": None, "scale": {"domain": [-widest / 2, widest * 0.8]}},
            "x2": {"field": "b"},
            "tooltip": [{"field": "c", "title": " "}, {"field": "t", "title": "  "}],
        },
    }
    text = {  # beside the bar's right end: readable on a short bar and in the dark theme (the theme's text colour)
        "data": {"values": rows},
        "mark": {"type": "text", "align": "left", "dx": 6, "fontSize": 13},
        "encoding": {"y": cat, "text": {"field": "t"}, "x": {"field": "b", "type": "quantitative"}},
    }
    return [bar, text]


def figure_spec(fig) -> dict | None:
    """The Vega-Lite spec of a house plotly figure, or ``None`` when it uses something not translated here."""
    traces = list(fig.data)
    if not traces or any(tr.type not in _PLAIN for tr in traces):
        return None
    layout = fig.layout
    height = layout.height or 300
    if traces[0].type == "funnel":
        if len(traces) > 1:
            return None
        return _spec(_funnel_layers(traces[0]), height, layout)
    horizontal = any(getattr(tr, "orientation", None) == "h" for tr in traces)
    rows = [r for tr in traces for r in _rows(tr, horizontal)]
    categories = list(dict.fromkeys(r["c"] for r in rows if r["c"] is not None))
    temporal = not horizontal and _is_temporal(categories)
    cat, val = _axes(fig, horizontal, categories, temporal, _whole([r["v"] for r in rows]))
    legend_traces = [tr for tr in traces if tr.showlegend is not False and tr.name and _visible_line(tr)]
    domain = list(dict.fromkeys(tr.name for tr in legend_traces))
    colours, fallback = {}, iter(PALETTE)
    for tr in legend_traces:
        colours.setdefault(tr.name, _colour(tr, None) or next(fallback))
    colour_enc = {
        "field": "s",
        "type": "nominal",
        "scale": {"domain": domain, "range": [colours[n] for n in domain]},
        "legend": _legend(fig) if len(domain) > 1 or layout.showlegend else None,
    }
    layers: list[dict] = []
    bars = [tr for tr in traces if tr.type == "bar"]
    if bars:
        layers += _bar_layers(bars, horizontal, layout.barmode or "group", cat, val, colour_enc)
    for i, tr in enumerate(traces):
        if tr.type != "scatter":
            continue
        if tr.fill == "tonexty" and i > 0:
            layers.append(_band_layer(traces[i - 1], tr, cat, val))
            continue
        if tr.line.width == 0:
            continue  # the band's upper edge, drawn by the band
        in_legend = tr.name in colours and tr.showlegend is not False
        colour = colours.get(tr.name) if in_legend else _colour(tr, "#2b6cb0")
        layers += _series_layer(tr, _rows(tr, horizontal), horizontal, (cat, val), colour_enc, in_legend, colour)
    return _spec(layers, height, layout)


def _spec(layers: list[dict], height: int, layout) -> dict:
    size = layout.font.size or 14
    if layout.font.color:  # text beside bars in the figure's font colour (light in presentation mode)
        for layer in layers:
            if layer["mark"]["type"] == "text":
                layer["mark"].setdefault("color", layout.font.color)
    config = {
        "axis": {"labelFontSize": size - 1, "titleFontSize": size - 1, "grid": True},
        "legend": {"labelFontSize": size - 1, "symbolStrokeWidth": 3},
        "view": {"stroke": None},
    }
    if layout.plot_bgcolor and layout.plot_bgcolor != "#ffffff":
        config["view"]["fill"] = layout.plot_bgcolor
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "height": height - 40,
        "width": "container",
        "layer": layers,
        "config": config,
    }

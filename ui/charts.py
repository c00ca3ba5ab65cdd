"""plotly chart builders (no Streamlit calls; testable as figures)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

KIND_COLORS = {"incident": "#2b6cb0", "demand": "#c0392b", "dispute": "#8e44ad", "all": "#2b6cb0"}
LAYOUT = dict(
    margin=dict(l=10, r=10, t=10, b=10),
    height=300,
    legend=dict(orientation="h", y=1.08, x=0),
    font=dict(size=14),
    plot_bgcolor="#ffffff",
    paper_bgcolor="rgba(0,0,0,0)",
)


def trend_chart(
    series: pd.DataFrame, labels: dict[str, str], y_title: str, partial_label: str | None = None
) -> go.Figure:
    """Lines of reported cases per bucket, one per series (kind).

    Buckets marked ``partial`` (cut by the data coverage or the period) are not joined to the line, so a
    partial last week is not drawn as a collapse: they show as open markers named ``partial_label``.
    """
    traces = []
    partial = series["partial"].astype(bool) if "partial" in series else pd.Series(False, index=series.index)
    for key, part in series.groupby("series", sort=True):
        cut = partial.loc[part.index]
        traces.append(
            go.Scatter(
                x=part["bucket"],
                y=part["reported"].where(~cut),
                mode="lines+markers",
                name=labels.get(key, key),
                legendgroup=str(key),
                line=dict(color=KIND_COLORS.get(key), width=2.5),
                marker=dict(size=5),
            )
        )
        if cut.any():
            traces.append(
                go.Scatter(
                    x=part.loc[cut, "bucket"],
                    y=part.loc[cut, "reported"],
                    mode="markers",
                    name=f"{labels.get(key, key)} · {partial_label or 'partial'}",
                    legendgroup=str(key),
                    showlegend=False,
                    hovertemplate=f"%{{x}}: %{{y}} ({partial_label or 'partial'})<extra></extra>",
                    marker=dict(size=9, symbol="circle-open", color=KIND_COLORS.get(key), line=dict(width=2)),
                )
            )
    # the layout given to the constructor: fig.update_layout(**LAYOUT) and update_yaxes cost 60-130 ms a figure
    axis = dict(title=dict(text=y_title), rangemode="tozero", gridcolor="#e5e7eb")
    return go.Figure(data=traces, layout={**LAYOUT, "yaxis": axis})


def top_categories_chart(top: pd.DataFrame, current: str, previous: str) -> go.Figure:
    """Horizontal bars: this period's count per category, the previous period as a thin marker."""
    top = top.iloc[::-1]
    bars = go.Bar(
        y=top["label"],
        x=top["reported"],
        orientation="h",
        name=current,
        marker_color="#2b6cb0",
        text=top["reported"],
        textposition="outside",
        cliponaxis=False,
    )
    ticks = go.Scatter(
        y=top["label"],
        x=top["reported_previous"],
        mode="markers",
        name=previous,
        marker=dict(symbol="line-ns-open", size=18, color="#111827", line=dict(width=2)),
    )
    axis = dict(gridcolor="#e5e7eb", range=[0, max(top["reported"].max(), top["reported_previous"].max()) * 1.15])
    layout = {**LAYOUT, "margin": dict(l=10, r=40, t=10, b=10), "xaxis": axis}
    return go.Figure(data=[bars, ticks], layout=layout)  # the layout given at once (see trend_chart)


def funnel_chart(
    stages: list[str], values: list[int], color: str = "#2b6cb0", height: int = 320, share: str = "percent initial"
) -> go.Figure:
    """A funnel with counts and each stage's share: of the first stage (lifecycle) or of the total (levels)."""
    share_field = "percentInitial" if share == "percent initial" else "percentTotal"
    fig = go.Figure(
        go.Funnel(
            y=stages,
            x=values,
            texttemplate=f"%{{value:,d}}<br>%{{{share_field}:.1%}}",
            marker=dict(color=color),
            connector=dict(line=dict(color="#cbd5e1")),
        )
    )
    fig.update_layout(**{**LAYOUT, "height": height, "showlegend": False})
    return fig


def duration_chart(frame: pd.DataFrame, median_label: str, p90_label: str, height: int = 300) -> go.Figure:
    """Median and p90 hours per lifecycle step (``label``, ``median_hours``, ``p90_hours``)."""
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=frame["label"],
            x=frame["median_hours"],
            orientation="h",
            name=median_label,
            marker_color="#2b6cb0",
            text=frame["median_hours"].round(1),
            textposition="outside",
            cliponaxis=False,
        )
    )
    fig.add_trace(
        go.Bar(
            y=frame["label"],
            x=frame["p90_hours"],
            orientation="h",
            name=p90_label,
            marker_color="#93c5fd",
            text=frame["p90_hours"].round(1),
            textposition="outside",
            cliponaxis=False,
        )
    )
    fig.update_layout(barmode="group", **{**LAYOUT, "height": height, "margin": dict(l=10, r=50, t=10, b=10)})
    fig.update_yaxes(autorange="reversed")
    return fig


def points_chart(frame: pd.DataFrame, components: list[str], labels: dict[str, str], height: int = 420) -> go.Figure:
    """Stacked horizontal bars: each entity's score split into its components' points (why a grid is a C)."""
    palette = ["#2b6cb0", "#38a169", "#d69e2e", "#805ad5"]
    fig = go.Figure()
    for i, name in enumerate(components):
        fig.add_trace(
            go.Bar(
                y=frame["label"],
                x=frame[f"points_{name}"].fillna(0),
                orientation="h",
                name=labels[name],
                marker_color=palette[i % len(palette)],
            )
        )
    fig.update_layout(
        barmode="stack",
        **{
            **LAYOUT,
            "height": height,
            "legend": dict(orientation="h", y=-0.08, x=0, yanchor="top", traceorder="normal"),
        },
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, 100], gridcolor="#e5e7eb")
    return fig


def band_chart(frame: pd.DataFrame, labels: dict[str, str], height: int = 320) -> go.Figure:
    """Counts with the seasonal baseline and its band; spikes marked (``bucket``, ``count``, ``baseline``,
    ``lower``, ``upper``, ``spike``)."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=frame["bucket"], y=frame["upper"], mode="lines", line=dict(width=0), showlegend=False, hoverinfo="skip"
        )
    )
    fig.add_trace(
        go.Scatter(
            x=frame["bucket"],
            y=frame["lower"],
            mode="lines",
            line=dict(width=0),
            fill="tonexty",
            fillcolor="rgba(43,108,176,0.15)",
            name=labels["band"],
        )
    )
    fig.add_trace(
        go.Scatter(
            x=frame["bucket"],
            y=frame["baseline"],
            mode="lines",
            name=labels["baseline"],
            line=dict(color="#64748b", dash="dash"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=frame["bucket"],
            y=frame["count"],
            mode="lines+markers",
            name=labels["count"],
            line=dict(color="#1f2933", width=2),
            marker=dict(size=4),
        )
    )
    spikes = frame[frame["spike"]]
    fig.add_trace(
        go.Scatter(
            x=spikes["bucket"],
            y=spikes["count"],
            mode="markers",
            name=labels["spike"],
            marker=dict(color="#d63031", size=12, symbol="diamond"),
        )
    )
    fig.update_layout(**{**LAYOUT, "height": height})
    fig.update_yaxes(rangemode="tozero", gridcolor="#e5e7eb")
    return fig


def compare_chart(frame: pd.DataFrame, columns: dict[str, str], height: int = 300) -> go.Figure:
    """Lines of several columns of one frame against ``bucket`` (e.g. this year and a year earlier)."""
    fig = go.Figure()
    palette = ["#c0392b", "#94a3b8", "#2b6cb0"]
    for i, (column, label) in enumerate(columns.items()):
        fig.add_trace(
            go.Scatter(
                x=frame["bucket"],
                y=frame[column],
                mode="lines+markers",
                name=label,
                line=dict(color=palette[i % 3], width=2.5 if i == 0 else 2),
            )
        )
    fig.update_layout(**{**LAYOUT, "height": height})
    fig.update_yaxes(rangemode="tozero", gridcolor="#e5e7eb")
    return fig


def before_after_chart(
    weekly: pd.DataFrame, before: float, after: float, labels: dict[str, str], height: int = 300
) -> go.Figure:
    """Weekly bars around an intervention, with the before and after means as lines."""
    colours = ["#94a3b8" if w < 0 else "#2b6cb0" for w in weekly["week"]]
    fig = go.Figure(go.Bar(x=weekly["week_start"], y=weekly["reported"], marker_color=colours, name=labels["weekly"]))
    pivot = weekly.loc[weekly["week"] == 0, "week_start"].iloc[0]
    first, last = weekly["week_start"].min(), weekly["week_start"].max()
    fig.add_trace(
        go.Scatter(
            x=[first, pivot],
            y=[before, before],
            mode="lines",
            name=labels["before"],
            line=dict(color="#475569", dash="dash", width=2),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[pivot, last],
            y=[after, after],
            mode="lines",
            name=labels["after"],
            line=dict(color="#c0392b", dash="dash", width=2),
        )
    )
    fig.update_layout(**{**LAYOUT, "height": height})
    return fig

"""What a briefing says, in one language: the KPI tiles with their change, alert lines, the worst grids
with the score component that cost them the most points, the top categories — and the assembled HTML.

The overview's download button passes its cached frames to :func:`compose`; the ``brief`` command
gathers the same frames with :func:`gather`. Either way one renderer writes the document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from analytics import alerts, metrics, queries
from analytics.briefing.render import render, svg_map
from analytics.catalog import fmt_date, fmt_hours, fmt_int, fmt_metric, fmt_pct, signed, text
from analytics.filters import Filters
from analytics.scoring import STATUS_COLORS, add_scores, component_rates

STATUS_ORDER = ("red", "amber", "green", "grey")


@dataclass(frozen=True)
class Tile:
    key: str  # metric name in the report object
    kind: str  # "count", "rate" or "hours"
    lower_is_better: bool = False


OVERVIEW_TILES = (
    Tile("reported", "count"),
    Tile("closure_rate", "rate"),
    Tile("on_time_closure_rate", "rate"),
    Tile("median_handling_hours", "hours", lower_is_better=True),
    Tile("satisfaction_rate", "rate"),
    Tile("open_overdue", "count", lower_is_better=True),
    Tile("local_resolution_rate", "rate"),
    Tile("response_rate", "rate"),
)


def tile_delta(tile: Tile, value, previous, lang: str) -> str | None:
    """Change against the previous period: percentage points for rates, relative change otherwise."""
    if value is None or previous is None:
        return None
    if tile.kind == "rate":
        return text(lang, "delta.points", value=signed((value - previous) * 100))
    if previous == 0:
        return None
    return f"{signed((value - previous) / previous * 100)}%"


def unchanged(delta: str | None) -> bool:
    """Whether a delta from :func:`tile_delta` shows no change (drawn without an arrow or a colour)."""
    return delta is not None and not delta.lstrip().startswith(("+", "-"))


def points_lost(scored: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """Points each score component cost a grid: its share of the 100 points (weights rescaled over the
    components that have data, as in :func:`analytics.scoring.weighted_score`) times ``1 − rate``.

    Examples
    --------
    >>> g = pd.DataFrame({"on_time_closure_rate": [0.5], "closure_rate": [1.0], "satisfaction_rate": [None],
    ...                   "rework_rate": [0.0]})
    >>> w = {"on_time_closure_rate": 40, "closure_rate": 30, "satisfaction_rate": 20, "non_rework_rate": 10}
    >>> points_lost(g, w).round(2).iloc[0].to_dict()  # 40 of 80 weight -> 50 points, half of them lost
    {'on_time_closure_rate': 25.0, 'closure_rate': 0.0, 'satisfaction_rate': nan, 'non_rework_rate': 0.0}
    """
    rates = component_rates(scored, "grid")[list(weights)].astype(float)
    w = pd.Series(weights, dtype=float)
    present = rates.notna().mul(w, axis=1).sum(axis=1)
    scale = 100.0 / present.where(present > 0)
    return (1 - rates).mul(w, axis=1).mul(scale, axis=0)


def worst_grids(scored: pd.DataFrame, weights: dict[str, float], limit: int = 5) -> pd.DataFrame:
    """The lowest-scoring graded grids with ``reason`` (the component that lost most) and ``lost``."""
    graded = scored.dropna(subset=["score"])
    if graded.empty:
        return graded.assign(reason=pd.Series(dtype=object), lost=pd.Series(dtype=float))
    worst = graded.nsmallest(int(limit), "score")
    lost = points_lost(worst, weights)
    return worst.assign(reason=lost.idxmax(axis=1), lost=lost.max(axis=1))


def alert_text(row, lang: str) -> str:
    if row.alert in ("overdue_grid", "overdue_department"):
        return text(lang, "alert.text.overdue", value=fmt_int(row.value, lang))
    if row.alert == "on_time_drop":
        return text(lang, "alert.text.on_time_drop", previous=fmt_pct(row.previous), value=fmt_pct(row.value))
    if row.alert == "slow_department":
        return text(lang, "alert.text.slow", previous=fmt_hours(row.previous, lang), value=fmt_hours(row.value, lang))
    if row.alert == "rising_demand":
        return text(lang, "alert.text.rising", previous=fmt_int(row.previous, lang), value=fmt_int(row.value, lang))
    return text(
        lang,
        "alert.text.spike",
        day=row.day,
        value=fmt_int(row.value, lang),
        previous=fmt_int(round(row.previous), lang),
    )


def subject_name(row, names: dict) -> str:
    """An alert's subject in the language of ``names`` (departments and categories are translated)."""
    table = names.get(row.subject_type, {}) if row.subject_type in ("department", "category") else {}
    return str(table.get(row.subject_id, row.subject_name))


@dataclass(frozen=True)
class Material:
    """Everything a briefing shows, already computed (frames as the app's loaders return them)."""

    f: Filters
    current: dict
    previous: dict
    scored: pd.DataFrame  # grids of the area: metrics.by_area + add_scores
    geoms: pd.DataFrame  # area_id, geometry of those grids
    top: pd.DataFrame  # queries.top_categories
    alerts: pd.DataFrame  # analytics.alerts.alerts
    names: dict  # display-name lookups of queries.display_names for the language
    place: str  # city and area, for the title


def gather(con: duckdb.DuckDBPyConnection, f: Filters, cfg: dict, place: str, lang: str) -> Material:
    """The material of one briefing straight from the database (what the ``brief`` command uses)."""
    scored = add_scores(metrics.by_area(con, f, "grid", cfg), cfg)
    geoms = queries.area_geometries(con, "grid")
    return Material(
        f,
        metrics.summary(con, f, cfg),
        metrics.summary(con, f.previous(), cfg),
        scored,
        geoms[geoms["area_id"].isin(scored["area_id"])],
        queries.top_categories(con, f, 10),
        alerts.alerts(con, f, cfg, grids=scored),
        queries.display_names(con, lang),
        place,
    )


def _caption(m: Material, area: str, lang: str) -> str:
    prev, last = m.f.previous(), m.f.end - dt.timedelta(days=1)
    kind = text(lang, f"kind.{m.f.kind}") if m.f.kind else text(lang, "kind.all")
    return text(
        lang,
        "overview.caption",
        start=fmt_date(m.f.start, lang),
        end=fmt_date(last, lang),
        prev_start=fmt_date(prev.start, lang),
        prev_end=fmt_date(prev.end - dt.timedelta(days=1), lang),
        area=area,
        kind=kind,
    )


def compose(m: Material, cfg: dict, lang: str, area_label: str, generated: dt.datetime) -> str:
    """The briefing of ``m`` as one self-contained HTML document in ``lang``."""
    tiles = [
        (
            text(lang, f"metric.{tile.key}"),
            fmt_metric(tile.key, m.current.get(tile.key), lang),
            tile_delta(tile, m.current.get(tile.key), m.previous.get(tile.key), lang) or "",
        )
        for tile in OVERVIEW_TILES
    ]
    status = m.scored.set_index("area_id")["status"]
    counts = status.value_counts()
    legend = [
        ("rgb({},{},{})".format(*STATUS_COLORS[s]), f"{text(lang, 'status.' + s)} {int(counts.get(s, 0))}")
        for s in STATUS_ORDER
    ]
    categories = m.names.get("category", {})
    top_rows = [
        (categories.get(c, n or c), fmt_int(r, lang), fmt_int(p, lang))
        for c, n, r, p in zip(
            m.top["category_code"], m.top["category_name"], m.top["reported"], m.top["reported_previous"]
        )
    ]
    alert_rows = [
        f"{text(lang, 'alert.' + row.alert)} · {subject_name(row, m.names)} · {alert_text(row, lang)}"
        for row in m.alerts.itertuples()
    ]
    weights = cfg["score"]["weights"]
    worst = [
        (
            str(row.area_name),
            f"{row.score:.1f}",
            str(row.grade),
            text(lang, "brief.reason", component=text(lang, f"component.{row.reason}"), points=f"{row.lost:.1f}"),
        )
        for row in worst_grids(m.scored, weights).itertuples()
    ]
    notes = [f"{text(lang, 'metric.' + tile.key)}: {text(lang, 'metric_help.' + tile.key)}" for tile in OVERVIEW_TILES]
    notes.append(text(lang, "overview.map_note", minimum=cfg["status"]["min_due_to_close"]))
    return render(
        f"{m.place} · {text(lang, 'brief.title')}",
        _caption(m, area_label, lang),
        tiles,
        svg_map(m.geoms, status),
        legend,
        top_rows,
        (text(lang, "col.category_name"), text(lang, "overview.this_period"), text(lang, "overview.prev_period")),
        alert_rows,
        {
            "map": text(lang, "overview.map_title"),
            "top": text(lang, "overview.top_title"),
            "alerts": text(lang, "overview.alerts_title"),
            "worst": text(lang, "brief.worst_title"),
        },
        notes,
        generated,
        worst=worst,
        worst_headers=tuple(text(lang, f"brief.worst_{c}") for c in ("grid", "score", "grade", "reason")),
        lang=lang,
        report=m.current,
    )

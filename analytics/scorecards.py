"""考核评价: scorecards for grids, departments and grid workers, with rank and change of rank.

The same 100-point pattern for every entity (``metrics.md``: Scores and status);
the previous equal period gives the change of rank (positive = moved up).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics import metrics
from analytics.closed_loop import worker_metrics
from analytics.departments import department_metrics
from analytics.filters import Filters
from analytics.scoring import ENTITIES, add_scores

ENTITY_KEYS = {
    "grid": ("area_id", "area_name"),
    "department": ("department", "department_name"),
    "worker": ("worker_id", "grid_name"),
}


def entity_kind(entity: str) -> str:
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}; expected one of {', '.join(ENTITIES)}")
    return entity


def entity_metrics(
    con: duckdb.DuckDBPyConnection, f: Filters, entity: str, cfg: dict, area_quantiles: bool = True
) -> pd.DataFrame:
    """The metrics a scorecard scores, one row per entity, with ``entity_id`` and ``entity_name`` (a grid's
    handling-time quantiles only with ``area_quantiles``: no score reads them)."""
    entity = entity_kind(entity)
    if entity == "grid":
        frame = metrics.by_area(con, f, "grid", cfg, area_quantiles)
        if float(cfg["score"]["weights"].get("non_repeat_rate", 0) or 0) > 0:
            from analytics.repeats.rates import repeat_rates

            rates = repeat_rates(con, f, "grid")[["area_id", "repeat_rate"]]
            frame = frame.merge(rates, on="area_id", how="left")
    elif entity == "department":
        frame = department_metrics(con, f, cfg)
    else:
        frame = worker_metrics(con, f)
    id_col, name_col = ENTITY_KEYS[entity]
    return frame.assign(entity_id=frame[id_col].astype(str), entity_name=frame[name_col])


def report_target(f: Filters, cfg: dict) -> float:
    """A worker's expected reports in P (``worker_reports_per_30_days`` scaled to the period's length)."""
    return max(float(cfg["score"]["worker_reports_per_30_days"]) * f.days / 30.0, 1.0)


def scorecard(
    con: duckdb.DuckDBPyConnection, f: Filters, entity: str, cfg: dict, weights: dict[str, float] | None = None
) -> pd.DataFrame:
    """Scores, grades, ranks and rank changes of every entity, best first (ungraded last)."""
    target = report_target(f, cfg)
    now = add_scores(entity_metrics(con, f, entity, cfg), cfg, weights, entity, target)
    # the previous period gives ranks only: its grids' handling-time quantiles are not asked
    before = add_scores(entity_metrics(con, f.previous(), entity, cfg, False), cfg, weights, entity, target)
    previous = before[["entity_id", "score", "grade", "rank"]].rename(
        columns={"score": "score_previous", "grade": "grade_previous", "rank": "rank_previous"}
    )
    out = now.merge(previous, on="entity_id", how="left")
    out["rank_change"] = (out["rank_previous"] - out["rank"]).astype("Int64")
    return out.sort_values(["rank", "entity_id"], na_position="last", kind="stable").reset_index(drop=True)

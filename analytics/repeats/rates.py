"""Repeats and rebounds for a filter set, and the repeat and rebound rates per area (``metrics.md``).

- repeat rate 重复诉求率 = cases reported in P that join an earlier case's cluster / cases reported in P;
- rebound rate 问题反弹率 = cases closed in P followed, within ``rebound_days`` of closure, by a new case of
  the same category within ``rebound_distance_m`` / cases closed in P (not cancelled).

Parents are searched city-wide (a repeat across an area border is still a
repeat) and before the period (up to one window earlier); the area filter
selects the repeating cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd

from analytics.filters import Filters, case_filter_sql, level_columns, period_params
from analytics.repeats.clusters import RepeatRule, find_repeats
from analytics.repeats.pairs import candidate_pairs

LOAD_COLUMNS = "c.case_id, c.category_code, c.lon, c.lat, c.reported_at, c.closed_at, c.status, c.grid_id"
REBOUND_COLUMNS = ["case_id", "rebound_id", "category_code", "closed_at", "distance_m", "days_after"]


def _load(con, f: Filters, start: dt.datetime, end: dt.datetime, text: bool, time_col: str = "reported_at"):
    where, params = case_filter_sql(replace(f, level=None, area=None), "c")
    extra = ", c.description" if text else ""
    return con.execute(
        f"SELECT {LOAD_COLUMNS}{extra} FROM cases c WHERE c.{time_col} >= $s AND c.{time_col} < $e AND {where}",
        params | {"s": start, "e": end},
    ).df()


def _in_area(con, f: Filters, grid_ids: pd.Series) -> np.ndarray:
    if f.level is None or f.area is None:
        return np.ones(len(grid_ids), dtype=bool)
    id_col, _ = level_columns(f.level)
    grids = con.execute(f"SELECT grid_id FROM grids WHERE {id_col} = $a", {"a": str(f.area)}).df()["grid_id"]
    return grid_ids.isin(set(grids)).to_numpy()


def repeats(con: duckdb.DuckDBPyConnection, f: Filters, rule: RepeatRule | None = None) -> pd.DataFrame:
    """Cases reported in the period (and area) that repeat an earlier case, with their parents."""
    rule = rule or RepeatRule.from_config()
    p = period_params(f)
    cases = _load(con, f, p["start"] - dt.timedelta(hours=rule.window_hours), p["end"], True)
    found = find_repeats(cases, rule)
    grid_of = dict(zip(cases["case_id"], cases["grid_id"]))
    found = found[found["reported_at"] >= p["start"]]
    found = found[_in_area(con, f, found["case_id"].map(grid_of))]
    return found.reset_index(drop=True)


def rebounds(con: duckdb.DuckDBPyConnection, f: Filters, rule: RepeatRule | None = None) -> pd.DataFrame:
    """Cases closed in the period (and area) followed by a new case of the same category at the same place."""
    rule = rule or RepeatRule.from_config()
    p = period_params(f)
    closed = _load(con, f, p["start"], p["end"], False, time_col="closed_at")
    closed = closed[(closed["status"] != "cancelled") & _in_area(con, f, closed["grid_id"])].reset_index(drop=True)
    later = _load(con, f, p["start"], p["end"] + dt.timedelta(days=rule.rebound_days), False)
    pairs = candidate_pairs(
        closed,
        later,
        rule.rebound_distance_m,
        rule.rebound_days * 24,
        earlier_time="closed_at",
        later_time="reported_at",
    )
    pairs = pairs[
        (pairs["hours_apart"] > 0)
        & (closed["case_id"].to_numpy()[pairs["e"]] != later["case_id"].to_numpy()[pairs["l"]])
    ]
    pairs = pairs.sort_values(["e", "hours_apart"], kind="stable").drop_duplicates("e")
    return pd.DataFrame(
        {
            "case_id": closed["case_id"].to_numpy()[pairs["e"]],
            "rebound_id": later["case_id"].to_numpy()[pairs["l"]],
            "category_code": closed["category_code"].to_numpy()[pairs["e"]],
            "closed_at": closed["closed_at"].to_numpy()[pairs["e"]],
            "distance_m": pairs["distance_m"].round(1).to_numpy(),
            "days_after": (pairs["hours_apart"] / 24).round(2).to_numpy(),
        }
    ).sort_values(["closed_at", "case_id"], ignore_index=True)[REBOUND_COLUMNS]


def repeat_rates(con: duckdb.DuckDBPyConnection, f: Filters, level: str, rule: RepeatRule | None = None):
    """Per area at ``level``: ``area_id, reported, repeats, repeat_rate, closed, rebounds, rebound_rate``.

    A rate is null when its denominator is 0.
    """
    rule = rule or RepeatRule.from_config()
    id_col, _ = level_columns(level)
    where, params = case_filter_sql(f, "c")
    params |= period_params(f)
    base = con.execute(
        f"""
        SELECT g.{id_col} AS area_id,
               count(*) FILTER (WHERE c.reported_at >= $start AND c.reported_at < $end) AS reported,
               count(*) FILTER (WHERE c.closed_at >= $start AND c.closed_at < $end AND c.status <> 'cancelled') AS closed
        FROM grids g LEFT JOIN cases c ON c.grid_id = g.grid_id AND {where}
             AND ((c.reported_at >= $start AND c.reported_at < $end) OR (c.closed_at >= $start AND c.closed_at < $end))
        WHERE {"TRUE" if f.area is None or f.level is None else f"g.{level_columns(f.level)[0]} = $area"}
        GROUP BY 1
        """,
        params,
    ).df()
    grid_area = con.execute(f"SELECT grid_id, {id_col} AS area_id FROM grids").df()
    area_of = dict(zip(grid_area["grid_id"], grid_area["area_id"]))
    found, back = repeats(con, f, rule), rebounds(con, f, rule)
    grid_of = _grids_of(con, pd.concat([found["case_id"], back["case_id"]]))
    rep = found["case_id"].map(grid_of).map(area_of).value_counts().rename("repeats")
    reb = back["case_id"].map(grid_of).map(area_of).value_counts().rename("rebounds")
    out = base.merge(rep, left_on="area_id", right_index=True, how="left")
    out = out.merge(reb, left_on="area_id", right_index=True, how="left")
    out[["repeats", "rebounds"]] = out[["repeats", "rebounds"]].fillna(0).astype(int)
    out["repeat_rate"] = (out["repeats"] / out["reported"]).where(out["reported"] > 0)
    out["rebound_rate"] = (out["rebounds"] / out["closed"]).where(out["closed"] > 0)
    cols = ["area_id", "reported", "repeats", "repeat_rate", "closed", "rebounds", "rebound_rate"]
    return out.sort_values("area_id", ignore_index=True)[cols]


def _grids_of(con, case_ids: pd.Series) -> dict:
    frame = pd.DataFrame({"case_id": case_ids.astype(str).unique()})
    con.register("rate_ids", frame)
    try:
        rows = con.execute("SELECT c.case_id, c.grid_id FROM cases c JOIN rate_ids USING (case_id)").df()
    finally:
        con.unregister("rate_ids")
    return dict(zip(rows["case_id"], rows["grid_id"]))

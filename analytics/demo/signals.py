"""Planted signals with known ground truth, and the extra cases that carry them.

- ``emerging_hotspot``: a centre grid and its touching neighbours, away from the
  city edge, whose demand ramps from ×1 to ×4 over the last six months;
- ``slow_department``: one department handles ≈4× slower in the last quarter;
- ``collapsing_grid``: one grid's cases are closed late from two months before the end;
- ``seasonal_category``: 供暖不热 with a heating season (mid-Nov to mid-Mar ≈ ×8);
- ``spike``: 道路积水 on one summer day after a storm, ≥ 10× its normal daily volume.

Every ``end_date`` is exclusive. Extras are scaled with a floor so the signals
stay clear in small test cities.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.demo.city import City

SLOW_DEPARTMENT = "SCJG"
SEASONAL_CODE, SPIKE_CODE = "D1004", "D0503"
SPIKE_DAY = np.datetime64("2025-07-15")
HANDLING_FACTOR = 4.0
HOTSPOT_END_MULTIPLIER = 4.0
HOTSPOT_FLOOR_PER_DAY = 0.1  # normal demand assumed at least this, so the ramp stays visible
SPIKE_MIN_EXTRA, SPIKE_RATIO = 60, 11.0
SEASON_FACTOR, SUMMER_FACTOR = 8.0, 0.05


@dataclass(frozen=True)
class SignalPlan:
    """Subjects and windows of the planted signals (grid/category as row positions)."""

    hotspot_grids: np.ndarray  # centre first
    hotspot_start: np.datetime64
    slow_department: str
    slow_start: np.datetime64
    collapsing_grid: int
    collapsing_start: np.datetime64
    seasonal_category: int
    spike_category: int
    spike_day: np.datetime64


def months_before(end: np.datetime64, months: int) -> np.datetime64:
    """The first day of the month ``months`` months before ``end``'s month."""
    return (np.datetime64(end, "M") - months).astype("datetime64[D]")


def choose_hotspot(city: City, weight: np.ndarray) -> np.ndarray:
    """A mid-ring grid and its 6-8 touching neighbours, none on the city edge; centre first.

    The largest such cluster wins (with Gi* permutation p-values floored at
    0.001, a false-discovery-rate correction over hundreds of grids needs about
    eight grids at the floor), then the busiest by mean demand weight, so that
    ×4 stands out against the dense centre.
    """
    topo, radius = city.topology, city.radius
    candidates = []
    for i in np.flatnonzero((radius > 0.3) & (radius < 0.7) & ~topo.on_edge):
        neighbours = topo.neighbours(int(i))
        if 6 <= neighbours.size <= 8 and not topo.on_edge[neighbours].any():
            candidates.append(int(i))
    if not candidates:  # tiny cities: any inner grid with the most neighbours
        inner = np.flatnonzero(~topo.on_edge) if (~topo.on_edge).any() else np.arange(len(radius))
        sizes = [topo.neighbours(int(i)).size for i in inner]
        candidates = [int(inner[int(np.argmax(sizes))])]
    score = [
        (topo.neighbours(c).size, weight[np.concatenate([[c], topo.neighbours(c)])].mean()) for c in candidates
    ]  # the largest clusters first, then the busiest
    centre = candidates[max(range(len(candidates)), key=score.__getitem__)]
    return np.concatenate([[centre], topo.neighbours(centre)])


def choose_collapsing(city: City, hotspot: np.ndarray, weight: np.ndarray) -> int:
    """The busiest inner grid away from the hotspot and its neighbours."""
    near = set(hotspot.tolist())
    for g in hotspot:
        near.update(city.topology.neighbours(int(g)).tolist())
    eligible = np.array([i not in near for i in range(len(weight))]) & ~city.topology.on_edge
    if not eligible.any():
        eligible = np.array([i not in set(hotspot.tolist()) for i in range(len(weight))])
    return int(np.flatnonzero(eligible)[np.argmax(weight[eligible])])


def season_factor(days: np.ndarray) -> np.ndarray:
    """Heating-season profile: ×8 from 15 Nov to 14 Mar, ×0.05 June-September, else 1."""
    month = (days.astype("datetime64[M]").astype(np.int64) % 12) + 1
    day = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    heating = ((month == 11) & (day >= 15)) | (month == 12) | (month <= 2) | ((month == 3) & (day < 15))
    summer = (month >= 6) & (month <= 9)
    return np.where(heating, SEASON_FACTOR, np.where(summer, SUMMER_FACTOR, 1.0))


def hotspot_extra_rate(days: np.ndarray, start: np.datetime64, end: np.datetime64, normal: np.ndarray) -> np.ndarray:
    """Extra demand per day for one grid: a linear ramp to ×4 of max(normal, floor)."""
    span = max(int((end - start).astype(np.int64)), 1)
    ramp = np.clip((days - start).astype(np.int64) / span, 0.0, 1.0)
    return ramp * (HOTSPOT_END_MULTIPLIER - 1) * np.maximum(normal, HOTSPOT_FLOOR_PER_DAY)


def _row(signal: str, subject_type: str, subject_id: str, start, end, detail: dict) -> dict:
    detail = {**detail, "end_exclusive": True}
    return {
        "signal": signal,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "start_date": pd.Timestamp(start).date(),
        "end_date": pd.Timestamp(end).date(),
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
    }


def signals_table(
    plan: SignalPlan, city: City, categories: pd.DataFrame, days: np.ndarray, extras: dict[str, int]
) -> pd.DataFrame:
    """One row per planted subject, with its window and a JSON ``detail``."""
    grid_ids, end = city.grid_ids, days[-1] + 1
    codes = categories["category_code"].to_numpy(dtype=str)
    names = categories["category_name"].to_numpy(dtype=str)
    centre = grid_ids[plan.hotspot_grids[0]]
    rows = [
        _row(
            "emerging_hotspot",
            "grid",
            grid_ids[g],
            plan.hotspot_start,
            end,
            {
                "kind": "demand",
                "role": "centre" if k == 0 else "neighbour",
                "centre_grid": centre,
                "multiplier_at_end": HOTSPOT_END_MULTIPLIER,
                "floor_per_day": HOTSPOT_FLOOR_PER_DAY,
                "ramp": "linear from x1 at start_date to x4 at end_date",
                "normal": "mean daily demand of the cluster's grids, at least a typical grid's and floor_per_day",
                "cluster_size": int(len(plan.hotspot_grids)),
            },
        )
        for k, g in enumerate(plan.hotspot_grids)
    ]
    rows.append(
        _row(
            "slow_department",
            "department",
            plan.slow_department,
            plan.slow_start,
            end,
            {"handling_factor": HANDLING_FACTOR, "applies_to": "cases filed in the window"},
        )
    )
    rows.append(
        _row(
            "collapsing_grid",
            "grid",
            grid_ids[plan.collapsing_grid],
            plan.collapsing_start,
            end,
            {
                "handling_factor": HANDLING_FACTOR,
                "self_handling": "none in the window",
                "applies_to": "cases filed in the window",
            },
        )
    )
    rows.append(
        _row(
            "seasonal_category",
            "category",
            codes[plan.seasonal_category],
            days[0],
            end,
            {
                "kind": "demand",
                "category_name": names[plan.seasonal_category],
                "season": "11-15..03-14",
                "factor_in_season": SEASON_FACTOR,
                "factor_june_september": SUMMER_FACTOR,
                "peak_months": [11, 12, 1, 2, 3],
            },
        )
    )
    rows.append(
        _row(
            "spike",
            "category",
            codes[plan.spike_category],
            plan.spike_day,
            plan.spike_day + 1,
            {
                "kind": "demand",
                "category_name": names[plan.spike_category],
                "extra_cases": extras["spike"],
                "normal_daily": extras["spike_normal_daily"],
                "cause": "rainstorm",
            },
        )
    )
    return pd.DataFrame(rows)

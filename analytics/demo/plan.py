"""The arrival plan: how many cases per (day, channel), with the planted extras.

The plan is a small table of cells ``(day, stream, category, grid, count)``;
``category``/``grid`` are -1 when they are drawn later from the kind's mix
and the grid weights, or a fixed row position for planted extras.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.demo import signals as sig
from analytics.demo.city import City
from analytics.demo.rng import stream
from analytics.demo.taxonomy import Taxonomy
from analytics.demo.volume import base_counts, stream_intensity, streams_table
from analytics.workcal import WorkCalendar

KINDS = ("incident", "demand", "dispute")


@dataclass(frozen=True)
class Plan:
    """Days of the period, arrival cells, grid weights per kind and the planted signals."""

    days: np.ndarray
    cells: pd.DataFrame
    grid_weights: dict[str, np.ndarray]
    signals: sig.SignalPlan
    signal_rows: pd.DataFrame
    excluded: dict[str, tuple[int, ...]]


def grid_weights(city: City, seed: int) -> dict[str, np.ndarray]:
    """Probability of each grid per kind: population × lognormal propensity."""
    rng = stream(seed, "propensity")
    population = city.grids["population"].to_numpy(float)
    common = rng.lognormal(0.0, 0.25, population.size)
    out = {}
    for kind in KINDS:
        w = population * common * rng.lognormal(0.0, 0.15, population.size)
        out[kind] = w / w.sum()
    return out


def _cells(counts: np.ndarray, category: int = -1, grid: int = -1) -> pd.DataFrame:
    s, d = np.nonzero(counts)
    return pd.DataFrame({"day": d, "stream": s, "category": category, "grid": grid, "count": counts[s, d]})


def _demand_split(total: np.ndarray, rng: np.random.Generator, streams: pd.DataFrame) -> np.ndarray:
    """Per-day demand counts split into the demand streams (hotline/app) by share."""
    out = np.zeros((len(streams), total.size), dtype=np.int64)
    demand = np.flatnonzero(streams["kind"] == "demand")
    share = streams.loc[demand, "share"].to_numpy(float)
    out[demand] = rng.multinomial(total, share / share.sum()).T
    return out


def _planted_cells(
    plan: sig.SignalPlan,
    expected: np.ndarray,
    weights: dict[str, np.ndarray],
    p_cat: np.ndarray,
    days: np.ndarray,
    rng: np.random.Generator,
) -> tuple[list[pd.DataFrame], dict[str, float]]:
    """Extras for the hotspot, the seasonal category and the spike (demand streams)."""
    streams, end = streams_table(), days[-1] + 1
    demand_per_day = expected[(streams["kind"] == "demand").to_numpy()].sum(axis=0)
    parts = []
    cluster = weights["demand"][plan.hotspot_grids].mean()
    normal = demand_per_day * max(cluster, 1 / weights["demand"].size)  # cluster mean, at least a typical grid
    for g in plan.hotspot_grids:
        rate = sig.hotspot_extra_rate(days, plan.hotspot_start, end, normal)
        parts.append(_cells(_demand_split(rng.poisson(rate), rng, streams), grid=int(g)))
    season = sig.season_factor(days)
    seasonal = demand_per_day * p_cat[plan.seasonal_category] * season / season.mean()
    parts.append(_cells(_demand_split(rng.poisson(seasonal), rng, streams), category=plan.seasonal_category))
    spike_index = int((plan.spike_day - days[0]).astype(np.int64))
    normal = float(demand_per_day[spike_index] * p_cat[plan.spike_category])
    extra = int(max(sig.SPIKE_MIN_EXTRA, np.ceil(sig.SPIKE_RATIO * normal)))
    spike = np.zeros(days.size, dtype=np.int64)
    spike[spike_index] = extra
    parts.append(_cells(_demand_split(spike, rng, streams), category=plan.spike_category))
    return parts, {"spike": extra, "spike_normal_daily": round(normal, 3)}


def _signal_plan(
    city: City, taxonomy: Taxonomy, days: np.ndarray, weights: dict[str, np.ndarray], seed: int
) -> sig.SignalPlan:
    end = days[-1] + 1
    hotspot = sig.choose_hotspot(city, weights["demand"])
    spike_day = sig.SPIKE_DAY if days[0] <= sig.SPIKE_DAY < end else days[int(days.size * 0.8)]
    return sig.SignalPlan(
        hotspot_grids=hotspot,
        hotspot_start=sig.months_before(end, 6),
        slow_department=sig.SLOW_DEPARTMENT,
        slow_start=sig.months_before(end, 3),
        collapsing_grid=sig.choose_collapsing(city, hotspot, weights["incident"] + weights["demand"]),
        collapsing_start=sig.months_before(end, 2),
        seasonal_category=taxonomy.index_of(sig.SEASONAL_CODE),
        spike_category=taxonomy.index_of(sig.SPIKE_CODE),
        spike_day=spike_day,
    )


def make_plan(city: City, taxonomy: Taxonomy, cal: WorkCalendar, cases: int, seed: int, start: str, end: str) -> Plan:
    """Arrival cells for ``cases`` base cases in [start, end) plus the planted extras."""
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D"))
    if days.size < 120:
        raise ValueError(f"the demo period must span at least 120 days, got {days.size}")
    weights = grid_weights(city, seed)
    signal_plan = _signal_plan(city, taxonomy, days, weights, seed)
    intensity = stream_intensity(days, cal)
    p_cat = taxonomy.categories["p"].to_numpy(float)
    seasonal_share = 0.40 * p_cat[signal_plan.seasonal_category]
    base_total = int(round(cases * (1 - seasonal_share)))
    expected = intensity / intensity.sum() * cases
    rng = stream(seed, "plan")
    counts = base_counts(base_total, intensity, rng)
    planted, extras = _planted_cells(signal_plan, expected, weights, p_cat, days, rng)
    cells = pd.concat([_cells(counts), *planted], ignore_index=True)
    cells = cells.sort_values(["day", "stream", "category", "grid"], kind="stable", ignore_index=True)
    rows = sig.signals_table(signal_plan, city, taxonomy.categories, days, extras)
    return Plan(
        days=days,
        cells=cells,
        grid_weights=weights,
        signals=signal_plan,
        signal_rows=rows,
        excluded={"demand": (signal_plan.seasonal_category,)},
    )

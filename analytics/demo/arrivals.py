"""Who reports what, where and when: one row per case of a chunk of days.

Expands the plan's cells into cases, then draws each case's category (the
kind's mix of that month), grid (grid weights), report time (the channel's
hour-of-day profile), a point inside the grid polygon and, for patrol
reports, the reporting grid worker.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from analytics.demo.city import City
from analytics.demo.columns import text_column
from analytics.demo.plan import KINDS, Plan
from analytics.demo.taxonomy import Taxonomy, month_weights
from analytics.demo.volume import hour_cdf, streams_table

SECONDS_PER_DAY = 86_400


def _draw(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw: index i with probability cdf[i] - cdf[i-1]."""
    return np.minimum(np.searchsorted(cdf, u * cdf[-1], side="right"), cdf.size - 1)


def _categories(kind: np.ndarray, month: int, taxonomy: Taxonomy, plan: Plan, rng: np.random.Generator) -> np.ndarray:
    out = np.full(kind.size, -1, dtype=np.int64)
    for name in KINDS:
        rows = np.flatnonzero(kind == name)
        if rows.size:
            cdf = np.cumsum(month_weights(taxonomy, name, month, plan.excluded.get(name, ())))
            out[rows] = _draw(cdf, rng.random(rows.size))
    return out


def _grids(kind: np.ndarray, plan: Plan, rng: np.random.Generator) -> np.ndarray:
    out = np.full(kind.size, -1, dtype=np.int64)
    for name in KINDS:
        rows = np.flatnonzero(kind == name)
        if rows.size:
            out[rows] = _draw(np.cumsum(plan.grid_weights[name]), rng.random(rows.size))
    return out


def _report_times(day: np.ndarray, profile: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Seconds since the epoch: the day plus an hour from the profile, minute and second uniform."""
    hours = np.zeros(day.size, dtype=np.int64)
    for name, cdf in hour_cdf().items():
        rows = np.flatnonzero(profile == name)
        hours[rows] = _draw(cdf, rng.random(rows.size))
    return day * SECONDS_PER_DAY + hours * 3600 + rng.integers(0, 3600, day.size)


def points_in_grids(tiles: np.ndarray, grid: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random point (6 decimals) strictly inside each case's grid polygon (rejection sampling)."""
    bounds = shapely.bounds(tiles)[grid]
    lon, lat = np.empty(grid.size), np.empty(grid.size)
    todo = np.arange(grid.size)
    for _ in range(200):
        if todo.size == 0:
            return lon, lat
        b = bounds[todo]
        x = np.round(rng.uniform(b[:, 0], b[:, 2]), 6)
        y = np.round(rng.uniform(b[:, 1], b[:, 3]), 6)
        inside = shapely.contains_xy(tiles[grid[todo]], x, y)
        lon[todo[inside]], lat[todo[inside]] = x[inside], y[inside]
        todo = todo[~inside]
    raise RuntimeError("rejection sampling of case locations did not converge")


def reporter_ids(city: City, grid: np.ndarray, patrol: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Worker id for patrol reports: the full-time worker 75 %, else a part-time one if any."""
    part_time = city.workers.loc[~city.workers["full_time"], "grid_id"].value_counts()
    n_part = city.grids["grid_id"].map(part_time).fillna(0).to_numpy(int)[grid]
    use_part = (rng.random(grid.size) < 0.25) & (n_part > 0)
    pick = 2 + np.floor(rng.random(grid.size) * np.maximum(n_part, 1)).astype(int)
    suffix = np.where(use_part, pick, 1)
    ids = "W" + pd.Series(city.grid_ids[grid], dtype=str) + pd.Series(suffix).map("{:02d}".format)
    return np.where(patrol, ids.to_numpy(dtype=object), None)


def arrivals(
    plan: Plan, day_range: tuple[int, int], city: City, taxonomy: Taxonomy, rng: np.random.Generator
) -> pd.DataFrame:
    """The cases reported on days ``[day_range)`` (indices into ``plan.days``) of one month."""
    cells = plan.cells[(plan.cells["day"] >= day_range[0]) & (plan.cells["day"] < day_range[1])]
    take = np.repeat(np.arange(len(cells)), cells["count"].to_numpy())
    streams = streams_table()
    stream_idx = cells["stream"].to_numpy()[take]
    kind = streams["kind"].to_numpy(dtype=object)[stream_idx]
    category = cells["category"].to_numpy()[take]
    grid = cells["grid"].to_numpy()[take]
    day = plan.days[cells["day"].to_numpy()[take]]
    month = int(str(plan.days[day_range[0]])[5:7])
    drawn = _categories(kind, month, taxonomy, plan, rng)
    category = np.where(category >= 0, category, drawn)
    grid = np.where(grid >= 0, grid, _grids(kind, plan, rng))
    source = streams["source"].to_numpy(dtype=object)[stream_idx]
    seconds = _report_times(day.astype(np.int64), streams["hours"].to_numpy(dtype=object)[stream_idx], rng)
    lon, lat = points_in_grids(city.tiles, grid, rng)
    return pd.DataFrame(
        {
            "kind": text_column(kind),
            "category": category,
            "grid": grid,
            "source": text_column(source),
            "reported_at": seconds.astype("datetime64[s]"),
            "lon": lon,
            "lat": lat,
            "reporter_worker_id": text_column(reporter_ids(city, grid, source == "patrol", rng)),
        }
    )

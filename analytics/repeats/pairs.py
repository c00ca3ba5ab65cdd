"""Candidate pairs of cases of the same category within a distance and a time window, without O(n²).

Cases are put in square cells of the distance's size and in time buckets of
the window's length, per category; a case is compared only with the cases of
its own and the eight neighbouring cells in its own and the previous time
bucket. Every pair within the distance and the window is found (a pair farther
apart than one cell or one bucket cannot qualify).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METRES_PER_DEGREE_LAT = 110_540.0
METRES_PER_DEGREE_LON_EQUATOR = 111_320.0
K1, K2, K3 = np.int64(1_000_003), np.int64(1_000_033), np.int64(1_000_037)
OFFSETS = [(dx, dy, dt) for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dt in (-1, 0)]


def planar(lon: np.ndarray, lat: np.ndarray, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """Metres east and north (equirectangular at ``lat0``: within 0.1 % over a city)."""
    return lon * METRES_PER_DEGREE_LON_EQUATOR * np.cos(np.radians(lat0)), lat * METRES_PER_DEGREE_LAT


def _keys(
    frame: pd.DataFrame,
    ok: np.ndarray,
    categories: np.ndarray,
    time_col: str,
    distance_m: float,
    window: np.timedelta64,
    lat0: float,
) -> pd.DataFrame:
    """Cell and bucket keys of the usable rows (``ok``); ``row`` is the position in ``frame``."""
    rows = np.flatnonzero(ok)
    frame = frame.iloc[rows]
    x, y = planar(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float), lat0)
    t = frame[time_col].to_numpy("datetime64[us]").astype(np.int64)
    return pd.DataFrame(
        {
            "row": rows,
            "cat": categories[rows],
            "cx": np.floor(x / distance_m).astype(np.int64),
            "cy": np.floor(y / distance_m).astype(np.int64),
            "tb": np.floor_divide(t, int(window.astype("timedelta64[us]").astype(np.int64))),
            "x": x,
            "y": y,
            "t": t,
        }
    )


def _key(cat, cx, cy, tb) -> np.ndarray:
    """One int64 per (category, cell, bucket); wrap-around collisions only add candidates, which are re-checked."""
    with np.errstate(over="ignore"):
        return ((cat * K1 + cx) * K2 + cy) * K3 + tb


def candidate_pairs(
    earlier: pd.DataFrame,
    later: pd.DataFrame,
    distance_m: float,
    window_hours: float,
    earlier_time: str = "reported_at",
    later_time: str = "reported_at",
) -> pd.DataFrame:
    """Pairs ``(e, l)`` of row positions with the same category, ``0 <= t_l - t_e <= window`` and distance ``<= d``.

    Rows without coordinates or category never pair. Columns: ``e, l, distance_m, hours_apart``.

    Examples
    --------
    >>> cases = pd.DataFrame({"category_code": ["A", "A"], "lon": [120.0, 120.0005], "lat": [30.0, 30.0],
    ...                       "reported_at": pd.to_datetime(["2025-01-01 08:00", "2025-01-02 08:00"])})
    >>> pairs = candidate_pairs(cases, cases, 100, 72).query("e < l")
    >>> pairs[["e", "l"]].values.tolist(), pairs["hours_apart"].tolist()
    ([[0, 1]], [24.0])
    """
    empty = pd.DataFrame({"e": [], "l": [], "distance_m": [], "hours_apart": []})
    if earlier.empty or later.empty:
        return empty.astype({"e": np.int64, "l": np.int64})
    window = np.timedelta64(int(round(window_hours * 3600)), "s")
    ok_e = earlier[["lon", "lat", "category_code", earlier_time]].notna().all(axis=1).to_numpy()
    ok_l = later[["lon", "lat", "category_code", later_time]].notna().all(axis=1).to_numpy()
    if not ok_e.any() or not ok_l.any():
        return empty.astype({"e": np.int64, "l": np.int64})
    lat0 = float(pd.concat([earlier["lat"], later["lat"]]).mean())
    codes, _ = pd.factorize(pd.concat([earlier["category_code"], later["category_code"]], ignore_index=True))
    codes = codes.astype(np.int64)
    e = _keys(earlier, ok_e, codes[: len(earlier)], earlier_time, distance_m, window, lat0)
    lk = _keys(later, ok_l, codes[len(earlier) :], later_time, distance_m, window, lat0)
    e["key"] = _key(e["cat"].to_numpy(), e["cx"].to_numpy(), e["cy"].to_numpy(), e["tb"].to_numpy())
    cat, cx, cy, tb = (lk[c].to_numpy() for c in ("cat", "cx", "cy", "tb"))
    shifted = pd.DataFrame(
        {
            "key": np.concatenate([_key(cat, cx + dx, cy + dy, tb + dt) for dx, dy, dt in OFFSETS]),
            "pos": np.tile(np.arange(len(lk)), len(OFFSETS)),
        }
    )
    m = shifted.merge(e[["key"]].assign(epos=np.arange(len(e))), on="key")
    le, ee = lk.iloc[m["pos"].to_numpy()], e.iloc[m["epos"].to_numpy()]
    m = pd.DataFrame(
        {
            "row_l": le["row"].to_numpy(),
            "row_e": ee["row"].to_numpy(),
            "same": le["cat"].to_numpy() == ee["cat"].to_numpy(),
            "x_l": le["x"].to_numpy(),
            "x_e": ee["x"].to_numpy(),
            "y_l": le["y"].to_numpy(),
            "y_e": ee["y"].to_numpy(),
            "t_l": le["t"].to_numpy(),
            "t_e": ee["t"].to_numpy(),
        }
    )
    dt_us = m["t_l"].to_numpy() - m["t_e"].to_numpy()
    dist = np.hypot(m["x_l"].to_numpy() - m["x_e"].to_numpy(), m["y_l"].to_numpy() - m["y_e"].to_numpy())
    keep = (
        m["same"].to_numpy()
        & (dt_us >= 0)
        & (dt_us <= window.astype("timedelta64[us]").astype(np.int64))
        & (dist <= distance_m)
    )
    return pd.DataFrame(
        {
            "e": m["row_e"].to_numpy()[keep],
            "l": m["row_l"].to_numpy()[keep],
            "distance_m": dist[keep],
            "hours_apart": dt_us[keep] / 3.6e9,
        }
    )

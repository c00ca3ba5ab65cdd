"""Planted text signals in one chunk of cases: emerging terms, repeat pairs and rebounds.

- ``emerging_term``: in the last three months, a share of all hotline/app demand
  cases, ramping linearly from 0 to 3 % per term, raise a new matter in new words
  (飞线充电 …) and take that matter's category;
- ``duplicate_cluster``: a case repeated by a later hotline/app case of the same
  category 0.25-48 h later, moved to within 25 m of the parent and worded as a
  repeat (about 4 % of cases);
- ``rebound``: a closed case followed 1-25 days after closure by a hotline/app case
  of the same category within 20 m, worded as a rebound (about 3 % of closed cases).

Only cases of one chunk are paired (a chunk is a month or less), so ids stay
unique; patrol cases are never moved (their reporter belongs to their grid), and
neither are cases in the planted hotspot or collapsing grids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from analytics.demo import text

EMERGING_MONTHS = 3
DUPLICATE_SHARE, REBOUND_SHARE = 0.04, 0.03
DUPLICATE_HOURS, DUPLICATE_METRES = (0.25, 48.0), 25.0
REBOUND_DAYS, REBOUND_METRES = (1.0, 25.0), 20.0
MOVABLE_SOURCES = ("hotline", "app")


def emerging(out: pd.DataFrame, ctx, start: np.datetime64, end: np.datetime64, rng) -> None:
    """Plant the emerging terms in place: a share of all hotline/app demand cases, ramped in from ``start``.

    A planted case takes the term's category (and its department when it was
    dispatched), so text and category agree.
    """
    t = out["reported_at"].to_numpy("datetime64[s]")
    span = max(float((end - start).astype(np.int64)), 1.0)
    ramp = np.clip((t - start).astype(np.int64) / span, 0, 1) * (t >= start)
    free = np.array(out["source"].isin(MOVABLE_SOURCES) & (out["kind"] == "demand"), dtype=bool)
    cats = ctx.taxonomy.categories
    for term, (code, _) in text.EMERGING_TERMS.items():
        hit = np.flatnonzero(free & (rng.random(len(out)) < ramp * text.EMERGING_SHARE_AT_END))
        free[hit] = False
        row = cats.iloc[ctx.taxonomy.index_of(code)]
        for column in ("category_code", "category_name", "category_major"):
            out.iloc[hit, out.columns.get_loc(column)] = row[column]
        dispatched = hit[out["department"].notna().to_numpy()[hit]]
        out.iloc[dispatched, out.columns.get_loc("department")] = row["department"]
        pool = ctx.emerging_pools[term]
        out.iloc[hit, out.columns.get_loc("description")] = pool[rng.integers(0, pool.size, hit.size)]


def _jitter(lon, lat, metres, tiles_of_parent, rng):
    """Points within ``metres`` of (lon, lat), kept inside the parent's grid (else the parent's point)."""
    angle, radius = rng.uniform(0, 2 * np.pi, lon.size), metres * np.sqrt(rng.random(lon.size))
    new_lon = np.round(lon + radius * np.cos(angle) / (111_320.0 * np.cos(np.radians(lat))), 6)
    new_lat = np.round(lat + radius * np.sin(angle) / 110_540.0, 6)
    inside = shapely.contains_xy(tiles_of_parent, new_lon, new_lat)
    return np.where(inside, new_lon, lon), np.where(inside, new_lat, lat)


def _move(out, parents, children, metres, rebound, ctx, rng) -> None:
    grid_index = pd.Index(ctx.city.grid_ids)
    p_grid = out["grid_id"].to_numpy()[parents]
    tiles = ctx.city.tiles[grid_index.get_indexer(p_grid)]
    lon, lat = _jitter(out["lon"].to_numpy()[parents], out["lat"].to_numpy()[parents], metres, tiles, rng)
    col = out.columns.get_loc
    out.iloc[children, col("grid_id")] = p_grid
    out.iloc[children, col("lon")] = lon
    out.iloc[children, col("lat")] = lat
    out.iloc[children, col("description")] = text.repeat_text(out["description"].to_numpy()[parents], rebound, rng)


def _eligible(out: pd.DataFrame, ctx) -> np.ndarray:
    sig = ctx.plan.signals
    excluded = set(ctx.city.grid_ids[np.r_[sig.hotspot_grids, sig.collapsing_grid]].tolist())
    return (~out["grid_id"].isin(excluded) & out["lon"].notna() & (out["status"] != "cancelled")).to_numpy()


def plant(out: pd.DataFrame, ctx, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Plant all three in one chunk (in place); returns the repeat pairs and the rebounds."""
    end = (ctx.plan.days[-1] + 1).astype("datetime64[s]")
    start = (np.datetime64(ctx.plan.days[-1] + 1, "M") - EMERGING_MONTHS).astype("datetime64[s]")
    emerging(out, ctx, start, end, rng)
    pairs = duplicates(out, ctx, rng)
    back = rebounds(out, ctx, set(pairs["parent_id"]) | set(pairs["case_id"]), rng)
    return pairs, back


def duplicates(out: pd.DataFrame, ctx, rng) -> pd.DataFrame:
    """Plant repeat pairs in place; returns ``parent_id, case_id``."""
    order = np.lexsort((out["reported_at"].to_numpy(), out["category_code"].to_numpy()))
    cat, t = out["category_code"].to_numpy()[order], out["reported_at"].to_numpy("datetime64[s]")[order]
    ok = _eligible(out, ctx)[order]
    movable = out["source"].isin(MOVABLE_SOURCES).to_numpy()[order]
    hours = np.r_[np.inf, (t[1:] - t[:-1]).astype(np.int64) / 3600]
    same = np.r_[False, cat[1:] == cat[:-1]]
    prev_ok = np.r_[False, ok[:-1]]
    pick = same & ok & prev_ok & movable & (hours >= DUPLICATE_HOURS[0]) & (hours <= DUPLICATE_HOURS[1])
    pick &= rng.random(pick.size) < DUPLICATE_SHARE * 2.5
    pick &= ~np.r_[False, pick[:-1]]  # a parent is never itself a repeat
    children = order[np.flatnonzero(pick)]
    parents = order[np.flatnonzero(pick) - 1]
    _move(out, parents, children, DUPLICATE_METRES, False, ctx, rng)
    return pd.DataFrame(
        {"parent_id": out["case_id"].to_numpy()[parents], "case_id": out["case_id"].to_numpy()[children]}
    )


def rebounds(out: pd.DataFrame, ctx, used: set, rng) -> pd.DataFrame:
    """Plant rebounds in place (cases not used by a repeat pair); returns the closed case and its rebound.

    Vectorised: each candidate closed case takes the first of the next five same-category
    hotline/app cases reported in its rebound window; a case is used once.
    """
    ids = out["case_id"].to_numpy()
    free = _eligible(out, ctx) & ~pd.Series(ids).isin(used).to_numpy()
    codes = pd.factorize(out["category_code"])[0].astype(np.int64)
    t = out["reported_at"].to_numpy("datetime64[s]").astype(np.int64)
    order = np.lexsort((t, codes))
    key = codes[order] * 10**11 + t[order]
    late = (free & out["source"].isin(MOVABLE_SOURCES).to_numpy())[order]
    closed_at = out["closed_at"].to_numpy("datetime64[s]")
    parents = np.flatnonzero(free & ~np.isnat(closed_at) & (rng.random(len(out)) < REBOUND_SHARE * 3))
    closed_s = closed_at[parents].astype(np.int64)
    lo = np.maximum(closed_s + int(REBOUND_DAYS[0] * 86400), t[parents] + 73 * 3600)
    hi = closed_s + int(REBOUND_DAYS[1] * 86400)
    first = np.searchsorted(key, codes[parents] * 10**11 + lo)
    child = np.full(parents.size, -1)
    for step in range(4, -1, -1):  # the earliest valid of the next five wins
        k = np.minimum(first + step, key.size - 1)
        ok = (first + step < key.size) & (key[k] // 10**11 == codes[parents]) & (key[k] % 10**11 <= hi) & late[k]
        child = np.where(ok, order[k], child)
    pairs = pd.DataFrame({"p": parents, "c": child}).query("c >= 0").drop_duplicates("c")
    pairs = pairs[~pairs["p"].isin(pairs["c"]) & ~pairs["c"].isin(pairs["p"])].head(int(REBOUND_SHARE * len(out)))
    parents, children = pairs["p"].to_numpy(np.int64), pairs["c"].to_numpy(np.int64)
    _move(out, parents, children, REBOUND_METRES, True, ctx, rng)
    return pd.DataFrame(
        {
            "case_id": ids[parents],
            "rebound_id": ids[children],
            "closed_at": out["closed_at"].to_numpy()[parents],
            "rebound_at": out["reported_at"].to_numpy()[children],
        }
    )

"""Demand hotspots: Getis-Ord Gi* hot and cold spots and emerging-hotspot classes (``metrics.md``: Hotspots).

Statistics come from the libraries made for them: contiguity weights from
``libpysal``, Gi* from ``esda.G_Local(star=True)``, the false-discovery-rate
threshold from ``esda.fdr`` and the Mann-Kendall trend from ``pymannkendall``.
Everything here is a pure function on frames; no Streamlit.
"""

from __future__ import annotations

import json
import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pymannkendall as mk
from libpysal.weights.util import attach_islands, fill_diagonal
from shapely.geometry import shape

BANDS = (0.01, 0.05, 0.10)  # FDR levels of the 99 / 95 / 90 % confidence bands
SIGNIFICANCE = 0.05  # hot or cold "significant" after FDR at this level
EMERGING_SIGNIFICANCE = 0.10  # per-step significance of the emerging-hotspot rules (90 % confidence)


def contiguity_weights(geoms: pd.DataFrame) -> libpysal.weights.W:
    """Binary queen contiguity between areas (``area_id``, GeoJSON ``geometry``); islands get their nearest neighbour.

    Examples
    --------
    >>> from shapely.geometry import box, mapping
    >>> cells = pd.DataFrame({"area_id": ["a", "b", "c"], "geometry": [json.dumps(mapping(box(x, 0, x + 1, 1)))
    ...                       for x in (0, 1, 5)]})
    >>> w = contiguity_weights(cells)
    >>> sorted(w.neighbors["a"]), w.neighbors["c"]
    (['b'], ['b'])
    """
    if geoms.empty:
        raise ValueError("no areas to build spatial weights from")
    frame = gpd.GeoDataFrame(
        {"area_id": geoms["area_id"].astype(str).to_numpy()},
        geometry=[shape(json.loads(g)) for g in geoms["geometry"]],
        crs="EPSG:4326",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.Queen.from_dataframe(frame, ids=frame["area_id"].tolist(), use_index=False)
        if w.islands and len(frame) > 1:
            points = frame.geometry.representative_point()
            coords = np.column_stack([points.x, points.y])
            knn = libpysal.weights.KNN.from_array(coords, k=1, ids=frame["area_id"].tolist())
            w = attach_islands(w, knn)
    ids = [str(i) for i in w.id_order]
    w = libpysal.weights.W(
        {str(k): [str(n) for n in v] for k, v in w.neighbors.items()}, id_order=ids, silence_warnings=True
    )
    w.transform = "B"
    return w


def gi_star(values: pd.Series, w: libpysal.weights.W, permutations: int = 999, seed: int = 12345) -> pd.DataFrame:
    """Gi* per area with one-sided p-values, the FDR-corrected classes and confidence bands.

    Parameters
    ----------
    values : pandas.Series
        The analysed value (count or per-1,000 rate) indexed by area id; areas of ``w`` missing here count 0.
    w : libpysal.weights.W
        Binary contiguity weights (:func:`contiguity_weights`).
    permutations : int
        Conditional permutations for the pseudo p-values (999 by default; 0 uses the normal approximation).
    seed : int
        Fixed seed, so the same data gives the same classes.

    Returns
    -------
    pandas.DataFrame
        Indexed by area id: ``value``, ``z``, ``p`` (pseudo p-value), ``p_fdr`` (Benjamini-Hochberg adjusted),
        ``spot`` (``hot``/``cold``/``none`` at FDR 0.05) and ``band`` (99/95/90 or 0, signed: −99 is a 99 % cold spot).
    """
    y = values.reindex(w.id_order).fillna(0).astype(float).to_numpy()
    if len(y) < 3:
        raise ValueError("Gi* needs at least 3 areas")
    if np.ptp(y) == 0:  # no variance: Gi* is undefined, not "z 0" (and no p-value can be computed)
        return _undefined(y, w.id_order)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")
        g = esda.G_Local(
            y, w, transform="B", permutations=permutations, star=True, seed=seed, keep_simulations=False, n_jobs=1
        )
    z = np.nan_to_num(np.asarray(g.Zs, dtype=float))
    # one-sided either way (metrics.md): esda's p_sim is the folded pseudo p-value, p_norm = 1 - Φ(|z|)
    p = np.asarray(g.p_sim if permutations else g.p_norm, dtype=float)
    p = np.where(np.isfinite(p), p, 1.0)
    out = pd.DataFrame({"value": y, "z": z, "p": p}, index=pd.Index(w.id_order, name="area_id"))
    out["p_fdr"] = _bh_adjusted(p)
    band = np.zeros(len(y), dtype=int)
    for alpha, level in zip(reversed(BANDS), (90, 95, 99)):
        threshold = esda.fdr(p, alpha) if (p <= alpha).any() else -1.0
        band = np.where(p <= threshold, level, band)
    out["band"] = np.sign(z).astype(int) * band
    significant = np.abs(out["band"]) >= round((1 - SIGNIFICANCE) * 100)
    out["spot"] = np.where(significant & (z > 0), "hot", np.where(significant & (z < 0), "cold", "none"))
    return out


def _undefined(y: np.ndarray, ids) -> pd.DataFrame:
    """Gi* of a constant value: z and p null, nothing hot or cold."""
    index = pd.Index(ids, name="area_id")
    nan = np.full(len(y), np.nan)
    return pd.DataFrame(
        {"value": y, "z": nan, "p": nan, "p_fdr": nan, "band": np.zeros(len(y), dtype=int), "spot": "none"},
        index=index,
    )


def _bh_adjusted(p: np.ndarray) -> np.ndarray:
    from scipy.stats import false_discovery_control

    return false_discovery_control(np.clip(p, 0, 1), method="bh")


def with_self_weights(w: libpysal.weights.W) -> libpysal.weights.W:
    """``w`` with each area its own neighbour (weight 1): the Gi* structure, built once for many runs
    (``esda.G_Local(star=True)`` would otherwise rebuild it on every call)."""
    if (w.sparse.diagonal() != 0).all():
        return w
    starred = fill_diagonal(w, 1.0)
    starred.transform = "B"
    return starred


def step_gi_star(panel: pd.DataFrame, w: libpysal.weights.W) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Gi* z and significance per time step.

    ``panel`` has one row per area id (index) and one column per step. Each step uses
    the normal approximation of Gi* (as emerging-hotspot analysis does) with an FDR
    correction at :data:`EMERGING_SIGNIFICANCE` across the areas of that step.
    Returns ``(z, sign)`` frames: ``sign`` is +1 significant hot, −1 significant cold, 0 otherwise.
    """
    z = pd.DataFrame(index=pd.Index(w.id_order, name="area_id"), columns=panel.columns, dtype=float)
    sign = pd.DataFrame(0, index=z.index, columns=panel.columns, dtype=int)
    starred = with_self_weights(w)
    for step in panel.columns:
        result = gi_star(panel[step], starred, permutations=0)
        p = result["p"].fillna(1.0)  # a step without variance: nothing significant, z taken as 0
        threshold = esda.fdr(p.to_numpy(), EMERGING_SIGNIFICANCE)
        z[step] = result["z"].fillna(0.0)
        significant = p <= threshold
        sign[step] = np.where(significant, np.sign(result["z"]), 0).astype(int)
    return z, sign


def emerging_class(sign: np.ndarray, z: np.ndarray, trend_p: float = 0.05) -> str:
    """The emerging-hotspot class of one area from its per-step significance (+1/−1/0) and Gi* z series.

    Rules (after ArcGIS's Emerging Hot Spot Analysis), for hot spots and mirrored for cold:
    ``new`` hot only in the final step; ``consecutive`` one uninterrupted run of ≥ 2 hot steps
    ending in the final step, never hot before, under 90 % of steps hot; ``intensifying`` /
    ``persistent`` / ``diminishing`` hot in ≥ 90 % of steps including the final one, with a
    significant increasing / no / decreasing Mann-Kendall trend of z; ``sporadic`` hot in the
    final step, on and off before, under 90 %, never cold; ``oscillating`` hot in the final
    step and cold at some earlier step; ``historical`` not hot in the final step but hot in
    ≥ 90 % of steps. Otherwise ``none``.

    Examples
    --------
    >>> emerging_class(np.array([0, 0, 0, 0, 0, 1]), np.arange(6.0))
    'new_hot'
    >>> emerging_class(np.array([0, 0, 0, 1, 1, 1]), np.arange(6.0))
    'consecutive_hot'
    >>> emerging_class(np.array([0, -1, 0, 0, 0, 0]), np.zeros(6))
    'none'
    """
    for direction, suffix in ((1, "hot"), (-1, "cold")):
        cls = _one_direction(sign == direction, sign == -direction, z * direction, trend_p)
        if cls:
            return f"{cls}_{suffix}"
    return "none"


def _one_direction(on: np.ndarray, opposite: np.ndarray, z: np.ndarray, trend_p: float) -> str | None:
    n = len(on)
    share = on.sum() / n if n else 0.0
    if n == 0 or not on.any():
        return None
    if share >= 0.9:
        if not on[-1]:
            return "historical"
        trend = _trend(z, trend_p)
        return {"increasing": "intensifying", "decreasing": "diminishing"}.get(trend, "persistent")
    if not on[-1]:
        return None
    earlier = on[:-1]
    if not earlier.any():
        return "new"
    run = n - _last_off(on) - 1  # length of the final uninterrupted run
    if run >= 2 and not on[: n - run].any():
        return "consecutive"
    if opposite[:-1].any():
        return "oscillating"
    return "sporadic"


def _last_off(on: np.ndarray) -> int:
    off = np.flatnonzero(~on)
    return int(off[-1]) if off.size else -1


def _trend(z: np.ndarray, alpha: float) -> str:
    if len(z) < 4 or np.allclose(z, z[0]):
        return "no trend"
    return mk.original_test(z, alpha=alpha).trend


EMERGING_CLASSES = tuple(
    f"{c}_{d}"
    for d in ("hot", "cold")
    for c in (
        "new",
        "consecutive",
        "intensifying",
        "persistent",
        "diminishing",
        "sporadic",
        "oscillating",
        "historical",
    )
) + ("none",)


def emerging_hotspots(panel: pd.DataFrame, w: libpysal.weights.W) -> pd.DataFrame:
    """Emerging-hotspot class, Mann-Kendall trend and hot/cold step counts per area.

    ``panel``: values per area (index) and time step (columns, in time order), at least 4 steps.
    The trend (``trend_tau``, ``trend_p``) is computed for areas with at least one significant step;
    elsewhere no class can apply and it is left empty.
    """
    if panel.shape[1] < 4:
        raise ValueError(f"emerging hotspots need at least 4 time steps, got {panel.shape[1]}")
    panel = panel.reindex(w.id_order).fillna(0)
    z, sign = step_gi_star(panel, w)
    z_values, signs = z.to_numpy(dtype=float), sign.to_numpy()
    rows = []
    for i, area in enumerate(z.index):
        s, zs = signs[i], z_values[i]
        # the trend only matters (and is only reported) where some step was significant
        trend = mk.original_test(zs) if (s != 0).any() and not np.allclose(zs, zs[0]) else None
        rows.append(
            {
                "area_id": area,
                "emerging": emerging_class(s, zs),
                "trend_tau": None if trend is None else float(trend.Tau),
                "trend_p": None if trend is None else float(trend.p),
                "hot_steps": int((s > 0).sum()),
                "cold_steps": int((s < 0).sum()),
                "steps": len(s),
                "z_last": float(zs[-1]),
            }
        )
    return pd.DataFrame(rows).set_index("area_id")

"""Demand hotspots: Getis-Ord Gi* hot and cold spots and emerging-hotspot classes (``metrics.md``: Hotspots).

Gi* follows ``esda.G_Local(star=True)`` with binary queen contiguity (:mod:`analytics.contiguity`):
its permutation inference is esda's own; its normal approximation — every emerging-hotspot step, and
Gi* above the permutation limit — is esda's formulas computed for all time steps at once with one
sparse matrix product (``tests/test_hotspots_vectorised.py`` checks them against esda to 1e-9). The
false-discovery-rate threshold is ``esda.fdr``'s rule, per column; the Mann-Kendall trend is
``pymannkendall``'s test, for every area at once (:mod:`analytics.mann_kendall`). Everything here is a pure function on frames; no Streamlit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.special import ndtr

from analytics.contiguity import Contiguity, queen_contiguity
from analytics.mann_kendall import mann_kendall

BANDS = (0.01, 0.05, 0.10)  # FDR levels of the 99 / 95 / 90 % confidence bands
SIGNIFICANCE = 0.05  # hot or cold "significant" after FDR at this level
EMERGING_SIGNIFICANCE = 0.10  # per-step significance of the emerging-hotspot rules (90 % confidence)


def contiguity_weights(geoms: pd.DataFrame) -> Contiguity:
    """Binary queen contiguity between areas (``area_id``, GeoJSON ``geometry``); islands get their nearest
    neighbour (:func:`analytics.contiguity.queen_contiguity`, whose example shows it)."""
    return queen_contiguity(geoms)


def gi_star_normal(values: np.ndarray, w: Contiguity) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and one-sided normal p-values of every column of ``values`` (areas × steps) at once.

    esda's ``G_Local(y, w, transform="B", star=True)`` statistic and moments (``calc``), column-wise:
    G = (W* y) / Σy, E[G] = k/N, Var[G] = k (N − k) / (N − 1) / N² · s² / ȳ² with k the neighbours plus
    the area itself; p = 1 − Φ(|z|). A column without variance gives NaN z and p (Gi* is undefined).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> chain = Contiguity(("a", "b", "c"), sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], float)))
    >>> z, p = gi_star_normal(np.array([[1.0], [2.0], [6.0]]), chain)
    >>> round(float(z[2, 0]), 4)  # c: G = 8/9, k = 2, s² = 41/3 - 9: (8/9 - 2/3) / sqrt(2·1/2/9 · (14/3)/9)
    0.9258
    """
    y = np.asarray(values, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    n = y.shape[0]
    weights = w.starred
    with np.errstate(invalid="ignore", divide="ignore"):
        total = y.sum(axis=0)
        statistic = (weights @ y) / total
        mean = total / n
        variance = (y**2).sum(axis=0) / n - mean**2
        cardinality = np.asarray(weights.sum(axis=1), dtype=float)  # column vector: broadcasts over steps
        expected = cardinality / n
        expected_variance = cardinality * (n - cardinality)
        expected_variance = expected_variance / (n - 1)
        expected_variance = expected_variance * (1 / n**2)
        expected_variance = expected_variance * (variance / mean**2)
        z = (statistic - expected) / np.sqrt(expected_variance)
    constant = np.ptp(y, axis=0) == 0
    z[:, constant] = np.nan
    return z, ndtr(-np.abs(z))


def fdr_threshold(p: np.ndarray, alpha: float) -> np.ndarray:
    """``esda.fdr(p, alpha)`` of every column of ``p`` (areas × steps): the Benjamini-Hochberg cut-off,
    or the Bonferroni bound ``alpha / n`` when nothing passes. NaN p-values count as 1."""
    p = np.where(np.isnan(p), 1.0, np.asarray(p, dtype=float))
    if p.ndim == 1:
        p = p[:, None]
    n = p.shape[0]
    descending = -np.sort(-p, axis=0)
    cut = np.arange(n, 0, -1)[:, None] * alpha / n
    passes = descending < cut
    first = passes.argmax(axis=0)
    return np.where(passes.any(axis=0), cut[first, 0], alpha / n)


def gi_star(values: pd.Series, w: Contiguity, permutations: int = 999, seed: int = 12345) -> pd.DataFrame:
    """Gi* per area with one-sided p-values, the FDR-corrected classes and confidence bands.

    Parameters
    ----------
    values : pandas.Series
        The analysed value (count or per-1,000 rate) indexed by area id; areas of ``w`` missing here count 0.
    w : analytics.contiguity.Contiguity
        Binary contiguity (:func:`contiguity_weights`).
    permutations : int
        Conditional permutations for the pseudo p-values (esda's, 999 by default; 0 uses the normal
        approximation, computed by :func:`gi_star_normal`).
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
    if permutations:
        z, p = _gi_star_permuted(y, w, permutations, seed)
    else:
        z, p = (column[:, 0] for column in gi_star_normal(y, w))
    z = np.nan_to_num(z)
    p = np.where(np.isfinite(p), p, 1.0)
    out = pd.DataFrame({"value": y, "z": z, "p": p}, index=pd.Index(w.id_order, name="area_id"))
    out["p_fdr"] = bh_adjusted(p)
    band = np.zeros(len(y), dtype=int)
    for alpha, level in zip(reversed(BANDS), (90, 95, 99)):
        threshold = fdr_threshold(p, alpha)[0] if (p <= alpha).any() else -1.0
        band = np.where(p <= threshold, level, band)
    out["band"] = np.sign(z).astype(int) * band
    significant = np.abs(out["band"]) >= round((1 - SIGNIFICANCE) * 100)
    out["spot"] = np.where(significant & (z > 0), "hot", np.where(significant & (z < 0), "cold", "none"))
    return out


def _gi_star_permuted(y: np.ndarray, w: Contiguity, permutations: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """esda's Gi* with conditional permutations: z and the folded (one-sided) pseudo p-value."""
    import esda

    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")
        g = esda.G_Local(
            y,
            w.to_libpysal(),
            transform="B",
            permutations=permutations,
            star=True,
            seed=seed,
            keep_simulations=False,
            n_jobs=1,
        )
    return np.asarray(g.Zs, dtype=float), np.asarray(g.p_sim, dtype=float)


def _undefined(y: np.ndarray, ids) -> pd.DataFrame:
    """Gi* of a constant value: z and p null, nothing hot or cold."""
    index = pd.Index(ids, name="area_id")
    nan = np.full(len(y), np.nan)
    return pd.DataFrame(
        {"value": y, "z": nan, "p": nan, "p_fdr": nan, "band": np.zeros(len(y), dtype=int), "spot": "none"},
        index=index,
    )


def bh_adjusted(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values, as ``scipy.stats.false_discovery_control(p, method="bh")``
    (without importing ``scipy.stats``, seconds in a new process): p_(k) · m / k, then the running minimum
    from the largest p down, at most 1.

    Examples
    --------
    >>> bh_adjusted(np.array([0.01, 0.04, 0.03, 0.5])).tolist()  # 0.04·4/3 and 0.03·4/2 ≥ 0.04·4/3
    [0.04, 0.05333333333333334, 0.05333333333333334, 0.5]
    """
    p = np.clip(np.asarray(p, dtype=float), 0, 1)
    m = len(p)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.empty(m)
    adjusted[order] = np.minimum.accumulate(scaled[::-1])[::-1]
    return np.clip(adjusted, 0, 1)


def step_gi_star(panel: pd.DataFrame, w: Contiguity) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Gi* z and significance per time step, every step in one sparse product.

    ``panel`` has one row per area id (index) and one column per step. Each step uses
    the normal approximation of Gi* (as emerging-hotspot analysis does) with an FDR
    correction at :data:`EMERGING_SIGNIFICANCE` across the areas of that step.
    Returns ``(z, sign)`` frames: ``sign`` is +1 significant hot, −1 significant cold, 0 otherwise;
    a step without variance has z 0 and nothing significant.
    """
    values = panel.reindex(w.id_order).fillna(0).to_numpy(dtype=float)
    z, p = gi_star_normal(values, w)
    p = np.where(np.isnan(p), 1.0, p)
    significant = p <= fdr_threshold(p, EMERGING_SIGNIFICANCE)[None, :]
    z = np.nan_to_num(z)
    index = pd.Index(w.id_order, name="area_id")
    sign = np.where(significant, np.sign(z), 0).astype(int)
    return pd.DataFrame(z, index=index, columns=panel.columns), pd.DataFrame(sign, index=index, columns=panel.columns)


def emerging_class(sign: np.ndarray, z: np.ndarray, trend_p: float = 0.05, trend: int | None = None) -> str:
    """The emerging-hotspot class of one area from its per-step significance (+1/−1/0) and Gi* z series.

    Rules (after ArcGIS's Emerging Hot Spot Analysis), for hot spots and mirrored for cold:
    ``new`` hot only in the final step; ``consecutive`` one uninterrupted run of ≥ 2 hot steps
    ending in the final step, never hot before, under 90 % of steps hot; ``intensifying`` /
    ``persistent`` / ``diminishing`` hot in ≥ 90 % of steps including the final one, with a
    significant increasing / no / decreasing Mann-Kendall trend of z; ``sporadic`` hot in the
    final step, on and off before, under 90 %, never cold; ``oscillating`` hot in the final
    step and cold at some earlier step; ``historical`` not hot in the final step but hot in
    ≥ 90 % of steps. Otherwise ``none``. ``trend`` (+1/−1/0), when given, is the Mann-Kendall trend of
    ``z`` at ``trend_p`` already computed (:func:`analytics.mann_kendall.mann_kendall`); else it is computed here.

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
        known = None if trend is None else trend * direction  # the trend of −z is the mirror of z's
        cls = _one_direction(sign == direction, sign == -direction, z * direction, trend_p, known)
        if cls:
            return f"{cls}_{suffix}"
    return "none"


def _one_direction(
    on: np.ndarray, opposite: np.ndarray, z: np.ndarray, trend_p: float, trend: int | None = None
) -> str | None:
    n = len(on)
    share = on.sum() / n if n else 0.0
    if n == 0 or not on.any():
        return None
    if share >= 0.9:
        if not on[-1]:
            return "historical"
        direction = _trend(z, trend_p) if trend is None else trend
        return {1: "intensifying", -1: "diminishing"}.get(direction, "persistent")
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


def _trend(z: np.ndarray, alpha: float) -> int:
    if len(z) < 4 or np.allclose(z, z[0]):
        return 0
    return int(mann_kendall(z[None, :], alpha).trend[0])


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


def emerging_hotspots(panel: pd.DataFrame, w: Contiguity) -> pd.DataFrame:
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
    # the trend only matters (and is only reported) where some step was significant and z is not constant
    tested = (signs != 0).any(axis=1) & ~np.isclose(z_values, z_values[:, :1]).all(axis=1)
    trend = mann_kendall(z_values)
    directions = np.where(tested, trend.trend, 0)
    emerging = np.full(len(z_values), "none", dtype=object)
    for i in np.flatnonzero((signs != 0).any(axis=1)):  # an area never significant has no class
        emerging[i] = emerging_class(signs[i], z_values[i], trend=int(directions[i]))
    return pd.DataFrame(
        {
            "emerging": emerging,
            "trend_tau": np.where(tested, trend.tau, np.nan),
            "trend_p": np.where(tested, trend.p, np.nan),
            "hot_steps": (signs > 0).sum(axis=1),
            "cold_steps": (signs < 0).sum(axis=1),
            "steps": signs.shape[1],
            "z_last": z_values[:, -1],
        },
        index=z.index,
    )

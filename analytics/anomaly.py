"""Spikes against a seasonal baseline (``metrics.md``: Trends and anomalies).

A period's count is a spike when it exceeds its baseline — the median of the same
weekday over the previous 8 weeks (daily series) or of the previous 8 weeks
(weekly series) — by more than k robust standard deviations (1.4826 × MAD) and by
at least an absolute minimum.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def flag_spikes(
    series: pd.Series, grain: str = "day", k: float = 3.0, min_excess: float = 5, baseline_periods: int = 8
) -> pd.DataFrame:
    """Baseline, robust SD, upper band and spike flag for a count series indexed by period start.

    Parameters
    ----------
    series : pandas.Series
        Counts indexed by a complete, regular DatetimeIndex (missing periods must be 0, not absent).
    grain : {"day", "week"}
        For ``day`` the baseline compares the same weekday (lag 7, 14, …); for ``week`` the previous weeks.
    k, min_excess, baseline_periods : float, float, int
        The rule's parameters (configuration ``[spikes]``).

    Examples
    --------
    >>> idx = pd.date_range("2025-01-06", periods=10, freq="W-MON")
    >>> s = pd.Series([10, 12, 11, 9, 10, 11, 12, 10, 11, 40], index=idx)
    >>> flag_spikes(s, grain="week")["spike"].tolist()[-2:]
    [False, True]
    """
    values = series.astype(float).to_numpy()
    flags = spike_matrix(values[:, None], grain, k, min_excess, baseline_periods)
    return pd.DataFrame({name: column[:, 0] for name, column in flags.items()}, index=series.index)


def spike_matrix(
    values: np.ndarray, grain: str = "day", k: float = 3.0, min_excess: float = 5, baseline_periods: int = 8
) -> dict[str, np.ndarray]:
    """:func:`flag_spikes` for many series at once: ``values`` is periods × series (one column per series).

    Returns arrays of the same shape: ``count``, ``baseline``, ``robust_sd``, ``upper`` and ``spike``.
    Each column gets exactly the numbers :func:`flag_spikes` gives it alone.
    """
    if grain not in ("day", "week"):
        raise ValueError(f"spike grain must be 'day' or 'week', not {grain!r}")
    lag = 7 if grain == "day" else 1
    values = np.asarray(values, dtype=float)
    periods = values.shape[0]
    lags = np.full((baseline_periods, *values.shape), np.nan)
    for j in range(1, baseline_periods + 1):
        if lag * j < periods:
            lags[j - 1, lag * j :] = values[: periods - lag * j]
    complete = ~np.isnan(lags).any(axis=0)
    baseline = np.full(values.shape, np.nan)
    mad = np.full(values.shape, np.nan)
    if complete.any():
        window = lags[:, complete]
        baseline[complete] = np.median(window, axis=0)
        mad[complete] = np.median(np.abs(window - baseline[complete]), axis=0)
    robust_sd = 1.4826 * mad
    upper = baseline + np.maximum(k * robust_sd, min_excess)
    with np.errstate(invalid="ignore"):
        spike = complete & (values > baseline + k * robust_sd) & (values - baseline >= min_excess)
    return {"count": values, "baseline": baseline, "robust_sd": robust_sd, "upper": upper, "spike": spike}

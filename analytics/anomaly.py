"""Spikes against a seasonal baseline (``metrics.md``: Trends and anomalies).

A period's count is a spike when it exceeds its baseline — the median of the same
weekday over the previous 8 weeks (daily series) or of the previous 8 weeks
(weekly series) — by more than k robust standard deviations (1.4826 × MAD) and by
at least an absolute minimum.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def flag_spikes(series: pd.Series, grain: str = "day", k: float = 3.0, min_excess: float = 5,
                baseline_periods: int = 8) -> pd.DataFrame:
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
    if grain not in ("day", "week"):
        raise ValueError(f"spike grain must be 'day' or 'week', not {grain!r}")
    lag = 7 if grain == "day" else 1
    values = series.astype(float).to_numpy()
    lags = np.full((len(values), baseline_periods), np.nan)
    for j in range(1, baseline_periods + 1):
        lags[lag * j:, j - 1] = values[: len(values) - lag * j] if lag * j < len(values) else []
    complete = ~np.isnan(lags).any(axis=1)
    baseline = np.full(len(values), np.nan)
    mad = np.full(len(values), np.nan)
    if complete.any():
        baseline[complete] = np.median(lags[complete], axis=1)
        mad[complete] = np.median(np.abs(lags[complete] - baseline[complete, None]), axis=1)
    robust_sd = 1.4826 * mad
    upper = baseline + np.maximum(k * robust_sd, min_excess)
    spike = complete & (values > baseline + k * robust_sd) & (values - baseline >= min_excess)
    return pd.DataFrame({"count": values, "baseline": baseline, "robust_sd": robust_sd,
                         "upper": upper, "spike": spike}, index=series.index)

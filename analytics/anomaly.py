"""Spikes against a seasonal baseline (``metrics.md``: Trends and anomalies).

A period's count is a spike when it exceeds its baseline — the median of the same
weekday over the previous 8 weeks (daily series) or of the previous 8 weeks
(weekly series) — by more than k robust standard deviations (1.4826 × MAD) and by
at least an absolute minimum. A lag outside the data coverage is missing, not zero; a period with
fewer than 6 of its 8 lags inside the coverage is not judged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def flag_spikes(
    series: pd.Series,
    grain: str = "day",
    k: float = 3.0,
    min_excess: float = 5,
    baseline_periods: int = 8,
    min_lags: int | None = None,
) -> pd.DataFrame:
    """Baseline, robust SD, upper band and spike flag for a count series indexed by period start.

    Parameters
    ----------
    series : pandas.Series
        Counts indexed by a complete, regular DatetimeIndex: a period without cases is 0, a period outside
        the data coverage is NaN (missing, not zero).
    grain : {"day", "week"}
        For ``day`` the baseline compares the same weekday (lag 7, 14, …); for ``week`` the previous weeks.
    k, min_excess, baseline_periods : float, float, int
        The rule's parameters (configuration ``[spikes]``).
    min_lags : int, optional
        A period is judged only when at least this many of its ``baseline_periods`` lags are inside the
        data (default: three quarters of them, 6 of 8); the baseline is the median of those present.

    Examples
    --------
    >>> idx = pd.date_range("2025-01-06", periods=10, freq="W-MON")
    >>> s = pd.Series([10, 12, 11, 9, 10, 11, 12, 10, 11, 40], index=idx)
    >>> flag_spikes(s, grain="week")["spike"].tolist()[-2:]
    [False, True]
    """
    values = series.astype(float).to_numpy()
    flags = spike_matrix(values[:, None], grain, k, min_excess, baseline_periods, min_lags)
    return pd.DataFrame({name: column[:, 0] for name, column in flags.items()}, index=series.index)


def default_min_lags(baseline_periods: int) -> int:
    """Three quarters of the lags, rounded up (6 of 8): fewer inside the data and a period is not judged."""
    return int(np.ceil(0.75 * baseline_periods))


def spike_matrix(
    values: np.ndarray,
    grain: str = "day",
    k: float = 3.0,
    min_excess: float = 5,
    baseline_periods: int = 8,
    min_lags: int | None = None,
) -> dict[str, np.ndarray]:
    """:func:`flag_spikes` for many series at once: ``values`` is periods × series (one column per series).

    Returns arrays of the same shape: ``count``, ``baseline``, ``robust_sd``, ``upper`` and ``spike``.
    Each column gets exactly the numbers :func:`flag_spikes` gives it alone. NaN values (outside the data
    coverage) are missing lags, never zeros.
    """
    if grain not in ("day", "week"):
        raise ValueError(f"spike grain must be 'day' or 'week', not {grain!r}")
    lag = 7 if grain == "day" else 1
    needed = default_min_lags(baseline_periods) if min_lags is None else int(min_lags)
    values = np.asarray(values, dtype=float)
    periods = values.shape[0]
    lags = np.full((baseline_periods, *values.shape), np.nan)
    for j in range(1, baseline_periods + 1):
        if lag * j < periods:
            lags[j - 1, lag * j :] = values[: periods - lag * j]
    judged = ((~np.isnan(lags)).sum(axis=0) >= needed) & ~np.isnan(values)
    baseline = np.full(values.shape, np.nan)
    mad = np.full(values.shape, np.nan)
    if judged.any():
        window = lags[:, judged]
        baseline[judged] = np.nanmedian(window, axis=0)
        mad[judged] = np.nanmedian(np.abs(window - baseline[judged]), axis=0)
    robust_sd = 1.4826 * mad
    upper = baseline + np.maximum(k * robust_sd, min_excess)
    with np.errstate(invalid="ignore"):
        spike = judged & (values > baseline + k * robust_sd) & (values - baseline >= min_excess)
    return {"count": values, "baseline": baseline, "robust_sd": robust_sd, "upper": upper, "spike": spike}

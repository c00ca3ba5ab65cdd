"""Choropleth classes: which metrics a map can show, their class breaks and colours (no Streamlit).

Counts and per-1,000 volumes use quantile breaks (their spread differs between
cities and levels); rates use fixed breaks at the assessment thresholds; the
score uses the grade thresholds; status uses its own four colours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class MapMetric:
    column: str
    kind: str  # count, rate, share (a small rate: quantile breaks), score or status
    higher_is_better: bool
    method: str  # quantile, fixed or status


MAP_METRICS: dict[str, MapMetric] = {
    "reported": MapMetric("reported", "count", False, "quantile"),
    "reported_per_1000": MapMetric("reported_per_1000", "count", False, "quantile"),
    "closure_rate": MapMetric("closure_rate", "rate", True, "fixed"),
    "on_time_closure_rate": MapMetric("on_time_closure_rate", "rate", True, "fixed"),
    "open_overdue": MapMetric("open_overdue", "count", False, "quantile"),
    "score": MapMetric("score", "score", True, "fixed"),
    "status": MapMetric("status", "status", True, "status"),
    "repeat_rate": MapMetric("repeat_rate", "share", False, "quantile"),
    "rebound_rate": MapMetric("rebound_rate", "share", False, "quantile"),
}
# metrics not in metrics.by_area: computed by analytics.repeats.rates.repeat_rates and joined on area_id
REPEAT_METRICS = ("repeat_rate", "rebound_rate")
RATE_BREAKS = (0.0, 0.6, 0.75, 0.9, 0.95, 1.0)
# 5 classes from best to worst: ColorBrewer RdYlBu (blue is the good end), which stays readable under
# deuteranopia and protanopia where red-yellow-green does not (tests/test_colour_vision.py)
GOOD_TO_BAD = ([44, 123, 182], [171, 217, 233], [255, 255, 191], [253, 174, 97], [215, 25, 28])
# yellow-orange-red with steps wide enough to tell apart under deuteranopia and protanopia too
LOW_TO_HIGH = ([255, 247, 188], [254, 196, 79], [236, 112, 20], [204, 36, 29], [110, 0, 40])
NO_DATA = [225, 229, 234]


def map_metric(name: str) -> MapMetric:
    """The whitelist entry of a map metric; ``ValueError`` for anything else."""
    try:
        return MAP_METRICS[name]
    except KeyError:
        raise ValueError(f"unknown map metric {name!r}; expected one of {', '.join(MAP_METRICS)}") from None


def class_breaks(
    values: pd.Series, metric: MapMetric, grade_thresholds: dict[str, float] | None = None, classes: int = 5
) -> list[float]:
    """Upper-inclusive class edges ``[b0, b1, …, bk]`` for a metric's values.

    Examples
    --------
    >>> class_breaks(pd.Series([0.5, 0.99]), MAP_METRICS["closure_rate"])
    [0.0, 0.6, 0.75, 0.9, 0.95, 1.0]
    >>> class_breaks(pd.Series(range(11)), MAP_METRICS["reported"])
    [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    """
    if metric.kind == "rate":
        return list(RATE_BREAKS)
    if metric.kind == "score":
        g = grade_thresholds or {"A": 90, "B": 75, "C": 60, "D": 40}
        return [0.0, float(g["D"]), float(g["C"]), float(g["B"]), float(g["A"]), 100.0]
    finite = pd.to_numeric(values, errors="coerce").dropna()
    if finite.empty:
        return [0.0, 1.0]
    edges = np.unique(np.round(np.quantile(finite, np.linspace(0, 1, classes + 1)), 6))
    return [float(e) for e in edges] if len(edges) > 1 else [float(edges[0]), float(edges[0]) + 1]


def classify(values: pd.Series, breaks: list[float], lower_inclusive: bool = False) -> pd.Series:
    """Class index 0..k-1 per value (``NaN`` stays missing).

    Classes are upper-inclusive (the first one also includes its lower edge); with ``lower_inclusive``
    each inner edge belongs to the class above it — the ``>=`` rule of the grades (a score of 90.0 is A).

    Examples
    --------
    >>> classify(pd.Series([75.0, 90.0]), [0, 40, 60, 75, 90, 100], lower_inclusive=True).tolist()
    [3.0, 4.0]
    """
    numeric = pd.to_numeric(values, errors="coerce")
    side = "right" if lower_inclusive else "left"
    index = np.searchsorted(np.asarray(breaks[1:-1]), numeric.to_numpy(dtype=float), side=side)
    return pd.Series(np.where(numeric.isna(), np.nan, index), index=values.index)


def palette(metric: MapMetric, classes: int) -> list[list[int]]:
    """Colours from the lowest class to the highest (blue is always the good end)."""
    base = GOOD_TO_BAD[::-1] if metric.higher_is_better else LOW_TO_HIGH
    if metric.kind in ("count", "share"):
        base = LOW_TO_HIGH
    pick = np.linspace(0, len(base) - 1, classes).round().astype(int)
    return [list(base[i]) for i in pick]


def colours_for(values: pd.Series, metric: MapMetric, breaks: list[float]) -> pd.Series:
    """RGBA per value by class; no-data grey for missing values."""
    colours = palette(metric, len(breaks) - 1)
    classes = classify(values, breaks, lower_inclusive=metric.kind == "score")
    return classes.map(lambda c: NO_DATA + [170] if pd.isna(c) else colours[int(c)] + [210])

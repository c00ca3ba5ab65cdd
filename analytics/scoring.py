"""Grid score (100 points), grades A–E, map status and the city index (``metrics.md``).

Pure functions on frames and dicts; weights, grade thresholds, status thresholds
and targets come from the configuration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GRADE_ORDER = ("A", "B", "C", "D", "E")
STATUS_COLORS = {"green": [46, 160, 67], "amber": [240, 173, 0], "red": [214, 48, 49], "grey": [170, 176, 184]}


def component_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """The score components as fractions: the rates, and ``non_rework_rate = 1 - rework_rate``."""
    out = pd.DataFrame(index=frame.index)
    for name in ("on_time_closure_rate", "closure_rate", "satisfaction_rate"):
        out[name] = pd.to_numeric(frame[name], errors="coerce")
    out["non_rework_rate"] = 1 - pd.to_numeric(frame["rework_rate"], errors="coerce")
    return out


def score_frame(frame: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """Score (0–100) per row and each component's contribution in points.

    Each component rate scores linearly 0–100; a component whose rate is null
    (denominator 0) is left out and the other weights are scaled up to 100.
    Returns columns ``score`` and ``points_<component>``; the points add up to the score.

    Examples
    --------
    >>> f = pd.DataFrame({"on_time_closure_rate": [0.5], "closure_rate": [1.0],
    ...                   "satisfaction_rate": [None], "rework_rate": [0.0]})
    >>> w = {"on_time_closure_rate": 40, "closure_rate": 30, "satisfaction_rate": 20, "non_rework_rate": 10}
    >>> round(float(score_frame(f, w)["score"][0]), 2)  # (40*50 + 30*100 + 10*100) / 80
    75.0
    """
    unknown = set(weights) - {"on_time_closure_rate", "closure_rate", "satisfaction_rate", "non_rework_rate"}
    if unknown:
        raise ValueError(f"unknown score components: {sorted(unknown)}")
    rates = component_rates(frame)[list(weights)]
    w = pd.Series(weights, dtype=float)
    present = rates.notna()
    total_weight = present.mul(w, axis=1).sum(axis=1)
    scale = 100.0 / total_weight.where(total_weight > 0)
    out = pd.DataFrame(index=frame.index)
    for name in weights:
        out[f"points_{name}"] = rates[name] * 100 * w[name] * scale / 100
    out["score"] = out[[f"points_{n}" for n in weights]].sum(axis=1, min_count=1)
    return out


def grade(score: pd.Series, thresholds: dict[str, float]) -> pd.Series:
    """Grade A–E from a score: A ≥ A-threshold, …, E below the D threshold; null stays null."""
    result = pd.Series(pd.NA, index=score.index, dtype="object")
    result[score.notna()] = "E"
    for letter in reversed(GRADE_ORDER[:-1]):  # D, C, B, A: the best one that holds wins
        result[score >= float(thresholds[letter])] = letter
    return result


def status(frame: pd.DataFrame, grades: pd.Series, min_due: int, red_overdue_share: float) -> pd.Series:
    """Map status: grey (too few cases), red, amber or green, as ``metrics.md`` says."""
    due = frame["due_to_close"].astype(float)
    overdue_share = frame["open_overdue"].astype(float) / due.where(due > 0)
    result = pd.Series("green", index=frame.index, dtype="object")
    result[grades == "C"] = "amber"
    result[grades.isin(["D", "E"]) | (overdue_share > red_overdue_share)] = "red"
    result[(due < min_due) | grades.isna()] = "grey"
    return result


def add_scores(frame: pd.DataFrame, cfg: dict, weights: dict[str, float] | None = None) -> pd.DataFrame:
    """``frame`` (one row per entity, with the rates) plus score, points, grade, status and rank.

    Entities with too few cases (due to close below the configured minimum) get no
    grade, grey status and no rank. Ranks are competition ranks ("1224"): ties share
    the best rank.
    """
    weights = weights or cfg["score"]["weights"]
    min_due = int(cfg["status"]["min_due_to_close"])
    scored = pd.concat([frame, score_frame(frame, weights)], axis=1)
    enough = scored["due_to_close"].astype(float) >= min_due
    scored.loc[~enough, "score"] = np.nan
    scored["grade"] = grade(scored["score"], cfg["score"]["grades"])
    scored["status"] = status(scored, scored["grade"], min_due, float(cfg["status"]["red_open_overdue_share"]))
    scored["rank"] = scored["score"].round(6).rank(method="min", ascending=False).astype("Int64")
    return scored


def city_index(actuals: dict[str, float | None], cfg: dict) -> dict:
    """Boston-CityScore-style index: per metric ``actual / target`` (``target / actual`` where lower is
    better), and the mean of the ratios that exist. 1.0 means on target.

    Examples
    --------
    >>> cfg = {"city_index": {"targets": {"closure_rate": 0.9, "median_handling_hours": 48.0},
    ...                        "lower_is_better": ["median_handling_hours"]}}
    >>> city_index({"closure_rate": 0.99, "median_handling_hours": 24.0}, cfg)["index"]
    1.55
    """
    targets = cfg["city_index"]["targets"]
    lower = set(cfg["city_index"].get("lower_is_better", []))
    ratios: dict[str, float | None] = {}
    for metric, target in targets.items():
        actual = actuals.get(metric)
        if actual is None or pd.isna(actual) or not target:
            ratios[metric] = None
        elif metric in lower:
            ratios[metric] = float(target) / float(actual) if actual > 0 else None
        else:
            ratios[metric] = float(actual) / float(target)
    present = [r for r in ratios.values() if r is not None]
    index = round(sum(present) / len(present), 4) if present else None
    return {"index": index, "ratios": ratios, "targets": dict(targets)}

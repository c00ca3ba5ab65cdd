"""Grid score (100 points), grades A–E, map status and the city index (``metrics.md``).

Pure functions on frames and dicts; weights, grade thresholds, status thresholds
and targets come from the configuration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GRADE_ORDER = ("A", "B", "C", "D", "E")
SCORE_DECIMALS = 1
# Told apart under deuteranopia and protanopia too (tests/test_colour_vision.py): a teal green, a yellow
# amber, a crimson red and a light grey; the status word is always shown beside the colour.
STATUS_COLORS = {"green": [0, 150, 136], "amber": [244, 180, 0], "red": [190, 30, 45], "grey": [200, 204, 210]}


GRID_COMPONENTS = ("on_time_closure_rate", "closure_rate", "satisfaction_rate", "non_rework_rate", "non_repeat_rate")
DEPARTMENT_COMPONENTS = ("on_time_handling_rate", "handled_rate", "non_rework_rate")
WORKER_COMPONENTS = ("report_volume", "valid_report_rate", "self_handled_rate")
# entity -> (score components, the volume column that decides "too few cases", config key of its weights)
ENTITIES = {
    "grid": (GRID_COMPONENTS, "due_to_close", "weights"),
    "department": (DEPARTMENT_COMPONENTS, "due_to_handle", "department_weights"),
    "worker": (WORKER_COMPONENTS, "reports", "worker_weights"),
}


def component_rates(frame: pd.DataFrame, entity: str = "grid", report_target: float | None = None) -> pd.DataFrame:
    """The score components of an entity as fractions in [0, 1].

    ``non_rework_rate = 1 - rework_rate``, ``non_repeat_rate = 1 - repeat_rate`` (null without a
    ``repeat_rate`` column); a worker's ``report_volume`` is reports / ``report_target``,
    capped at 1. Other components are the rates of the same name.
    """
    components = ENTITIES[entity][0]
    out = pd.DataFrame(index=frame.index)
    for name in components:
        if name == "non_rework_rate":
            out[name] = 1 - pd.to_numeric(frame["rework_rate"], errors="coerce")
        elif name == "non_repeat_rate":  # optional: only when the repeat rate was joined (weight > 0)
            repeat = frame["repeat_rate"] if "repeat_rate" in frame else pd.Series(np.nan, index=frame.index)
            out[name] = 1 - pd.to_numeric(repeat, errors="coerce")
        elif name == "report_volume":
            out[name] = (pd.to_numeric(frame["reports"], errors="coerce") / float(report_target)).clip(upper=1.0)
        else:
            out[name] = pd.to_numeric(frame[name], errors="coerce")
    return out


def weighted_score(rates: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """Score (0–100) per row and each component's contribution in points.

    Each component rate scores linearly 0–100; a component whose rate is null
    (denominator 0) is left out and the other weights are scaled up to 100.
    Returns columns ``score`` and ``points_<component>``; the points add up to the score.

    Examples
    --------
    >>> r = pd.DataFrame({"on_time_closure_rate": [0.5], "closure_rate": [1.0],
    ...                   "satisfaction_rate": [None], "non_rework_rate": [1.0]})
    >>> w = {"on_time_closure_rate": 40, "closure_rate": 30, "satisfaction_rate": 20, "non_rework_rate": 10}
    >>> round(float(weighted_score(r, w)["score"][0]), 2)  # (40*50 + 30*100 + 10*100) / 80
    75.0
    """
    unknown = set(weights) - set(rates.columns)
    if unknown:
        raise ValueError(f"unknown score components: {sorted(unknown)}")
    values = rates[list(weights)].astype(float).to_numpy()
    w = [float(weights[name]) for name in weights]
    known = ~np.isnan(values)
    # numpy, each sum in the components' order as pandas summed them (0 plus each in turn); the frame built once
    total_weight = _row_sum([known[:, i] * w[i] for i in range(len(w))], len(values))
    scale = 100.0 / np.where(total_weight > 0, total_weight, np.nan)
    points = {f"points_{name}": values[:, i] * w[i] * scale for i, name in enumerate(weights)}
    columns = list(points.values())
    score = _row_sum([np.where(np.isnan(c), 0.0, c) for c in columns], len(values))
    scored = np.zeros(len(values), dtype=bool)
    for column in columns:
        scored |= ~np.isnan(column)
    score[~scored] = np.nan  # min_count=1: no component with a rate, no score
    return pd.DataFrame({**points, "score": score}, index=rates.index)


def _row_sum(columns: list[np.ndarray], rows: int) -> np.ndarray:
    """The element-wise sum of ``columns`` added left to right from 0 (pandas' row sum of a frame's columns)."""
    total = np.zeros(rows)
    for column in columns:
        total = total + column
    return total


def round_score(score: pd.Series) -> pd.Series:
    """Scores rounded to :data:`SCORE_DECIMALS` decimals, halves up (46.25 is 46.3; 74.99999999999999 is 75.0).

    Examples
    --------
    >>> round_score(pd.Series([46.25, 74.99999999999999, None])).tolist()
    [46.3, 75.0, nan]
    """
    factor = 10.0**SCORE_DECIMALS
    return np.floor(score.astype(float) * factor + 0.5) / factor


def grade(score: pd.Series, thresholds: dict[str, float]) -> pd.Series:
    """Grade A–E from a score: A ≥ A-threshold, …, E below the D threshold; null stays null."""
    values = score.astype(float).to_numpy()
    result = np.full(len(values), pd.NA, dtype=object)
    result[~np.isnan(values)] = "E"
    for letter in reversed(GRADE_ORDER[:-1]):  # D, C, B, A: the best one that holds wins
        result[values >= float(thresholds[letter])] = letter
    return pd.Series(result, index=score.index, dtype="object")


def status(frame: pd.DataFrame, grades: pd.Series, min_due: int, red_overdue_share: float) -> pd.Series:
    """Map status: grey (too few cases), red, amber or green, as ``metrics.md`` says."""
    due = frame["due_to_close"].astype(float).to_numpy()
    overdue_share = frame["open_overdue"].astype(float).to_numpy() / np.where(due > 0, due, np.nan)
    graded = grades.notna().to_numpy()
    letters = np.array([g if ok else "" for g, ok in zip(grades.tolist(), graded)], dtype=object)  # null: ""
    result = np.full(len(due), "green", dtype=object)
    result[letters == "C"] = "amber"
    result[np.isin(letters, ["D", "E"]) | (overdue_share > red_overdue_share)] = "red"
    result[(due < min_due) | ~graded] = "grey"
    return pd.Series(result, index=frame.index, dtype="object")


def add_scores(
    frame: pd.DataFrame,
    cfg: dict,
    weights: dict[str, float] | None = None,
    entity: str = "grid",
    report_target: float | None = None,
) -> pd.DataFrame:
    """``frame`` (one row per entity, with its rates) plus points, score, grade, rank (and status for grids).

    Entities with too few cases (their volume below ``status.min_due_to_close``) get no
    score, no grade, no rank (and grey status). Ranks are competition ranks ("1224"):
    ties share the best rank.
    """
    components, volume, weight_key = ENTITIES[entity]
    weights = weights or cfg["score"][weight_key]
    min_due = int(cfg["status"]["min_due_to_close"])
    rates = component_rates(frame, entity, report_target)
    added = dict(weighted_score(rates, weights).items())
    enough = frame[volume].astype(float).to_numpy() >= min_due
    score = added["score"].where(enough)
    # metrics.md: rounded to one decimal before grading and ranking (74.99999999999999 is 75.0, grade B)
    added["score"] = round_score(score)
    added["grade"] = grade(added["score"], cfg["score"]["grades"])
    if entity == "grid":
        added["status"] = status(frame, added["grade"], min_due, float(cfg["status"]["red_open_overdue_share"]))
    added["rank"] = added["score"].rank(method="min", ascending=False).astype("Int64")
    if any(name in frame.columns for name in added):  # scored again: replace the columns in place
        scored = frame.copy()
        for name, column in added.items():
            scored[name] = column
        return scored
    return pd.concat([frame, pd.DataFrame(added, index=frame.index)], axis=1)  # the frame built once


def city_index(actuals: dict[str, float | None], cfg: dict) -> dict:
    """Boston-CityScore-style index: per metric ``actual / target`` (``target / actual`` where lower is
    better), each capped at ``city_index.cap`` (default 1.2), and the mean of the ratios that exist.
    1.0 means on target. An empty period (nothing reported, closed or overdue) has no index (None).

    Examples
    --------
    >>> cfg = {"city_index": {"targets": {"closure_rate": 0.9, "median_handling_hours": 48.0},
    ...                        "lower_is_better": ["median_handling_hours"]}}
    >>> city_index({"closure_rate": 0.99, "median_handling_hours": 24.0}, cfg)["index"]  # (1.1 + min(2, 1.2)) / 2
    1.15
    """
    targets = cfg["city_index"]["targets"]
    lower = set(cfg["city_index"].get("lower_is_better", []))
    cap = float(cfg["city_index"].get("cap", 1.2))
    ratios: dict[str, float | None] = {}
    for metric, target in targets.items():
        actual = actuals.get(metric)
        if actual is None or pd.isna(actual) or not target:
            ratios[metric] = None
        elif metric in lower:
            ratios[metric] = min(float(target) / float(actual), cap) if actual > 0 else None
        else:
            ratios[metric] = min(float(actual) / float(target), cap)
    if _empty_period(actuals):
        ratios = dict.fromkeys(ratios)
    present = [r for r in ratios.values() if r is not None]
    index = round(sum(present) / len(present), 4) if present else None
    return {"index": index, "ratios": ratios, "targets": dict(targets)}


def _empty_period(actuals: dict) -> bool:
    """True when the summary holds no case at all (nothing reported, closed or open overdue)."""
    keys = ("reported", "closed", "open_overdue")
    if not any(k in actuals for k in keys):
        return False
    return all(not actuals.get(k) or pd.isna(actuals.get(k)) for k in keys)

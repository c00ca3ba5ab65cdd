"""Evaluation the way a dispatch centre judges it: train before a cutoff, test on the month after.

Top-1 and top-3 accuracy of the department and the category, the majority-class
baseline beside them (the most frequent class of the training window; its top-3
the three most frequent), per-department precision and recall of the top-1
suggestion, and the most-confused (actual, suggested) pairs. Nothing from the test
month reaches training: the training cases are read with a period that ends at
the cutoff, and the split is checked.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd

from analytics.access.scope import Scope
from analytics.dispatch import model as dm
from analytics.dispatch.history import coverage, dispatched_history
from analytics.filters import Filters

TOP_K = 3
MAX_TEST_CASES = 2_000_000
CONFUSED_PAIRS = 10


def month_after(day: dt.date) -> dt.date:
    """The same day one calendar month later (the last day of a shorter month when needed)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def split(
    con: duckdb.DuckDBPyConnection, cutoff: dt.date, limit: int, scope: Filters | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training cases reported before ``cutoff`` (the most recent ``limit``) and test cases of the month after.

    ``scope`` carries the area (and any access scope) of :class:`~analytics.filters.Filters`; its period is
    replaced.
    """
    first, _ = coverage(con)
    base = scope or Filters(first, cutoff, scope=Scope.city())  # the whole city unless a scope is given
    base = replace(base, kind=None, category_major=None, category=None, source=None)
    train = dispatched_history(con, replace(base, start=min(first, cutoff), end=cutoff), limit)
    test = dispatched_history(con, replace(base, start=cutoff, end=month_after(cutoff)), MAX_TEST_CASES)
    cut = pd.Timestamp(cutoff)
    if len(train) and pd.to_datetime(train["reported_at"]).max() >= cut:
        raise AssertionError("a training case is not before the cutoff")  # the SQL period makes this impossible
    if len(test) and pd.to_datetime(test["reported_at"]).min() < cut:
        raise AssertionError("a test case is before the cutoff")
    return train, test


def topk_scores(proba: np.ndarray, classes: np.ndarray, truth: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Top-1 and top-3 accuracy and the top-1 suggestion of each case."""
    order = np.argsort(-proba, axis=1, kind="stable")[:, :TOP_K]
    top = classes[order]
    return float((top[:, 0] == truth).mean()), float((top == truth[:, None]).any(axis=1).mean()), top[:, 0]


def baseline(train_labels: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Majority-class top-1 and the three most frequent classes' top-3 accuracy."""
    counts = pd.Series(train_labels).value_counts(sort=True)
    ranked = counts.sort_index().sort_values(ascending=False, kind="stable").index.to_numpy()
    return float((truth == ranked[0]).mean()), float(np.isin(truth, ranked[:TOP_K]).mean())


def per_class(truth: np.ndarray, predicted: np.ndarray) -> list[dict]:
    """Precision, recall and support of the top-1 suggestion per actual class (null when undefined)."""
    rows = []
    for label in sorted(set(truth) | set(predicted)):
        hit = int(((truth == label) & (predicted == label)).sum())
        suggested, actual = int((predicted == label).sum()), int((truth == label).sum())
        rows.append(
            {
                "department": label,
                "support": actual,
                "suggested": suggested,
                "precision": hit / suggested if suggested else None,
                "recall": hit / actual if actual else None,
            }
        )
    return rows


def confused_pairs(truth: np.ndarray, predicted: np.ndarray, limit: int = CONFUSED_PAIRS) -> list[dict]:
    """The most frequent (actual, suggested) pairs where the suggestion was wrong."""
    wrong = truth != predicted
    if not wrong.any():
        return []
    pairs = pd.DataFrame({"actual": truth[wrong], "suggested": predicted[wrong]})
    counted = pairs.value_counts().rename("cases").reset_index()
    counted = counted.sort_values(["cases", "actual", "suggested"], ascending=[False, True, True], kind="stable")
    return counted.head(limit).to_dict("records")


def evaluate(
    con: duckdb.DuckDBPyConnection, cutoff: dt.date, limit: int, seed: int = 42, scope: Filters | None = None
) -> dict:
    """Train strictly before ``cutoff``, test on the month after; every figure of the module docstring.

    Raises
    ------
    ModelError
        When the training window is too small or the test month has no dispatched case.
    """
    train_cases, test_cases = split(con, cutoff, limit, scope)
    if test_cases.empty:
        raise dm.ModelError(f"no dispatched case with a text in the month after {cutoff}; choose an earlier cutoff")
    out: dict = {"cutoff": cutoff.isoformat(), "test_end": month_after(cutoff).isoformat()}
    out.update(score(train_cases, test_cases, seed))
    return out


def score(train_cases: pd.DataFrame, test_cases: pd.DataFrame, seed: int = 42) -> dict:
    """Train on ``train_cases``, score ``test_cases`` (both with the columns of ``dispatched_history``).

    The caller guarantees the time order (:func:`evaluate` does, by :func:`split`).
    """
    model = dm.train(train_cases, seed=seed)
    proba = model.proba(test_cases)
    out: dict = {"n_train": len(train_cases), "n_test": len(test_cases)}
    out["train_start"], out["train_end"] = model.meta["train_start"], model.meta["train_end"]
    for target, prefix in (("department", ""), ("category_code", "category_")):
        truth = test_cases[target].astype(str).to_numpy()
        clf = model.classifiers[target]
        top1, top3, predicted = topk_scores(proba[target], clf.classes, truth)
        base1, base3 = baseline(train_cases[target].astype(str).to_numpy(), truth)
        out.update({f"{prefix}top1": top1, f"{prefix}top3": top3})
        out.update({f"{prefix}baseline_top1": base1, f"{prefix}baseline_top3": base3})
        if target == "department":
            out["per_department"] = per_class(truth, predicted)
            out["confused"] = confused_pairs(truth, predicted)
            out["mean_confidence"] = float(proba[target].max(axis=1).mean())
    return out

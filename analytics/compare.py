"""对比分析: two filter sets side by side — before/after an intervention date, or two areas.

Every number is :func:`analytics.metrics.summary` of each side (the ``report`` object), so a
comparison equals two ``report`` calls. For rates that are a share of counted cases, a
two-proportion z-test says whether the change is more than noise (:func:`two_proportion_test`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass

import duckdb
import pandas as pd
from scipy.stats import norm

from analytics import metrics
from analytics.filters import Filters, case_filter_sql, period_params

MODES = ("periods", "areas")
# The metrics a comparison shows, in order (names of the report object).
COMPARE_METRICS = (
    "reported",
    "due_to_close",
    "closure_rate",
    "on_time_closure_rate",
    "median_handling_hours",
    "satisfaction_rate",
    "open_overdue",
    "rework_rate",
    "response_rate",
    "solve_rate",
    "local_resolution_rate",
)
LOWER_IS_BETTER = frozenset({"median_handling_hours", "open_overdue", "rework_rate"})
# rate -> (successes, trials) as functions of the report object: only rates that are a share of
# counted cases get a test (the satisfaction rate weights "basically satisfied" by 0.9, so it is not).
PROPORTIONS = {
    "closure_rate": (lambda r: r["closed"], lambda r: r["due_to_close"]),
    "on_time_closure_rate": (
        lambda r: r["closed_on_time"],
        lambda r: r["due_to_close"] - r["closed_without_deadline"],
    ),
    "rework_rate": (lambda r: r["closed_with_rework"], lambda r: r["due_to_close"]),
    "response_rate": (lambda r: r["callbacks_contacted"], lambda r: r["valid_callbacks"]),
    "solve_rate": (lambda r: r["callbacks_solved"], lambda r: r["valid_callbacks"]),
    "local_resolution_rate": (lambda r: r["disputes_resolved_local"], lambda r: r["disputes_resolved"]),
}


@dataclass(frozen=True)
class ProportionTest:
    """Two-proportion z-test of ``p_b - p_a`` with a Wald confidence interval of the difference."""

    p_a: float
    p_b: float
    difference: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float
    significant: bool


def two_proportion_test(x_a: int, n_a: int, x_b: int, n_b: int, alpha: float = 0.05) -> ProportionTest | None:
    """Is ``x_b / n_b`` different from ``x_a / n_a`` by more than chance (two-sided)?

    The z statistic uses the pooled proportion; the ``1 - alpha`` interval of the difference
    uses the unpooled (Wald) standard error. None when either side has no trials.

    Examples
    --------
    >>> r = two_proportion_test(80, 100, 90, 100)
    >>> round(r.z, 3), round(r.p_value, 4), r.significant
    (1.98, 0.0477, True)
    """
    if not n_a or not n_b:
        return None
    if not (0 <= x_a <= n_a and 0 <= x_b <= n_b):
        raise ValueError(f"successes must lie in [0, trials]: {x_a}/{n_a}, {x_b}/{n_b}")
    p_a, p_b = x_a / n_a, x_b / n_b
    pooled = (x_a + x_b) / (n_a + n_b)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    diff = p_b - p_a
    if se_pooled == 0:  # both sides all 0 % or all 100 %: no evidence of a change
        z, p_value = 0.0, 1.0
    else:
        z = diff / se_pooled
        p_value = float(2 * norm.sf(abs(z)))
    half = float(norm.ppf(1 - alpha / 2)) * math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    return ProportionTest(p_a, p_b, diff, z, p_value, diff - half, diff + half, p_value < alpha)


def before_after(f: Filters, intervention: dt.date, days: int) -> tuple[Filters, Filters]:
    """``days`` before the intervention date and ``days`` from it on, with ``f``'s area and kind."""
    if days < 1:
        raise ValueError(f"a comparison window needs at least one day, not {days}")
    before = dataclasses.replace(f, start=intervention - dt.timedelta(days=days), end=intervention)
    after = dataclasses.replace(f, start=intervention, end=intervention + dt.timedelta(days=days))
    return before, after


def two_areas(f: Filters, level: str, area_a: str, area_b: str) -> tuple[Filters, Filters]:
    """The same period and kind for two areas of one level."""
    return dataclasses.replace(f, level=level, area=str(area_a)), dataclasses.replace(f, level=level, area=str(area_b))


def _counts(report: dict, success, trials) -> tuple:
    """(successes, trials) of a rate, or Nones when the report cannot say (no deadlines, outside coverage)."""
    try:
        return success(report), trials(report)
    except (KeyError, TypeError):
        return None, None


def compare_rows(report_a: dict, report_b: dict, alpha: float = 0.05) -> pd.DataFrame:
    """One row per metric of :data:`COMPARE_METRICS`: both values, the difference (B − A), the relative
    change for counts and times, and for proportions the test of :func:`two_proportion_test`."""
    rows = []
    for name in COMPARE_METRICS:
        a, b = report_a.get(name), report_b.get(name)
        diff = None if a is None or b is None else float(b) - float(a)
        relative = None if diff is None or name.endswith("_rate") or not a else diff / float(a)
        test = None
        if name in PROPORTIONS:
            success, trials = PROPORTIONS[name]
            counts = [*_counts(report_a, success, trials), *_counts(report_b, success, trials)]
            if all(c is not None for c in counts):  # no deadlines or outside coverage: counts are unknown
                test = two_proportion_test(*(int(c) for c in counts), alpha)
        rows.append(
            {
                "metric": name,
                "a": a,
                "b": b,
                "difference": diff,
                "relative": relative,
                "lower_is_better": name in LOWER_IS_BETTER,
                "z": None if test is None else test.z,
                "p_value": None if test is None else test.p_value,
                "ci_low": None if test is None else test.ci_low,
                "ci_high": None if test is None else test.ci_high,
                "significant": None if test is None else test.significant,
            }
        )
    return pd.DataFrame(rows)


def compare(con: duckdb.DuckDBPyConnection, a: Filters, b: Filters, cfg: dict | None = None) -> dict:
    """Both ``report`` objects and their comparison rows (``{"a": …, "b": …, "rows": DataFrame}``)."""
    report_a, report_b = metrics.summary(con, a, cfg), metrics.summary(con, b, cfg)
    alpha = float((cfg or {}).get("compare", {}).get("alpha", 0.05))
    return {"a": report_a, "b": report_b, "rows": compare_rows(report_a, report_b, alpha)}


MIX_SQL = """
SELECT c.category_major, count(*) AS reported
FROM cases c
WHERE c.reported_at >= $start AND c.reported_at < $end AND c.category_major IS NOT NULL AND {where}
GROUP BY c.category_major
"""


def _mix(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    where, params = case_filter_sql(f)
    return con.cursor().execute(MIX_SQL.format(where=where), {**params, **period_params(f)}).df()


def category_mix_change(con: duckdb.DuckDBPyConnection, a: Filters, b: Filters, limit: int = 12) -> pd.DataFrame:
    """Reported per major class on each side, its share of that side's total and the change of share
    in percentage points (B − A), largest movers first; classes absent on one side count 0 there."""
    mix = _mix(con, a).merge(_mix(con, b), on="category_major", how="outer", suffixes=("_a", "_b"))
    mix[["reported_a", "reported_b"]] = mix[["reported_a", "reported_b"]].fillna(0).astype("int64")
    for side in ("a", "b"):
        total = mix[f"reported_{side}"].sum()
        mix[f"share_{side}"] = mix[f"reported_{side}"] / total if total else 0.0
    mix["share_change"] = mix["share_b"] - mix["share_a"]
    order = mix["share_change"].abs().sort_values(ascending=False, kind="stable").index
    return mix.loc[order].head(int(limit)).reset_index(drop=True)


def shared_breaks(values_a: pd.Series, values_b: pd.Series, metric: str, grades: dict | None = None) -> list[float]:
    """Class breaks for both maps of a comparison, from the values of both sides together, so one
    colour means the same value on the left and on the right."""
    from analytics.choropleth import class_breaks, map_metric

    both = pd.concat([pd.Series(values_a, dtype="float64"), pd.Series(values_b, dtype="float64")], ignore_index=True)
    return class_breaks(both, map_metric(metric), grades)

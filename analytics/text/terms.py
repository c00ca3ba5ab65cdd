"""Top terms per area and period with their lift, and emerging terms with a stated test.

Counts are documents: the number of cases whose description holds the term
(``case_terms`` has one row per case and distinct term).

Emerging rule (stated in ``docs/insight.md``): a term's cases in the period,
``x`` of ``n`` cases, against the ``K`` equal periods before it, ``y`` of
``m``. Under "no change" the term's rate is the same in both, so given
``x + y`` the period's share is ``Binomial(x + y, n / (n + m))`` (the
conditional test of two Poisson rates). One-sided p-values are corrected with
Benjamini-Hochberg over every term with ``x >= min_cases``; a term emerges when
``q <= fdr`` and its rate ratio ``(x / n) / ((y + 0.5) / m) >= min_ratio``.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd
from scipy import stats

from analytics.config import load_config
from analytics.filters import Filters, case_filter_sql, period_params


def text_config(cfg: dict | None = None) -> dict:
    """The ``[text]`` section of the configuration."""
    return (cfg or load_config())["text"]


def _term_counts(con: duckdb.DuckDBPyConnection, f: Filters) -> tuple[pd.DataFrame, int]:
    """Documents per term, and the number of cases, for the filter set.

    Without a predicate on the cases' own columns (no area, scope, kind, category or source: the whole
    city) the counts are read from ``case_terms`` alone: its rows are exactly the (case, distinct term)
    pairs of the cases in ``cases`` under the case's own report time (the import and the demo build index
    every case; the sync cuts a case anew when its text or report time changes and drops a removed case's
    terms, :func:`analytics.sync.compose._terms`), so the join to ``cases`` keeps every row and only costs
    its hash join (1.3 s of 1.4 for a month at 20 M cases). With a predicate the join stays.
    """
    where, params = case_filter_sql(f, "c")
    params |= period_params(f)
    period = "c.reported_at >= $start AND c.reported_at < $end"
    joined = "" if where == "TRUE" else f"JOIN cases c ON c.case_id = t.case_id AND {period} AND {where}"
    counts = con.execute(
        f"""
        SELECT t.term, count(*) AS cases
        FROM case_terms t {joined}
        WHERE t.reported_at >= $start AND t.reported_at < $end
        GROUP BY t.term
        """,
        params,
    ).df()
    total = con.execute(f"SELECT count(*) FROM cases c WHERE {period} AND {where}", params).fetchone()[0]
    return counts, int(total)


def top_terms(con: duckdb.DuckDBPyConnection, f: Filters, limit: int | None = None, cfg: dict | None = None):
    """The most frequent terms of the filter set, with their lift against the whole city.

    ``lift = (cases with the term in the area / cases in the area) /
    (cases with the term in the city / cases in the city)`` for the same period,
    kind and category. Terms held by fewer than ``[text] min_term_cases`` cases
    are left out. Columns: ``term, cases, share, city_cases, city_share, lift``.
    """
    tc = text_config(cfg)
    limit = int(limit or tc["top_terms"])
    area, n_area = _term_counts(con, f)
    if f.area is not None:
        city, n_city = _term_counts(con, replace(f, level=None, area=None))
    else:
        city, n_city = area, n_area
    out = area.merge(city.rename(columns={"cases": "city_cases"}), on="term", how="left")
    out = out[out["cases"] >= int(tc["min_term_cases"])]
    out["share"] = out["cases"] / max(n_area, 1)
    out["city_share"] = out["city_cases"] / max(n_city, 1)
    out["lift"] = out["share"] / out["city_share"]
    out = out.sort_values(["cases", "term"], ascending=[False, True]).head(limit).reset_index(drop=True)
    return out[["term", "cases", "share", "city_cases", "city_share", "lift"]]


def baseline_filters(f: Filters, periods: int) -> Filters:
    """The ``periods`` equal periods right before ``f`` (months when ``f`` is whole months)."""
    first = f
    for _ in range(periods):
        first = first.previous()
    return replace(f, start=first.start, end=f.start)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input order.

    Examples
    --------
    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03])).round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(p, dtype=float)
    if p.size == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * p.size / np.arange(1, p.size + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    out = np.empty_like(q)
    out[order] = q
    return out


def emerging_terms(con: duckdb.DuckDBPyConnection, f: Filters, cfg: dict | None = None) -> pd.DataFrame:
    """Terms rising in the period against the periods before it (rule in the module docstring).

    Columns: ``term, cases, baseline_cases, rate_ratio, p_value, q_value, emerging``,
    emerging terms first, by rate ratio. Empty when the baseline has no cases.
    """
    tc = text_config(cfg)
    current, n = _term_counts(con, f)
    base, m = _term_counts(con, baseline_filters(f, int(tc["emerging_baseline_periods"])))
    columns = ["term", "cases", "baseline_cases", "rate_ratio", "p_value", "q_value", "emerging"]
    if n == 0 or m == 0:
        return pd.DataFrame(columns=columns)
    out = current.merge(base.rename(columns={"cases": "baseline_cases"}), on="term", how="left")
    out["baseline_cases"] = out["baseline_cases"].fillna(0).astype(int)
    out = out[out["cases"] >= int(tc["emerging_min_cases"])].reset_index(drop=True)
    x, y = out["cases"].to_numpy(int), out["baseline_cases"].to_numpy(int)
    out["rate_ratio"] = (x / n) / ((y + 0.5) / m)
    out["p_value"] = stats.binom.sf(x - 1, x + y, n / (n + m))
    out["q_value"] = benjamini_hochberg(out["p_value"].to_numpy())
    out["emerging"] = (out["q_value"] <= float(tc["emerging_fdr"])) & (
        out["rate_ratio"] >= float(tc["emerging_min_ratio"])
    )
    out = out.sort_values(["emerging", "rate_ratio", "term"], ascending=[False, False, True], ignore_index=True)
    return out[columns]

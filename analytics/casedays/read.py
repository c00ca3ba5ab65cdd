"""The overview's period pair from ``case_days`` (:mod:`analytics.casedays.build`), exactly as from ``cases``.

:func:`pair_groups` returns what :func:`analytics.period_pair.period_pair_sql` returns — every aggregate of
:data:`analytics.metrics.AGGREGATES` per period and grid — reading the counts that add up over days from
``case_days`` (a few hundred thousand rows at 20M cases) and the rest from ``cases`` with narrow queries whose
predicates are the metric definitions themselves: the handling-time quantiles (cases closed in the periods),
the self-handled count (cases reported in them) and the oldest suspended case. :func:`usable` says when the
table can answer: it exists, it was built with the configured dispute window, no filter on a dimension it lacks
(major or minor category, source) is set, and on a plain file its case count still matches ``cases``.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from analytics import metrics
from analytics.casedays.build import META_CASES, META_DISPUTE_DAYS, NETS, TABLE, has_every_column
from analytics.config import DEFAULTS
from analytics.cube.read import remembered
from analytics.filters import Filters, area_filter_sql, case_filter_sql, level_columns, period_params

PERIODS = """periods AS (
    SELECT * FROM (VALUES (0, $start::TIMESTAMP, $end::TIMESTAMP),
                          (1, $previous_start::TIMESTAMP, $previous_end::TIMESTAMP)) p(period, p_start, p_end)
)"""

WINDOW_COUNTS = (
    "reported",
    "filed",
    "closed",
    "closed_on_time",
    "closed_without_deadline",
    "closed_before_reported",
    "negative_handling_time",
    "closed_with_rework",
    "worker_reported",
    "valid_callbacks",
    "callbacks_contacted",
    "callbacks_solved",
    "disputes_received",
    "disputes_resolved",
    "disputes_resolved_local",
    *(f"disputes_resolved_{level}" for level in ("grid", "community", "street", "district")),
)
# received in P and reported after $window_open_after (the data end minus the dispute window, a midnight): the
# days after its day, and its day but for the cases reported at exactly that midnight
WINDOW_OPEN = (
    "sum(CASE WHEN c.day > $window_open_after::DATE THEN c.disputes_received"
    " WHEN c.day = $window_open_after::DATE THEN c.disputes_received - c.disputes_at_midnight ELSE 0 END)"
)
NARROW = ("worker_self_handled", "median_handling_hours", "p90_handling_hours", "suspended_overdue_max_days")


def _area(level: str) -> tuple[str, str]:
    """``(area id expression, join)`` of a level: at grid level the case's own ``grid_id`` (unknown ones keep
    their group, so that the groups add up to the whole filter), else the level's id of its grid."""
    if level == "grid":
        return "c.grid_id", ""
    id_col, _ = level_columns(level)
    return f"g.{id_col}", "JOIN grids g ON g.grid_id = c.grid_id"


def window_sql(where: str, level: str = "grid") -> str:
    """The counts of events inside each period per ``(period, grid_id)`` from ``case_days`` (``where`` may refer
    to ``c.grid_id`` and ``c.kind`` only)."""
    sums = ", ".join(f"sum(c.{name}) AS {name}" for name in (*WINDOW_COUNTS, "satisfaction_tenths"))
    area, join = _area(level)
    return f"""SELECT CASE WHEN c.day >= $start::DATE THEN 0 ELSE 1 END AS period, {area} AS area_id, {sums},
       {WINDOW_OPEN} AS disputes_window_open
FROM {TABLE} c {join}
WHERE c.day >= $window_start::DATE AND c.day < $window_end::DATE AND {where}
GROUP BY ALL"""


def backlog_sql(where: str, level: str = "grid") -> str:
    """What is open at each period's end per ``grid_id``: the sums of the daily nets before it (``_0`` for the
    period, ``_1`` for the previous one)."""
    sums = ", ".join(
        f"sum(c.{name}) FILTER (WHERE c.day < ${end}::DATE) AS {name}_{period}"
        for name in NETS
        for period, end in ((0, "end"), (1, "previous_end"))
    )
    area, join = _area(level)
    return f"""SELECT {area} AS area_id, {sums}
FROM {TABLE} c {join} WHERE c.day < $window_end::DATE AND {where}
GROUP BY ALL"""


# The period a case belongs to by one of its times: the previous period ends where the period starts
# (:meth:`analytics.filters.Filters.previous`), so the window [previous start, end) splits at $start.
def _period_of(column: str) -> str:
    return f"CASE WHEN {column} >= $start THEN 0 ELSE 1 END"


def narrow_sql(
    where: str, level: str = "grid", area_quantiles: bool = True, whole_quantiles: bool = True
) -> dict[str, str]:
    """The queries over ``cases`` for :data:`NARROW`, each bounded so that DuckDB skips row groups. Both
    quantiles come from one list-valued ``quantile_cont`` (one sorted state per group, not two), per period and
    area and per period over the whole filter (``whole`` = 1) — or, without ``area_quantiles``, over the whole
    filter only (a third of the query's work at 20M cases); without ``whole_quantiles`` (by-area frames), per
    period and area only (``whole`` = 0: a plain ``GROUP BY``, about three quarters of the grouping sets' work);
    without either, no row."""
    hours = metrics.HANDLING_HOURS
    area, join = _area(level)
    closed = f"""FROM (SELECT {_period_of("c.closed_at")} AS period, {area} AS area_id, {hours} AS hours
      FROM cases c {join}
      WHERE c.closed_at >= $window_start AND c.closed_at < $window_end AND c.status <> 'cancelled'
        AND c.closed_at >= c.filed_at AND {where})"""
    if area_quantiles and not whole_quantiles:
        quantiles = f"""SELECT period, area_id, 0 AS whole, quantile_cont(hours, [0.5, 0.9]) AS q
{closed}
GROUP BY period, area_id"""
    elif area_quantiles:
        quantiles = f"""SELECT period, area_id, GROUPING(area_id) AS whole, quantile_cont(hours, [0.5, 0.9]) AS q
{closed}
GROUP BY GROUPING SETS ((period, area_id), (period))"""
    elif whole_quantiles:
        quantiles = f"""SELECT period, NULL::VARCHAR AS area_id, 1 AS whole, quantile_cont(hours, [0.5, 0.9]) AS q
{closed}
GROUP BY period"""
    else:  # neither is read: no row, no scan
        quantiles = "SELECT 0 AS period, NULL::VARCHAR AS area_id, 1 AS whole, NULL::DOUBLE[] AS q WHERE false"
    return {
        "quantiles": quantiles,
        "self_handled": f"""SELECT {_period_of("c.reported_at")} AS period, {area} AS area_id,
       count(*) AS worker_self_handled
FROM cases c {join}
WHERE c.reported_at >= $window_start AND c.reported_at < $window_end AND c.reporter_worker_id IS NOT NULL
  AND c.status <> 'cancelled' AND c.self_handled AND c.dispatched_at IS NULL
  AND c.closed_at < CASE WHEN c.reported_at >= $start THEN $end ELSE $start END AND {where}
GROUP BY ALL""",
        "suspended": f"""WITH {PERIODS}
SELECT p.period, {area} AS area_id, max(epoch(p.p_end - c.due_at) / 86400.0) AS suspended_overdue_max_days
FROM cases c {join} JOIN periods p ON c.filed_at < p.p_end AND c.due_at < p.p_end
                          AND (c.closed_at IS NULL OR c.closed_at >= p.p_end)
WHERE c.status = 'suspended' AND c.filed_at < $window_end AND c.due_at < $window_end AND {where}
GROUP BY ALL""",
    }


def _meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    sql = "SELECT key, value FROM meta WHERE key IN ($a, $b)"
    return dict(con.cursor().execute(sql, {"a": META_DISPUTE_DAYS, "b": META_CASES}).fetchall())


def _kind(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """``table`` or ``view`` when ``name`` is one in ``con``'s own catalog, else None."""
    sql = """SELECT 'table' FROM duckdb_tables() WHERE database_name = current_database() AND table_name = $n
             UNION ALL SELECT 'view' FROM duckdb_views() WHERE database_name = current_database() AND view_name = $n"""
    row = con.cursor().execute(sql, {"n": name}).fetchone()
    return row[0] if row else None


def usable(con: duckdb.DuckDBPyConnection, f: Filters, cfg: dict | None = None) -> bool:
    """Whether :func:`pair_groups` can answer ``f`` on ``con`` (else read ``cases``: the plain path).

    A live connection (:mod:`analytics.sync.live`) defines ``case_days`` as a view, already corrected for its
    delta and checked against its base file when it opened; a plain file's table is checked here against the
    number of cases (a writer that changed ``cases`` without rebuilding it is caught when it changed that).
    """
    if f.category_major is not None or f.category is not None or f.source is not None:
        return False
    kind, meta = remembered(con, "case_days_catalog", lambda: (_kind(con, TABLE), _meta(con)))  # once if live
    if kind is None:
        return False
    days = int({**DEFAULTS["metrics"], **(cfg or {}).get("metrics", {})}["dispute_window_days"])
    if meta.get(META_DISPUTE_DAYS) != str(days):
        return False
    if kind == "view":
        return True
    if not has_every_column(con):
        return False
    return _kind(con, "cases") == "table" and meta.get(META_CASES) == str(
        con.cursor().execute("SELECT count(*) FROM cases").fetchone()[0]
    )


def _run(con: duckdb.DuckDBPyConnection, sql: str, bound: dict) -> pd.DataFrame:
    return con.cursor().execute(sql, {k: v for k, v in bound.items() if f"${k}" in sql}).df()


def pair_groups(
    con: duckdb.DuckDBPyConnection,
    where: str,
    bound: dict,
    cfg: dict | None = None,
    level: str = "grid",
    area_quantiles: bool = True,
    whole_quantiles: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(groups, quantiles)`` as :mod:`analytics.period_pair` reads them from ``cases``: every aggregate per
    ``(period, area_id)`` in :data:`analytics.metrics.AGGREGATES` order, and the two quantiles per period over
    the whole filter. ``bound`` holds the filters' values, both periods' bounds, the window around them and
    :func:`analytics.metrics.metric_params`; ``where`` is :func:`analytics.filters.case_filter_sql`'s. Without
    ``area_quantiles`` the groups lack the two handling-time quantiles (not computed per area); without
    ``whole_quantiles`` the second frame has no row (the whole filter's quantiles are not computed)."""
    days = int({**DEFAULTS["metrics"], **(cfg or {}).get("metrics", {})}["dispute_window_days"])
    bound = {**bound, "window_open_after": bound["data_end"] - dt.timedelta(days=days)}
    groups = _with_backlog(
        _run(con, window_sql(where, level), bound), _run(con, backlog_sql(where, level), bound), bound
    )
    narrow = {
        name: _run(con, sql, bound) for name, sql in narrow_sql(where, level, area_quantiles, whole_quantiles).items()
    }
    quantiles = narrow["quantiles"]
    pairs = quantiles.pop("q").map(_pair)
    for i, name in enumerate(NARROW[1:3]):
        quantiles[name] = pd.to_numeric(pairs.map(lambda pair, i=i: pair[i]), errors="coerce").astype("float64")
    whole = quantiles["whole"] == 1
    keys = ["period", "area_id"]
    per_area = [quantiles[~whole].drop(columns="whole")] if area_quantiles else []
    for frame in (*per_area, narrow["self_handled"], narrow["suspended"]):
        groups = groups.merge(frame, on=keys, how="outer")
    groups["worker_self_handled"] = groups["worker_self_handled"].fillna(0).astype("int64")
    counts = [name for name in metrics.AGGREGATES if name not in metrics.NOT_COUNTS]
    groups[counts] = groups[counts].fillna(0).astype("int64")
    groups["satisfaction_points"] = groups["satisfaction_points"].fillna(0.0)
    kept = [name for name in metrics.AGGREGATES if area_quantiles or name not in NARROW[1:3]]
    groups = groups[[*keys, *kept]].sort_values(keys, kind="stable").reset_index(drop=True)
    return groups, quantiles[whole][["period", *NARROW[1:3]]].reset_index(drop=True)


def _with_backlog(window: pd.DataFrame, backlog: pd.DataFrame, bound: dict) -> pd.DataFrame:
    """The window's counts per ``(period, area_id)`` completed with what is open at each period's end."""
    periods = []
    for period in (0, 1):
        open_ = backlog[["area_id"]].copy()
        open_["period"] = period
        for name in NETS:
            open_[name] = backlog[f"{name}_{period}"].fillna(0).astype("int64")
        periods.append(open_)
    rows = window.merge(pd.concat(periods), on=["period", "area_id"], how="outer")
    numbers = [c for c in rows.columns if c not in ("period", "area_id")]
    rows[numbers] = rows[numbers].fillna(0).astype("int64")
    suspended = rows["suspended_overdue_net"]
    rows["open_overdue"] = rows["overdue_net"] + (suspended if bound["include_suspended"] else 0)
    rows["suspended_overdue"] = suspended
    rows["with_deadline"] = rows["closed"] - rows["closed_without_deadline"] + rows["open_with_deadline_net"]
    rows["to_judge"] = rows["closed"] + rows["open_net"]
    rows["satisfaction_points"] = rows["satisfaction_tenths"] / 10
    return rows.drop(columns=[*NETS, "satisfaction_tenths"])


def _pair(values) -> tuple:
    return (None, None) if values is None or (not hasattr(values, "__len__") and pd.isna(values)) else tuple(values)


# Splits of analytics.trends that case_days holds (the kind, or none).
TREND_SPLITS = {"none": "'all'", "kind": "c.kind"}


def trend_sql(unit: str, split: str, where: str) -> str:
    """Reports per ``date_trunc(unit)`` bucket and split value in ``[$start, $end)`` from ``case_days``: the
    rows :func:`analytics.trends.series` reads from ``cases`` (buckets without a report left out, as there)."""
    if unit not in ("day", "week", "month"):
        raise ValueError(f"unknown unit {unit!r}")
    return f"""SELECT date_trunc('{unit}', c.day::TIMESTAMP) AS bucket, {TREND_SPLITS[split]}::TEXT AS series,
       sum(c.reported)::BIGINT AS reported
FROM {TABLE} c
WHERE c.day >= $start::DATE AND c.day < $end::DATE AND {where}
GROUP BY ALL HAVING sum(c.reported) > 0"""


def reported_by_area_sql(id_col: str, name_col: str, where: str, grid_where: str) -> str:
    """:func:`analytics.metrics.reported_by_area_sql` from ``case_days`` (same rows, same types)."""
    return f"""
WITH areas AS (
    SELECT {id_col} AS area_id, any_value({name_col}) AS area_name
    FROM grids g WHERE {id_col} IS NOT NULL AND {grid_where} GROUP BY {id_col}
), agg AS (
    SELECT g.{id_col} AS area_id, sum(c.reported) AS reported
    FROM {TABLE} c JOIN grids g ON g.grid_id = c.grid_id
    WHERE c.day >= $start::DATE AND c.day < $end::DATE AND {where}
    GROUP BY g.{id_col}
)
SELECT areas.area_id, areas.area_name, coalesce(agg.reported, 0)::BIGINT AS reported
FROM areas LEFT JOIN agg USING (area_id)
ORDER BY area_id"""


def one_period(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    level: str,
    cfg: dict | None = None,
    area_quantiles: bool = True,
    whole_quantiles: bool = True,
):
    """``(groups, quantiles)`` of :func:`pair_groups` for ``f`` alone, per area of ``level`` (the previous
    period empty: it starts and ends where ``f`` starts); without ``area_quantiles`` the groups lack the
    handling-time quantiles; without ``whole_quantiles`` the whole filter's are not computed (no row)."""
    where, params = case_filter_sql(f)
    now = period_params(f)
    bound = {
        **params,
        **now,
        "previous_start": now["start"],
        "previous_end": now["start"],
        "window_start": now["start"],
        "window_end": now["end"],
        **metrics.metric_params(con, cfg),
    }
    groups, quantiles = pair_groups(con, where, bound, cfg, level, area_quantiles, whole_quantiles)
    return groups[groups["period"] == 0], quantiles[quantiles["period"] == 0]


def by_area_frame(
    con: duckdb.DuckDBPyConnection, f: Filters, level: str, cfg: dict | None = None, area_quantiles: bool = True
) -> pd.DataFrame:
    """The rows of :func:`analytics.metrics.by_area_sql` for ``f`` (before :func:`analytics.metrics.area_frame`);
    without ``area_quantiles``, less the two handling-time quantiles (not computed)."""
    from analytics.period_pair import areas_sql

    groups, _ = one_period(con, f, level, cfg, area_quantiles, whole_quantiles=False)  # the areas' only
    sql = areas_sql(level, area_filter_sql(f, "g"))
    areas = _run(con, sql, case_filter_sql(f)[1])
    rows = groups.drop(columns=["period"])
    return areas.merge(rows, on="area_id", how="left").sort_values("area_id", kind="stable").reset_index(drop=True)


def summary_row(con: duckdb.DuckDBPyConnection, f: Filters, cfg: dict | None = None) -> tuple:
    """The values of :data:`analytics.metrics.AGGREGATES` over the cases of ``f`` (the plain one-row query's).

    The whole filter's quantiles only: the grids' groups are summed, their quantiles would not be read."""
    from analytics.period_pair import _total_row

    groups, quantiles = one_period(con, f, "grid", cfg, area_quantiles=False)
    return _total_row(groups, quantiles, 0)

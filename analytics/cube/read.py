"""The metrics of ``metrics.md`` read from a cube instead of the case rows: the same keys, the same values.

:func:`cube_summary` equals :func:`analytics.metrics.summary` and :func:`cube_by_area` equals
:func:`analytics.metrics.by_area` for every filter set (tests compare them on the demo city), except the median
and p90 handling times, which come from the log-spaced histogram within :func:`quantile_error_bound`.
Filters (area, scope, kind, category, source) go through :func:`analytics.filters.case_filter_sql` on the cube
tables' columns, which carry the names of ``cases``, so access control applies unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
import weakref
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from analytics.cube.dialect import bin_edges_seconds
from analytics.filters import Filters, area_filter_sql, area_params, case_filter_sql, level_columns

# Additive columns of ``daily`` summed over the days of the period.
DAILY_SUMS = (
    "reported", "filed", "closed", "closed_on_time", "closed_without_deadline", "closed_before_reported",
    "negative_handling_time", "closed_with_rework", "valid_callbacks", "callbacks_contacted", "callbacks_solved",
    "satisfaction_tenths", "worker_reported", "disputes_received", "disputes_resolved", "disputes_resolved_grid",
    "disputes_resolved_community", "disputes_resolved_street", "disputes_resolved_district",
)  # fmt: skip
OPEN_SUMS = ("open_at_end", "open_with_deadline", "open_overdue", "suspended_overdue")
IN_DAYS = "c.day >= $start_day AND c.day < $end_day"


# What a connection's database is never changes while the connection is open (the app publishes a new
# connection for new data, analytics.sync.live), so each connection is asked once: is it a cube, its build
# settings and its table names, kept beside the connection object and dropped with it.
_FACTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_FACTS_LOCK = threading.Lock()
# An empty schema of the in-memory catalog that says the connection reads only files attached read-only through
# views nothing rewrites once it is open (:func:`analytics.sync.live.open_live`): its answers never change either.
UNCHANGING_SCHEMA = "unchanging_reader"


def mark_unchanging(con: duckdb.DuckDBPyConnection) -> None:
    """Say that ``con``'s data never changes while it is open, so :func:`remembered` keeps its answers (called by
    :func:`analytics.sync.live.open_live` once the connection is complete)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {UNCHANGING_SCHEMA}")
    with _FACTS_LOCK:
        known = _FACTS.get(con)
        if known is not None:  # asked while it was being opened: complete the answer
            known["unchanging"] = True


def _facts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    with _FACTS_LOCK:
        known = _FACTS.get(con)
    if known is not None:
        return known
    cur = con.cursor()
    names = {
        r[0]
        for r in cur.execute(
            "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views()"
        ).fetchall()
    }
    rows = {}
    if "meta" in names:  # checked, not caught: an error would abort an open transaction
        rows = dict(cur.execute("SELECT key, value FROM meta WHERE key IN ('cube', 'cube_settings')").fetchall())
    cube = rows.get("cube") == "true"
    unchanging = cur.execute(
        "SELECT count(*) FROM duckdb_schemas() WHERE database_name = current_database() AND schema_name = $s",
        {"s": UNCHANGING_SCHEMA},
    ).fetchone()[0]
    facts = {
        "cube": cube,
        "unchanging": cube or bool(unchanging),
        "tables": frozenset(names),
        "settings": json.loads(rows["cube_settings"]) if cube and rows.get("cube_settings") else None,
        "remembered": {},
    }
    with _FACTS_LOCK:
        _FACTS[con] = facts
    return facts


def remembered(con: duckdb.DuckDBPyConnection, key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per connection under ``key`` where the answers never change while the connection is open:
    a cube (read-only) and the app's live connection (:func:`mark_unchanging`); on any other connection (one that
    may write, as the import and the tests do) ``compute()`` every time."""
    facts = _facts(con)
    if not facts["unchanging"]:
        return compute()
    with _FACTS_LOCK:
        if key in facts["remembered"]:
            return facts["remembered"][key]
    value = compute()
    with _FACTS_LOCK:
        facts["remembered"][key] = value
    return value


def is_cube(con: duckdb.DuckDBPyConnection) -> bool:
    """True when ``con`` is a cube database (``meta.cube = 'true'``, written by ``analytics cube``); looked up
    once per connection."""
    return _facts(con)["cube"]


def cube_tables(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The names of the tables and views of ``con``'s database (looked up once per connection)."""
    return _facts(con)["tables"]


def cube_settings_of(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The settings the cube was built with (dispute window, histogram bins)."""
    settings = _facts(con)["settings"]
    if settings is None:
        raise ValueError("not a cube database (no meta.cube_settings)")
    return dict(settings)


def quantile_error_bound(settings: dict[str, int]) -> tuple[float, float]:
    """``(relative, absolute_hours)``: a histogram median or p90 ``m`` of an exact value ``x`` (both in hours)
    satisfies ``|m - x| <= relative * x + absolute_hours`` for durations under ``max_seconds``.

    Each order statistic is replaced by the geometric middle of its bin (within a factor ``sqrt(upper/lower)``)
    or, in bin 0, by half its width (within ``bin_base_seconds / 2``); the interpolation between two order
    statistics keeps the bound. Durations are whole seconds in the cube (one more second).
    """
    edges = bin_edges_seconds(settings)
    relative = max(math.sqrt(edges[i + 1] / edges[i]) - 1 for i in range(1, len(edges) - 1))
    return relative, (settings["bin_base_seconds"] / 2 + 1) / 3600


def bin_middles_hours(settings: dict[str, int]) -> list[float]:
    """The value standing for each bin, in hours: half of bin 0, the geometric middle of the others."""
    edges = bin_edges_seconds(settings)
    middles = [edges[1] / 2] + [math.sqrt(edges[i] * edges[i + 1]) for i in range(1, len(edges) - 1)]
    return [m / 3600 for m in middles]


def histogram_quantile(bins: list[int], counts: list[int], p: float, middles: list[float]) -> float | None:
    """``quantile_cont`` (linear interpolation between order statistics) over a histogram, or None when empty.

    Examples
    --------
    >>> histogram_quantile([1, 3], [1, 1], 0.5, [0.0, 1.0, 2.0, 3.0])
    2.0
    """
    n = int(sum(counts))
    if n == 0:
        return None
    rank = (n - 1) * p
    low, high = math.floor(rank), math.ceil(rank)
    values, seen = {}, 0
    for b, k in zip(bins, counts):
        for wanted in (low, high):
            if seen <= wanted < seen + k:
                values[wanted] = middles[int(b)]
        seen += int(k)
    return values[low] + (rank - low) * (values[high] - values[low])


def _params(con: duckdb.DuckDBPyConnection, f: Filters, cfg: dict | None) -> dict[str, Any]:
    from analytics.metrics import metric_params

    bound = metric_params(con, cfg)
    days = cube_settings_of(con)["dispute_days"]
    wanted = int(bound.pop("dispute_days"))
    if wanted != days:
        raise ValueError(f"the cube was built with a dispute window of {days} days, the configuration says {wanted}")
    data_end = bound.pop("data_end").date()
    return {
        "start_day": f.start,
        "end_day": f.end,
        "end": dt.datetime.combine(f.end, dt.time()),
        "include_suspended": bound["include_suspended"],
        "window_day": data_end - dt.timedelta(days=days) if data_end < dt.date.max else dt.date.max,
    }


def _sums(columns: tuple[str, ...]) -> str:
    return ", ".join(f"coalesce(sum(c.{name}), 0)::BIGINT AS {name}" for name in columns)


def table_suffix(f: Filters) -> str:
    """``_by_kind`` (the roll-ups) when ``f`` filters on no category, major class or source, else ``''``."""
    return "_by_kind" if f.category is None and f.category_major is None and f.source is None else ""


def _grouping(group: str | None, where: str) -> tuple[str, str, str]:
    """(select key, join, GROUP BY) for grouping the cube rows by ``group``; grids are joined only when needed."""
    if not group:
        return "", "", ""
    if group == "grid_id" and "g." not in where:
        return "c.grid_id AS area_id, ", "", "GROUP BY c.grid_id"
    return f"g.{group} AS area_id, ", "JOIN grids g ON g.grid_id = c.grid_id", f"GROUP BY g.{group}"


def _open_source(suffix: str) -> str:
    """The day-end snapshot rows at the end of the period: without category filters, the one day of
    ``open_snapshot_by_kind`` ending it (the last day with changes when the period ends later; none when it
    ends before the first); else the running sum of every change of ``open_changes`` before the period's end."""
    if suffix == "_by_kind":
        return """(SELECT * FROM open_snapshot_by_kind WHERE day = least(CAST($end_day AS DATE) - 1,
                   (SELECT max(day) FROM open_changes_by_kind)))"""
    return "(SELECT * FROM open_changes WHERE day < $end_day)"


def counts_sql(where: str, group: str | None = None, suffix: str = "") -> str:
    """Every additive and day-end count for the filter ``where`` (cube tables aliased ``c``), optionally
    grouped by ``group`` (a column of ``grids`` aliased ``g``, whitelisted by the caller)."""
    key, join, by = _grouping(group, where)
    late = "c.disputes_received_after_midnight"
    parts = {
        "d": f"""SELECT {key}{_sums(DAILY_SUMS)},
                 coalesce(sum(c.disputes_received) FILTER (WHERE c.day > $window_day), 0)
                 + coalesce(sum({late}) FILTER (WHERE c.day = $window_day), 0) AS disputes_window_open
                 FROM daily{suffix} c {join} WHERE {IN_DAYS} AND {where} {by}""",
        "o": f"SELECT {key}{_sums(OPEN_SUMS)} FROM {_open_source(suffix)} c {join} WHERE {where} {by}",
        "s": f"""SELECT {key}coalesce(sum(c.worker_self_handled), 0)::BIGINT AS worker_self_handled
                 FROM self_handled{suffix} c {join} WHERE {IN_DAYS} AND c.closed_day < $end_day AND {where} {by}""",
        "x": f"""SELECT {key}max(epoch($end - c.earliest_due) / 86400.0) AS suspended_overdue_max_days
                 FROM suspended_spans c {join}
                 WHERE c.overdue_from < $end_day AND (c.open_until IS NULL OR c.open_until >= $end_day)
                   AND {where} {by}""",
    }
    ctes = ",\n".join(f"{name} AS ({sql})" for name, sql in parts.items())
    if group:
        cols = "area_id, " + ", ".join(f"{n}.* EXCLUDE (area_id)" for n in ("d", "o", "s", "x"))
        joins = " ".join(f"FULL JOIN {n} USING (area_id)" for n in ("o", "s", "x"))
        return f"WITH {ctes}\nSELECT {cols} FROM d {joins}"
    return f"WITH {ctes}\nSELECT * FROM d, o, s, x"


def _metric_counts(n: dict[str, Any], include_suspended: bool, whole: Callable) -> dict[str, Any]:
    """The counts of :data:`analytics.metrics.AGGREGATES` from the cube's sums ``n`` (filled: no null), each
    made whole by ``whole`` (``int`` for one row, int64 for columns): one definition for a row and for columns."""
    out = {name: whole(n[name]) for name in DAILY_SUMS if name != "satisfaction_tenths"}
    out["satisfaction_points"] = n["satisfaction_tenths"] / 10.0
    out["open_overdue"] = whole(n["open_overdue"]) + (whole(n["suspended_overdue"]) if include_suspended else 0)
    out["suspended_overdue"] = whole(n["suspended_overdue"])
    out["suspended_overdue_max_days"] = None  # an age, not a count: set by the caller
    out["with_deadline"] = whole(n["closed"]) - whole(n["closed_without_deadline"]) + whole(n["open_with_deadline"])
    out["to_judge"] = whole(n["closed"]) + whole(n["open_at_end"])
    out["worker_self_handled"] = whole(n["worker_self_handled"])
    out["disputes_resolved_local"] = out["disputes_resolved_grid"] + out["disputes_resolved_community"]
    out["disputes_window_open"] = whole(n["disputes_window_open"])
    return out


def to_metric_counts(row: dict[str, Any], include_suspended: bool) -> dict[str, Any]:
    """The cube's sums as the counts of :data:`analytics.metrics.AGGREGATES` (same names, same meaning)."""
    n = {k: (0 if v is None or (isinstance(v, float) and math.isnan(v)) else v) for k, v in row.items()}
    out = _metric_counts({**n, "satisfaction_tenths": float(n["satisfaction_tenths"])}, include_suspended, int)
    days = row.get("suspended_overdue_max_days")
    out["suspended_overdue_max_days"] = None if days is None or pd.isna(days) else float(days)
    return out


def metric_count_columns(frame: pd.DataFrame, include_suspended: bool) -> dict[str, np.ndarray]:
    """:func:`to_metric_counts` of every row of ``frame`` at once, as numpy columns in the frame's row order (the
    counts int64, null as 0; the age float64, NaN when null): each column converted once, then numpy arithmetic
    (pandas 3 converted and checked every column again for each of the ~50 operations)."""
    skip = ("area_id", "suspended_overdue_max_days")
    n = {name: frame[name].to_numpy(dtype="float64", na_value=0.0) for name in frame.columns if name not in skip}
    out = _metric_counts(n, include_suspended, lambda column: column.astype("int64"))
    out["suspended_overdue_max_days"] = frame["suspended_overdue_max_days"].to_numpy(dtype="float64", na_value=np.nan)
    return out


MONTHLY_HISTOGRAM = "handling_histogram_by_month"


def month_split(start: dt.date, end: dt.date) -> dict[str, dt.date]:
    """``$first_month``/``$last_month``: the whole calendar months ``[first_month, last_month)`` inside
    ``[start, end)``; the days ``[start, first_month)`` and ``[last_month, end)`` around them are read day by day.
    No whole month: both are ``end`` (every day read day by day).

    Examples
    --------
    >>> month_split(dt.date(2025, 1, 15), dt.date(2025, 4, 3))
    {'first_month': datetime.date(2025, 2, 1), 'last_month': datetime.date(2025, 4, 1)}
    >>> month_split(dt.date(2025, 1, 5), dt.date(2025, 1, 20))
    {'first_month': datetime.date(2025, 1, 20), 'last_month': datetime.date(2025, 1, 20)}
    """
    first = start if start.day == 1 else dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    last = dt.date(end.year, end.month, 1)
    if first >= last:
        first = last = end
    return {"first_month": first, "last_month": last}


def histogram_sql(where: str, group: str | None = None, suffix: str = "", monthly: bool = False) -> str:
    """Handling-time histogram (``bin``, ``cases``) over the period, optionally per area. ``monthly`` (no
    category filter, a cube with :data:`MONTHLY_HISTOGRAM`): the whole months of the period from the
    grid x month roll-up and only the days around them from ``handling_histogram_by_kind`` (binds the keys of
    :func:`month_split` besides ``$start_day`` and ``$end_day``)."""
    key, join, by = _grouping(group, where)
    by = f"{by.removeprefix('GROUP BY ')}, " if group else ""
    source = f"handling_histogram{suffix}"
    if monthly:
        source = f"""(SELECT grid_id, kind, bin, cases FROM {MONTHLY_HISTOGRAM}
                      WHERE month >= $first_month AND month < $last_month
                      UNION ALL
                      SELECT grid_id, kind, bin, cases FROM handling_histogram_by_kind
                      WHERE (day >= $start_day AND day < $first_month) OR (day >= $last_month AND day < $end_day))"""
    days = "TRUE" if monthly else IN_DAYS
    return f"""SELECT {key}c.bin, sum(c.cases)::BIGINT AS cases FROM {source} c {join}
               WHERE {days} AND {where} GROUP BY {by}c.bin ORDER BY {by}c.bin"""


def _histogram_query(con, where: str, group: str | None, f: Filters, bound: dict[str, Any]) -> tuple[str, dict]:
    """:func:`histogram_sql` for ``f`` (the monthly roll-up when it can answer) and its parameters."""
    suffix = table_suffix(f)
    monthly = suffix == "_by_kind" and MONTHLY_HISTOGRAM in cube_tables(con)
    params = {k: v for k, v in bound.items() if k not in ("end", "window_day")}
    if monthly:
        params.update(month_split(f.start, f.end))
    return histogram_sql(where, group, suffix, monthly), params


def _histogram(con, where: str, group: str | None, f: Filters, bound: dict[str, Any]) -> pd.DataFrame:
    """The histogram frame of :func:`histogram_sql` for ``f``."""
    sql, params = _histogram_query(con, where, group, f, bound)
    return con.cursor().execute(sql, params).df()


def quantile_bins_sql(histogram: str) -> str:
    """Per area of a grouped histogram query: its total and, for the median and p90, the bins holding the two
    order statistics :func:`histogram_quantile` interpolates between (the first bin whose running count exceeds
    the rank's floor and its ceiling) — one row per area instead of one per area and bin."""
    picks = ",\n".join(
        f"min(bin) FILTER (WHERE running > {rounding}((total - 1) * {p})) AS {side}_{name}"
        for p, name in QUANTILE_POINTS.items()
        for side, rounding in (("low", "floor"), ("high", "ceil"))
    )
    return f"""WITH h AS ({histogram}),
c AS (SELECT area_id, bin, sum(cases) OVER (PARTITION BY area_id ORDER BY bin) AS running,
             sum(cases) OVER (PARTITION BY area_id) AS total FROM h)
SELECT area_id, any_value(total)::BIGINT AS total, {picks}
FROM c GROUP BY area_id ORDER BY area_id"""


QUANTILE_POINTS = {0.5: "median", 0.9: "p90"}


def quantiles_from_bins(frame: pd.DataFrame, middles: list[float]) -> dict[Any, tuple[float, float]]:
    """``{area: (median, p90)}`` from the rows of :func:`quantile_bins_sql`: the same values as
    :func:`quantiles_by_area` on the full histogram.

    Examples
    --------
    >>> rows = pd.DataFrame({"area_id": ["a"], "total": [4], "low_median": [2], "high_median": [2],
    ...                      "low_p90": [2], "high_p90": [3]})
    >>> quantiles_from_bins(rows, [0.0, 10.0, 20.0, 30.0])
    {'a': (20.0, 27.0)}
    """
    value_of = np.asarray(middles, dtype="float64")
    totals = frame["total"].to_numpy(dtype="float64")
    result = []
    for p, name in QUANTILE_POINTS.items():
        rank = (totals - 1) * p
        low = np.floor(rank)
        at_low = value_of[frame[f"low_{name}"].to_numpy(dtype="int64")]
        at_high = value_of[frame[f"high_{name}"].to_numpy(dtype="int64")]
        result.append(at_low + (rank - low) * (at_high - at_low))
    return {a: (float(m), float(q)) for a, m, q in zip(frame["area_id"].tolist(), *result)}


def quantiles_by_area(hist: pd.DataFrame, middles: list[float]) -> tuple[list, list[tuple[float, float]]]:
    """Median and p90 of every area of a histogram frame (``area_id``, ``bin``, ``cases``, sorted by area and
    bin), vectorised: the same values as :func:`histogram_quantile` per area.

    Examples
    --------
    >>> hist = pd.DataFrame({"area_id": ["a", "a", "a", "b"], "bin": [1, 2, 3, 2], "cases": [1, 2, 1, 5]})
    >>> quantiles_by_area(hist, [0.0, 10.0, 20.0, 30.0])
    (['a', 'b'], [(20.0, 27.0), (20.0, 20.0)])
    """
    if hist.empty:
        return [], []
    counts = hist["cases"].to_numpy(dtype="int64")
    bins = hist["bin"].to_numpy(dtype="int64")
    areas = hist["area_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, areas[1:] != areas[:-1]])
    cumulative = np.cumsum(counts)
    totals = np.add.reduceat(counts, starts)
    before = cumulative[starts] - counts[starts]
    value_of = np.asarray(middles, dtype="float64")
    result = []
    for p in (0.5, 0.9):
        rank = (totals - 1) * p
        low, high = np.floor(rank), np.ceil(rank)
        at_low = value_of[bins[np.searchsorted(cumulative, before + low, side="right")]]
        at_high = value_of[bins[np.searchsorted(cumulative, before + high, side="right")]]
        result.append(at_low + (rank - low) * (at_high - at_low))
    pairs = [(float(m), float(q)) for m, q in zip(*result)]
    return areas[starts].tolist(), pairs


def _quantiles(frame: pd.DataFrame, middles: list[float]) -> tuple[float | None, float | None]:
    bins, counts = frame["bin"].tolist(), frame["cases"].tolist()
    return histogram_quantile(bins, counts, 0.5, middles), histogram_quantile(bins, counts, 0.9, middles)


def cube_counts(con: duckdb.DuckDBPyConnection, f: Filters, cfg: dict | None = None) -> dict[str, Any]:
    """The counts of :data:`analytics.metrics.AGGREGATES` for ``f``, from the cube."""
    where, params = case_filter_sql(f)
    bound = {**params, **_params(con, f, cfg)}
    include = bound.pop("include_suspended")
    cur = con.cursor()
    frame = cur.execute(counts_sql(where, suffix=table_suffix(f)), bound).df()
    counts = to_metric_counts(frame.iloc[0].to_dict(), include)
    hist = _histogram(con, where, None, f, bound)
    middles = bin_middles_hours(cube_settings_of(con))
    counts["median_handling_hours"], counts["p90_handling_hours"] = _quantiles(hist, middles)
    return counts


def cube_area_counts(con: duckdb.DuckDBPyConnection, f: Filters, level: str, cfg: dict | None = None) -> pd.DataFrame:
    """One row of counts per area of ``level`` that has any (``area_id`` plus the AGGREGATES names)."""
    id_col, _ = level_columns(level)
    where, params = case_filter_sql(f)
    where = f"{where} AND {area_filter_sql(f, 'g')}"
    bound = {**params, **_params(con, f, cfg)}
    include = bound.pop("include_suspended")
    frame = con.cursor().execute(counts_sql(where, id_col, table_suffix(f)), bound).df()
    return area_rows(con, frame, where, id_col, f, bound, include)


def area_rows(
    con: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    where: str,
    id_col: str,
    f: Filters,
    bound: dict[str, Any],
    include_suspended: bool,
) -> pd.DataFrame:
    """:func:`cube_area_counts` from the rows of its grouped :func:`counts_sql` (``frame``): the counts of each
    area and its two quantiles from the grouped histogram (``bound`` without ``include_suspended``)."""
    return area_rows_with(frame, area_quantiles(con, where, id_col, f, bound), include_suspended)


def area_rows_with(
    frame: pd.DataFrame, quantiles: dict[Any, tuple[float, float]], include_suspended: bool
) -> pd.DataFrame:
    """:func:`area_rows` from the areas' ``{area: (median, p90)}`` (areas without handled cases: NaN)."""
    if frame.empty:
        return pd.DataFrame()
    columns = {"area_id": frame["area_id"], **metric_count_columns(frame, include_suspended)}
    pairs = [quantiles.get(area, (np.nan, np.nan)) for area in frame["area_id"].tolist()]
    columns["median_handling_hours"] = pd.Series([m for m, _ in pairs], index=frame.index, dtype="float64")
    columns["p90_handling_hours"] = pd.Series([p for _, p in pairs], index=frame.index, dtype="float64")
    return pd.DataFrame(columns)


def area_quantiles(
    con: duckdb.DuckDBPyConnection, where: str, id_col: str, f: Filters, bound: dict[str, Any]
) -> dict[Any, tuple[float, float]]:
    """``{area: (median, p90)}`` of the grouped histogram, fetched as arrays (no frame, no window function: the
    window of :func:`quantile_bins_sql` cost 0.05 s at 1M cases and 0.3 s at 40M) and read by
    :func:`quantiles_by_area`, which gives the same values."""
    sql, hist_params = _histogram_query(con, where, id_col, f, bound)
    arrays = con.cursor().execute(sql, hist_params).fetchnumpy()
    hist = pd.DataFrame(  # the ids as Python objects: no text column built for 150,000 rows at 40M cases
        {"area_id": pd.Series(arrays["area_id"], dtype=object), "bin": arrays["bin"], "cases": arrays["cases"]}
    )
    areas, pairs = quantiles_by_area(hist, bin_middles_hours(cube_settings_of(con)))
    return dict(zip(areas, pairs))


def cube_by_area_frame(con: duckdb.DuckDBPyConnection, f: Filters, level: str, cfg: dict | None = None) -> pd.DataFrame:
    """The raw frame of :func:`analytics.metrics.by_area_sql` (every area of ``level`` with its population and
    the counts of :data:`analytics.metrics.AGGREGATES`, null for areas without cases), from the cube."""
    return by_area_frame_of(con, f, level, cube_area_counts(con, f, level, cfg))


def by_area_frame_of(con: duckdb.DuckDBPyConnection, f: Filters, level: str, counts: pd.DataFrame) -> pd.DataFrame:
    """:func:`cube_by_area_frame` from the areas' counts (:func:`cube_area_counts`'s frame)."""
    return by_area_frame_with(area_table(con, f, level), counts)


def area_table(con: duckdb.DuckDBPyConnection, f: Filters, level: str) -> pd.DataFrame:
    """The areas of ``level`` in ``f``'s area and scope with their names, population and grid counts (the
    same for every period of ``f``)."""
    from analytics.metrics import AREA_POPULATION

    id_col, name_col = level_columns(level)
    areas_sql = f"""SELECT {id_col} AS area_id, any_value({name_col}) AS area_name,
                           {AREA_POPULATION} AS population, count(*) AS grids,
                           count(*) - count(population) AS grids_without_population
                    FROM grids g WHERE {id_col} IS NOT NULL AND {area_filter_sql(f, "g")} GROUP BY {id_col}"""
    return con.cursor().execute(areas_sql, area_params(f)).df()


def by_area_frame_with(areas: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """:func:`by_area_frame_of` from :func:`area_table`'s frame."""
    from analytics.metrics import AGGREGATES

    if counts.empty:
        counts = pd.DataFrame(columns=["area_id", *AGGREGATES])
    frame = areas.merge(counts[["area_id", *AGGREGATES]], on="area_id", how="left")
    return frame.sort_values("area_id", ignore_index=True)

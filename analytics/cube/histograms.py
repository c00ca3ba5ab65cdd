"""The handling-time histograms of several periods per grid from one cube query, read on a grid x bin matrix.

The overview compares two periods; each needs the median and p90 handling time of every grid and of the whole
filter. :func:`period_quantiles` asks the cube once for every period's grid x bin counts (a ``period`` column, no
``ORDER BY``: sorting 150,000 text keys was half of the 40M cube's histogram query; the month rows not even
summed), takes each grid as its number in ``grids`` (no Python string per row) and reads the quantiles off a dense grid x bin matrix. Without an
area filter the whole filter's histogram is the sum of the grids' rows (every cube row is in one group, its grid's
or the null group), so no ungrouped query is run. The values equal :func:`analytics.cube.read.quantiles_by_area`
and :func:`analytics.cube.read.histogram_quantile` of the per-period queries (``tests/test_cube_histograms.py``).
The overview reads no grid's handling time: :func:`period_totals` gives only the whole filter's quantiles of each
period, from the same rows summed per period and bin in the query (no grid join, no row per grid fetched).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np

from analytics.cube import read
from analytics.filters import Filters


@dataclass(frozen=True)
class PeriodQuantiles:
    """One period's quantiles: ``areas`` ``{grid_id: (median, p90)}`` for every grid with handled cases, and
    ``total`` ``(median, p90)`` of the whole filter (None, None without any), or None when it must be asked
    separately (an area filter: the grids' rows then hold only the area's cases)."""

    areas: dict[Any, tuple[float, float]]
    total: tuple[float | None, float | None] | None


def _source(i: int, suffix: str, monthly: bool) -> str:
    """Period ``i``'s histogram rows tagged ``period = i`` (parameters suffixed ``_i``)."""
    if monthly:
        return f"""SELECT {i} AS period, grid_id, kind, bin, cases FROM {read.MONTHLY_HISTOGRAM}
                   WHERE month >= $first_month_{i} AND month < $last_month_{i}
                   UNION ALL
                   SELECT {i} AS period, grid_id, kind, bin, cases FROM handling_histogram_by_kind
                   WHERE (day >= $start_day_{i} AND day < $first_month_{i})
                      OR (day >= $last_month_{i} AND day < $end_day_{i})"""
    return f"""SELECT {i} AS period, * FROM handling_histogram{suffix}
               WHERE day >= $start_day_{i} AND day < $end_day_{i}"""


GRID_NUMBERS = """grid_numbers AS (SELECT grid_id, (row_number() OVER (ORDER BY grid_id) - 1)::INTEGER AS grid_no
                                FROM grids WHERE grid_id IS NOT NULL)"""


def periods_histogram_sql(where: str, periods: int, suffix: str = "", monthly: bool = False) -> str:
    """Handling-time counts (``period``, ``grid_no``, ``bin``, ``cases``) per grid of ``periods`` periods for the
    filter ``where`` (cube rows aliased ``c``, grids ``g``), unsorted and, when ``monthly``, not summed (one row
    per roll-up row: a grid and bin may repeat, :func:`period_quantiles` adds them up); ``monthly`` as in
    :func:`analytics.cube.read.histogram_sql` (binds ``$start_day_<i>``, ``$end_day_<i>`` and, when monthly,
    ``$first_month_<i>``, ``$last_month_<i>`` for each period ``i``). ``grid_no`` is the grid's place in
    ``grids`` ordered by ``grid_id`` (:func:`grid_ids`), null for a row without a known grid: whole numbers
    cross to Python without a string per row."""
    _, join, _ = read._grouping("grid_id", where)
    source = "\nUNION ALL\n".join(_source(i, suffix, monthly) for i in range(periods))
    rows = f"FROM ({source}) c {join} LEFT JOIN grid_numbers n ON n.grid_id = c.grid_id WHERE {where}"
    if monthly:  # ~grids x bins x kinds rows a month: summed by the reader (np.bincount), not by a hash table
        return f"WITH {GRID_NUMBERS}\nSELECT c.period, n.grid_no, c.bin, c.cases {rows}"
    return f"""WITH {GRID_NUMBERS}
SELECT c.period, n.grid_no, c.bin, sum(c.cases)::BIGINT AS cases {rows} GROUP BY ALL"""


def periods_total_sql(where: str, periods: int, suffix: str = "", monthly: bool = False) -> str:
    """Handling-time counts (``period``, ``bin``, ``cases``) of the whole filter ``where`` (cube rows aliased
    ``c``, no grid join: a null grid counts as every other row) of ``periods`` periods, summed per period and bin
    (the sources and parameters of :func:`periods_histogram_sql`): the histogram the grid x bin matrix adds up to,
    without a row per grid."""
    source = "\nUNION ALL\n".join(_source(i, suffix, monthly) for i in range(periods))
    return f"SELECT c.period, c.bin, sum(c.cases)::BIGINT AS cases FROM ({source}) c WHERE {where} GROUP BY ALL"


def period_totals(
    con: duckdb.DuckDBPyConnection, f: Filters, periods: list[Filters], where: str, params: dict[str, Any]
) -> list[tuple[float | None, float | None]]:
    """Each period's whole-filter ``(median, p90)`` for the case filter ``where`` with its ``params`` (those of
    :func:`analytics.filters.case_filter_sql` for ``f``; the periods differ from ``f`` only in their dates), from
    one query summed per period and bin: :attr:`PeriodQuantiles.total` of :func:`period_quantiles` without the
    grids' rows (the overview reads no grid's handling time)."""
    suffix = read.table_suffix(f)
    monthly = suffix == "_by_kind" and read.MONTHLY_HISTOGRAM in read.cube_tables(con)
    sql = periods_total_sql(where, len(periods), suffix, monthly)
    bound = {**{k: v for k, v in params.items() if f"${k}" in sql}, **_period_params(periods, monthly)}
    arrays = con.cursor().execute(sql, bound).fetchnumpy()
    middles = read.bin_middles_hours(read.cube_settings_of(con))
    period, bins, cases = (np.asarray(arrays[name]) for name in ("period", "bin", "cases"))
    out = []
    for i in range(len(periods)):
        overall = np.bincount(
            bins[period == i].astype("int64"), weights=cases[period == i].astype("float64"), minlength=len(middles)
        ).astype("int64")  # whole counts below 2**53: exact
        used = np.flatnonzero(overall)
        pair = [
            read.histogram_quantile(used.tolist(), overall[used].tolist(), p, middles) for p in read.QUANTILE_POINTS
        ]
        out.append((pair[0], pair[1]))
    return out


def grid_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The grid ids in the order of ``grid_no`` (looked up once per cube connection)."""
    sql = "SELECT grid_id FROM grids WHERE grid_id IS NOT NULL ORDER BY grid_id"
    return read.remembered(con, "grid_ids", lambda: [r[0] for r in con.cursor().execute(sql).fetchall()])


def _period_params(periods: list[Filters], monthly: bool) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for i, p in enumerate(periods):
        params[f"start_day_{i}"], params[f"end_day_{i}"] = p.start, p.end
        if monthly:
            split = read.month_split(p.start, p.end)
            params[f"first_month_{i}"], params[f"last_month_{i}"] = split["first_month"], split["last_month"]
    return params


def matrix_quantiles(matrix: np.ndarray, middles: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Median and p90 of every row of a rows x bins count matrix (rows with at least one case), as
    :func:`analytics.cube.read.quantiles_by_area` computes them: each order statistic is the first bin whose
    running count exceeds its rank.

    Examples
    --------
    >>> matrix_quantiles(np.array([[0, 1, 2, 1], [0, 0, 5, 0]]), [0.0, 10.0, 20.0, 30.0])
    (array([20., 20.]), array([27., 20.]))
    """
    running = np.cumsum(matrix, axis=1)
    totals = running[:, -1]
    value_of = np.asarray(middles, dtype="float64")
    result = []
    for p in read.QUANTILE_POINTS:
        rank = (totals - 1) * p
        low, high = np.floor(rank), np.ceil(rank)
        at_low = value_of[np.argmax(running > low[:, None], axis=1)]
        at_high = value_of[np.argmax(running > high[:, None], axis=1)]
        result.append(at_low + (rank - low) * (at_high - at_low))
    return result[0], result[1]


def _quantiles_of(
    numbers: np.ndarray,
    bins: np.ndarray,
    cases: np.ndarray,
    names: list[str],
    width: int,
    middles: list[float],
    total: bool,
) -> PeriodQuantiles:
    """One period's rows (grid number, ``len(names)`` for no known grid; bin; cases; a grid and bin may repeat:
    their cases add up) read on a matrix of the grids x ``width`` bins."""
    at = numbers.astype("int64") * width + bins.astype("int64")
    weights = cases.astype("float64")  # whole counts below 2**53: exact
    counts = np.bincount(at, weights=weights, minlength=(len(names) + 1) * width)
    matrix = counts.reshape(len(names) + 1, width).astype("int64")
    seen = np.flatnonzero(np.bincount(numbers, minlength=len(names) + 1)[: len(names)])  # grids with rows
    median, p90 = matrix_quantiles(matrix[seen], middles)
    areas = {names[i]: (float(m), float(q)) for i, m, q in zip(seen.tolist(), median.tolist(), p90.tolist())}
    whole = None
    if total:
        overall = matrix.sum(axis=0)
        used = np.flatnonzero(overall)
        pair = [
            read.histogram_quantile(used.tolist(), overall[used].tolist(), p, middles) for p in read.QUANTILE_POINTS
        ]
        whole = (pair[0], pair[1])
    return PeriodQuantiles(areas, whole)


def period_quantiles(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    periods: list[Filters],
    where: str,
    params: dict[str, Any],
    whole: bool,
) -> list[PeriodQuantiles]:
    """Each period's per-grid quantiles for the grouped filter ``where`` with its ``params`` (those of
    :func:`analytics.filters.case_filter_sql` for ``f``; the periods differ from ``f`` only in their dates), from
    one query; ``whole`` (``where`` restricts no grid beyond the case filter) also each period's whole quantiles."""
    suffix = read.table_suffix(f)
    monthly = suffix == "_by_kind" and read.MONTHLY_HISTOGRAM in read.cube_tables(con)
    sql = periods_histogram_sql(where, len(periods), suffix, monthly)
    bound = {**{k: v for k, v in params.items() if f"${k}" in sql}, **_period_params(periods, monthly)}
    arrays = con.cursor().execute(sql, bound).fetchnumpy()
    names = grid_ids(con)
    numbers = np.ma.filled(arrays["grid_no"], len(names)).astype("int64")  # no known grid: the last row
    period = np.ma.filled(arrays["period"], -1)
    bins, cases = np.ma.filled(arrays["bin"], 0), np.ma.filled(arrays["cases"], 0)
    middles = read.bin_middles_hours(read.cube_settings_of(con))
    return [
        _quantiles_of(numbers[period == i], bins[period == i], cases[period == i], names, len(middles), middles, whole)
        for i in range(len(periods))
    ]

"""The hotspot analysis of a filter set: per-area values, Gi* classes and emerging classes (page and CLI share it).

Unlocated cases (no grid, or a location flag such as a placeholder point) are
excluded from the spatial statistics and counted, so the page can say how many.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from analytics import queries
from analytics.contiguity import Contiguity
from analytics.coverage import data_coverage
from analytics.filters import Filters, area_filter_sql, area_params, case_filter_sql, level_columns, period_params
from analytics.hotspots import contiguity_weights, emerging_hotspots, gi_star
from analytics.metrics import AREA_POPULATION

MEASURES = ("per_1000", "count")
PERMUTATIONS = 9999  # pseudo p-values down to 1e-4, so BH at 5 % can pass with a few hundred areas
PERMUTATION_LIMIT = 2000  # above this many areas: the normal approximation of Gi* (no permutation p can pass BH)
STEPS = ("day", "week", "month")


@dataclass(frozen=True)
class HotspotResult:
    table: pd.DataFrame  # one row per area
    excluded: int  # cases in P left out of the spatial statistics (unlocated)
    analysed: int  # cases in P that were analysed
    steps: int  # emerging-hotspot time steps (0 when too few)
    permutations: int  # 0 = normal approximation
    step: str = "month"  # the time step used (``auto`` resolved)
    no_population: int = 0  # areas left out of a per-1,000 analysis for want of a population
    start: dt.date | None = None  # the analysed period, clipped to the data coverage
    end: dt.date | None = None


def weights_for(con: duckdb.DuckDBPyConnection, level: str, scope=None) -> tuple[pd.DataFrame, Contiguity]:
    """Area geometries and their contiguity weights at a level (cache this per boundary set).

    With a ``scope`` only the granted areas take part (their neighbours outside it are not read).
    """
    geoms = queries.area_geometries(con, level, scope)
    return geoms, contiguity_weights(geoms)


def _located_counts(con, f: Filters, level: str, step: str | None) -> pd.DataFrame:
    id_col, _ = level_columns(level)
    where, params = case_filter_sql(f)
    bucket = f"date_trunc('{queries.grain_unit(step)}', c.reported_at)" if step else "NULL::TIMESTAMP"
    sql = f"""
        SELECT g.{id_col} AS area_id, {bucket} AS step, count(*) AS n
        FROM cases c JOIN grids g ON g.grid_id = c.grid_id
        WHERE c.reported_at >= $start AND c.reported_at < $end AND c.location_flag IS NULL AND {where}
        GROUP BY ALL"""
    return con.cursor().execute(sql, {**params, **period_params(f)}).df()


def excluded_cases(con: duckdb.DuckDBPyConnection, f: Filters) -> int:
    """Cases in P matching the filters (area aside) that have no usable location."""
    where, params = case_filter_sql(dataclasses.replace(f, level=None, area=None))
    sql = (
        f"SELECT count(*) FROM cases c WHERE c.reported_at >= $start AND c.reported_at < $end AND {where} "
        "AND (c.grid_id IS NULL OR c.location_flag IS NOT NULL)"
    )
    return int(con.cursor().execute(sql, {**params, **period_params(f)}).fetchone()[0])


def _population(con, level: str, f: Filters) -> pd.DataFrame:
    id_col, name_col = level_columns(level)
    sql = (
        f"SELECT {id_col} AS area_id, any_value({name_col}) AS area_name, {AREA_POPULATION} AS population "
        f"FROM grids g WHERE {id_col} IS NOT NULL AND {area_filter_sql(f, 'g')} GROUP BY 1"
    )
    return con.cursor().execute(sql, area_params(f)).df().set_index("area_id")


def population_known(con: duckdb.DuckDBPyConnection) -> bool:
    """True when at least one grid has a population (else per-1,000 rates cannot be computed anywhere)."""
    return bool(con.cursor().execute("SELECT count(*) FROM grids WHERE population > 0").fetchone()[0])


def _measure(counts: pd.Series | pd.DataFrame, population: pd.Series, measure: str) -> pd.Series | pd.DataFrame:
    """Counts, or per-1,000 rates (a frame's every column divided by the area's population)."""
    if measure == "count":
        return counts.astype(float)
    return counts.astype(float).div(population.where(population > 0), axis=0) * 1000


class HotspotImpossible(ValueError):
    """The analysis cannot run on this selection; ``reason`` is a stable key the page translates."""

    def __init__(self, reason: str, message: str, **values) -> None:
        super().__init__(message)
        self.reason, self.values = reason, values


def auto_step(start: dt.date, end: dt.date) -> str:
    """The time step for emerging hotspots over ``[start, end)``: months for half a year or more, weeks for
    six weeks or more, days otherwise (a few days of data still give daily steps).

    Examples
    --------
    >>> auto_step(dt.date(2025, 1, 1), dt.date(2026, 1, 1)), auto_step(dt.date(2025, 1, 1), dt.date(2025, 3, 1))
    ('month', 'week')
    >>> auto_step(dt.date(2025, 7, 28), dt.date(2025, 8, 1))
    'day'
    """
    days = (end - start).days
    return "month" if days >= 182 else "week" if days >= 42 else "day"


def _within_coverage(con, f: Filters) -> Filters:
    """``f`` with its period clipped to the data coverage (days without data are not zero counts)."""
    coverage = data_coverage(con)
    if coverage is None or not coverage.overlaps(f.start, f.end):
        raise HotspotImpossible("outside_coverage", "the period lies outside the data coverage")
    return dataclasses.replace(f, start=max(f.start, coverage.start), end=min(f.end, coverage.end))


def hotspot_analysis(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    level: str = "grid",
    step: str = "month",
    measure: str = "per_1000",
    geoms_weights=None,
    permutations: int | None = None,
    seed: int = 12345,
) -> HotspotResult:
    """Gi* over the whole period and emerging-hotspot classes over its steps, per area.

    ``f.kind`` defaults to ``demand``. The area filter restricts the analysis to the areas inside it, and
    the period is clipped to the data coverage. ``step="auto"`` picks :func:`auto_step` for that period.
    With ``per_1000``, areas without a known population are left out (never a rate of 0) and counted.
    ``permutations`` defaults to :data:`PERMUTATIONS`, or 0 (the normal approximation) above
    :data:`PERMUTATION_LIMIT` areas, where no permutation p-value could survive the FDR correction.
    Raises :class:`HotspotImpossible` (a ``ValueError``) saying why when the analysis cannot run.
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; expected one of {', '.join(MEASURES)}")
    if step not in (*STEPS, "auto"):
        raise ValueError(f"unknown step {step!r}; expected one of {', '.join((*STEPS, 'auto'))}")
    f = _within_coverage(con, f if f.kind else dataclasses.replace(f, kind="demand"))
    step = auto_step(f.start, f.end) if step == "auto" else step
    geoms, w = geoms_weights or weights_for(con, level)
    areas = _population(con, level, f)
    present = pd.Index(w.id_order)
    present = present[areas.index.get_indexer(present) >= 0]  # hash lookups (isin on arrow strings is slow)
    no_population = 0
    if measure == "per_1000":
        population = areas["population"].reindex(present)
        known = present[population.notna().to_numpy() & (population > 0).to_numpy()]
        no_population, present = len(present) - len(known), known
    ids = present.tolist()
    if len(ids) < 3:
        reason = "no_population" if no_population else "too_few_areas"
        raise HotspotImpossible(
            reason,
            "hotspots need at least 3 areas with boundaries (and a population for per-1,000 rates) in the selection",
            areas=len(ids),
            no_population=no_population,
        )
    if len(ids) < w.n:
        w = w.subset(ids)
    counts = _located_counts(con, f, level, step)
    counts = counts[pd.Index(ids).get_indexer(counts["area_id"]) >= 0]
    total = counts.groupby("area_id")["n"].sum().reindex(ids, fill_value=0)
    pop = areas["population"].reindex(ids)
    if permutations is None:
        permutations = PERMUTATIONS if len(ids) <= PERMUTATION_LIMIT else 0
    table = gi_star(_measure(total, pop, measure), w, permutations, seed)
    table = table.join(areas[["area_name", "population"]]).assign(cases=total)
    panel = counts.pivot_table(index="area_id", columns="step", values="n", aggfunc="sum", fill_value=0)
    panel = panel.reindex(index=ids, columns=_step_starts(f, step), fill_value=0)
    steps = panel.shape[1]
    if steps >= 4:
        rates = _measure(panel, pop, measure)
        table = table.join(emerging_hotspots(rates, w))
    else:
        table["emerging"] = "too_few_steps"
    table = table.reset_index().sort_values(["z"], ascending=False, kind="stable", na_position="last")
    result = table.reset_index(drop=True)
    return HotspotResult(
        result, excluded_cases(con, f), int(total.sum()), steps, permutations, step, no_population, f.start, f.end
    )


def _step_starts(f: Filters, step: str) -> pd.DatetimeIndex:
    """Every step of ``step`` overlapping the (coverage-clipped) period, also those without a case."""
    from analytics.trends import buckets

    return buckets(f.start, f.end, step)

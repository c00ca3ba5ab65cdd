"""The shared filter set of every page, as a frozen dataclass, and its SQL.

Values always travel as DuckDB parameters; identifiers (area level) only come
from the whitelist :data:`LEVEL_COLUMNS`. An unknown level raises ``ValueError``;
an unknown area, kind or category simply matches nothing.

Access control lives here too: ``Filters.scope`` (an :class:`analytics.access.scope.Scope`) is added to
every predicate built by :func:`case_filter_sql` and :func:`area_filter_sql`, so every query of a scoped
filter set reads only the granted areas. ``scope=None`` means unrestricted and is for trusted callers with
file access (the command line, tests). The app calls :func:`enforce_scope` at the start of every run:
from then on, in that thread, a filter set or area query without a scope matches nothing (deny by
default), so a page that forgot the scope shows no data instead of every area.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analytics.access.scope import Scope

LEVELS = ("district", "street", "community", "grid")
LEVEL_COLUMNS: dict[str, tuple[str, str]] = {
    "district": ("district_id", "district_name"),
    "street": ("street_id", "street_name"),
    "community": ("community_id", "community_name"),
    "grid": ("grid_id", "grid_name"),
}
KINDS = ("incident", "demand", "dispute")


_ENFORCED = threading.local()


def enforce_scope(on: bool = True) -> None:
    """In this thread, treat a missing scope as :meth:`Scope.nothing` (the app's script runs set it)."""
    _ENFORCED.on = on


def scope_enforced() -> bool:
    """Whether :func:`enforce_scope` is on in this thread (a worker thread doing a script's work takes it over)."""
    return bool(getattr(_ENFORCED, "on", False))


def effective_scope(scope: Scope | None) -> Scope | None:
    """``scope``, or when it is missing and enforcement is on, the scope that matches nothing."""
    if scope is None and getattr(_ENFORCED, "on", False):
        from analytics.access.scope import Scope

        return Scope.nothing()
    return scope


def scope_where(scope: Scope | None, grid_alias: str = "g") -> tuple[str, dict]:
    """Predicate on ``grids`` aliased ``grid_alias`` and its parameters for a scope (``TRUE`` when unrestricted)."""
    scope = effective_scope(scope)
    if scope is None or not scope.restricted:
        return "TRUE", {}
    return scope.sql(grid_alias), scope.params()


def level_columns(level: str) -> tuple[str, str]:
    """``(id column, name column)`` of ``grids`` for an area level; ``ValueError`` if unknown."""
    try:
        return LEVEL_COLUMNS[level]
    except KeyError:
        raise ValueError(f"unknown area level {level!r}; expected one of {', '.join(LEVELS)}") from None


@dataclass(frozen=True)
class Filters:
    """Period ``[start, end)`` and optional area, kind, category and source.

    ``level``/``area`` restrict to one area (e.g. ``level="street", area="330106001"``);
    ``level`` alone, or ``area=None``, means the whole city.
    """

    start: dt.date
    end: dt.date
    level: str | None = None
    area: str | None = None
    kind: str | None = None
    category_major: str | None = None
    category: str | None = None
    source: str | None = None
    scope: Scope | None = None

    def __post_init__(self) -> None:
        if self.level is not None:
            level_columns(self.level)
        if self.end < self.start:
            raise ValueError(f"period end {self.end} is before its start {self.start}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> Filters:
        """The previous period of equal length (period over period).

        A period of whole calendar months compares with the same number of months before it
        (December with November, a year with the year before); any other period with the same
        number of days before it.
        """
        if self.start.day == 1 and self.end.day == 1 and self.end > self.start:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
            return replace(self, start=months_before(self.start, months), end=self.start)
        return replace(self, start=self.start - (self.end - self.start), end=self.start)

    def year_earlier(self) -> Filters:
        """The same period one year earlier (year over year)."""
        return replace(self, start=_minus_year(self.start), end=_minus_year(self.end))


def months_before(day: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` before ``day`` (which is a first of month)."""
    total = day.year * 12 + day.month - 1 - months
    return dt.date(total // 12, total % 12 + 1, 1)


def _minus_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def area_filter_sql(f: Filters, grid_alias: str = "g") -> str:
    """Predicate on ``grids`` aliased ``grid_alias`` for the filter's area (``$area``) and scope, or ``TRUE``.

    Its parameters are those of :func:`case_filter_sql` (or :func:`area_params` alone).
    """
    where, _ = scope_where(f.scope, grid_alias)
    clauses = [] if where == "TRUE" else [where]
    if f.level is not None and f.area is not None:
        id_col, _ = level_columns(f.level)
        clauses.insert(0, f"{grid_alias}.{id_col} = $area")
    return " AND ".join(clauses) or "TRUE"


def area_params(f: Filters) -> dict:
    """The parameters :func:`area_filter_sql` refers to."""
    params: dict = scope_where(f.scope)[1]
    if f.level is not None and f.area is not None:
        params["area"] = str(f.area)
    return params


def case_filter_sql(f: Filters, alias: str = "c") -> tuple[str, dict]:
    """SQL predicate (without the period) for ``cases`` aliased ``alias``, and its parameters."""
    clauses: list[str] = ["TRUE"]
    params: dict = {}
    if f.level is not None and f.area is not None:
        id_col, _ = level_columns(f.level)
        if f.level == "grid":
            clauses.append(f"{alias}.grid_id = $area")
        else:
            clauses.append(f"{alias}.grid_id IN (SELECT grid_id FROM grids WHERE {id_col} = $area)")
        params["area"] = str(f.area)
    scope_sql, scope_params = scope_where(f.scope, "s")
    if scope_sql != "TRUE":
        clauses.append(f"{alias}.grid_id IN (SELECT s.grid_id FROM grids s WHERE {scope_sql})")
        params.update(scope_params)
    for column in ("kind", "category_major", "source"):
        value = getattr(f, column)
        if value is not None:
            clauses.append(f"{alias}.{column} = ${column}")
            params[column] = str(value)
    if f.category is not None:
        clauses.append(f"{alias}.category_code = $category")
        params["category"] = str(f.category)
    return " AND ".join(clauses), params


def period_params(f: Filters) -> dict:
    """``$start``/``$end`` as timestamps (midnight, local wall clock)."""
    return {"start": dt.datetime.combine(f.start, dt.time()), "end": dt.datetime.combine(f.end, dt.time())}

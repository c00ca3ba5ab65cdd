"""The areas a principal may see, as a predicate on ``grids`` (row-level security, deny by default).

A :class:`Scope` is carried by :class:`analytics.filters.Filters`; :func:`analytics.filters.case_filter_sql`
and :func:`analytics.filters.area_filter_sql` add its predicate to every query, so a page, map, export,
briefing, hotspot analysis or alert built from a scoped filter set only ever reads the scoped rows.

The rule for comparisons outside the scope:

* ranks, medians, classes and hotspot statistics are computed **among the areas the principal may see**
  (the scope restricts the rows before any aggregate is taken);
* a city-wide figure (the median of every area of a level) is shown only when the scope's
  ``city_comparison`` is true (admins and leaders); it is a single number per metric, never a row of
  another area.

An empty scope (no areas, not the whole city) matches nothing: a user or kiosk link without any granted
area sees no data at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analytics.filters import LEVEL_COLUMNS, LEVELS

AREA_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class Scope:
    """Granted areas as ``(level, area_id)`` pairs, or the whole city.

    Examples
    --------
    >>> Scope.parse(["street:330191001"]).sql("g")
    'list_contains($scope_street, g.street_id)'
    >>> Scope.nothing().sql("g"), Scope.city().sql("g")
    ('FALSE', 'TRUE')
    """

    areas: tuple[tuple[str, str], ...] = ()
    whole_city: bool = False
    city_comparison: bool = False

    def __post_init__(self) -> None:
        for level, area in self.areas:
            if level not in LEVEL_COLUMNS:
                raise ValueError(f"unknown area level {level!r} in a scope; expected one of {', '.join(LEVELS)}")
            if not AREA_ID.match(str(area)):
                raise ValueError(f"area id {area!r} in a scope has characters other than letters, digits, _ . : -")

    @classmethod
    def city(cls) -> Scope:
        """Everything, with city-wide comparisons."""
        return cls((), True, True)

    @classmethod
    def nothing(cls) -> Scope:
        """No rows at all (the default of anyone without a grant)."""
        return cls()

    @classmethod
    def parse(cls, grants, city_comparison: bool = False) -> Scope:
        """Scope from grant strings ``"city"`` or ``"<level>:<area id>"`` (``ValueError`` on anything else)."""
        areas = []
        for grant in grants or ():
            text = str(grant).strip()
            if text == "city":
                return cls((), True, city_comparison)
            level, sep, area = text.partition(":")
            if not sep or not area:
                raise ValueError(f"area grant {text!r} is not 'city' or '<level>:<area id>'")
            areas.append((level, area))
        return cls(tuple(sorted(set(areas))), False, city_comparison)

    @property
    def restricted(self) -> bool:
        return not self.whole_city

    def by_level(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for level, area in self.areas:
            out.setdefault(level, []).append(area)
        return out

    def sql(self, grid_alias: str = "g") -> str:
        """Predicate on ``grids`` aliased ``grid_alias`` (parameters from :meth:`params`)."""
        if self.whole_city:
            return "TRUE"
        if not self.areas:
            return "FALSE"
        parts = [
            f"list_contains($scope_{level}, {grid_alias}.{LEVEL_COLUMNS[level][0]})"
            for level in LEVELS
            if level in self.by_level()
        ]
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def params(self) -> dict[str, list[str]]:
        """The ``$scope_<level>`` list parameters :meth:`sql` refers to."""
        if self.whole_city:
            return {}
        return {f"scope_{level}": ids for level, ids in self.by_level().items()}

    def grants(self) -> list[str]:
        return ["city"] if self.whole_city else [f"{level}:{area}" for level, area in self.areas]

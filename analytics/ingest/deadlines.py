"""Deadline rules (处置时限): derive ``due_at`` where the source gives none.

Most exports carry no deadline, and without one every closure is "on time". A rule gives a handling
deadline per category (code or name) or per major class, in working or calendar hours or days; the
import counts it from ``filed_at`` (which is ``reported_at`` when the source has no filing time) with
the working calendar (:class:`analytics.workcal.WorkCalendar`). A deadline the source gives always wins.

Rules come from the configuration's ``[deadlines]`` and the mapping file's ``[deadlines]`` (the
mapping's entries win), in this order of precedence for one case:

1. the source's own ``due_at``;
2. ``categories``: by category code, then by category name (matched ignoring case and spaces);
3. ``reference``: a reference table of ``data/reference`` (e.g. ``gbt47678_5``: GB/T 47678.5 categories)
   or a CSV path with ``category_code``, ``category_name``, ``deadline_hours``, ``deadline_basis``;
4. ``classes``: by major class (``category_major``);
5. ``default``: every other case.

Examples
--------
>>> parse_duration("4 working days", "x"), parse_duration("48 calendar hours", "x")
((4.0, 'working', 'days'), (48.0, 'calendar', 'hours'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.ingest.errors import IngestError
from analytics.store import DATA_DIR
from analytics.workcal import WorkCalendar

REFERENCE_DIR = DATA_DIR / "reference"
KEYS = {"reference", "default", "categories", "classes"}
UNIT_WORDS = {
    "working hours": ("working", "hours"),
    "working hour": ("working", "hours"),
    "working days": ("working", "days"),
    "working day": ("working", "days"),
    "calendar hours": ("calendar", "hours"),
    "calendar hour": ("calendar", "hours"),
    "calendar days": ("calendar", "days"),
    "calendar day": ("calendar", "days"),
    "工作小时": ("working", "hours"),
    "工作时": ("working", "hours"),
    "工作日": ("working", "days"),
    "小时": ("calendar", "hours"),
    "自然日": ("calendar", "days"),
    "天": ("calendar", "days"),
}
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(.+?)\s*$")


def parse_duration(text, where: str) -> tuple[float, str, str]:
    """``(amount, basis, unit)`` of ``"4 working days"``, ``"5 working hours"``, ``"48 calendar hours"``,
    ``"2 calendar days"`` (or 工作日 / 工作小时 / 小时 / 自然日); anything else is an :class:`IngestError`."""
    match = DURATION.match(str(text))
    unit = UNIT_WORDS.get(match.group(2).lower()) if match else None
    if unit is None or float(match.group(1)) <= 0:
        raise IngestError(
            f'{where}: {text!r} is not a deadline; write e.g. "4 working days", "5 working hours", '
            '"48 calendar hours" or "2 calendar days"'
        )
    return float(match.group(1)), *unit


@dataclass(frozen=True)
class Rule:
    """One deadline: hours of working or calendar time, and where it came from (for the report)."""

    hours: float
    basis: str
    source: str


@dataclass(frozen=True)
class DeadlineRules:
    categories: dict[str, Rule] = field(default_factory=dict)  # lower-cased code or name -> rule
    reference: dict[str, Rule] = field(default_factory=dict)
    classes: dict[str, Rule] = field(default_factory=dict)
    default: Rule | None = None
    reference_name: str | None = None

    def __bool__(self) -> bool:
        return bool(self.categories or self.reference or self.classes or self.default)


def _rule(text, where: str, window_hours: float, source: str) -> Rule:
    amount, basis, unit = parse_duration(text, where)
    per_day = window_hours if basis == "working" else 24.0
    return Rule(amount * per_day if unit == "days" else amount, basis, source)


def _key(value) -> str:
    return str(value).strip().lower()


def reference_path(name: str) -> Path:
    """``data/reference/categories_<name>.csv`` or ``<name>_taxonomy.csv``, or a CSV path."""
    for candidate in (REFERENCE_DIR / f"categories_{name}.csv", REFERENCE_DIR / f"{name}.csv", Path(name)):
        if candidate.suffix == ".csv" and candidate.exists():
            return candidate
    shipped = sorted(p.stem for p in REFERENCE_DIR.glob("*.csv"))
    raise IngestError(f"[deadlines] reference {name!r}: no such table; shipped: {', '.join(shipped)}")


def read_reference(name: str) -> dict[str, Rule]:
    """Category code and name -> deadline of a reference table (rows without a deadline are skipped)."""
    path = reference_path(name)
    table = pd.read_csv(path, dtype=str)
    needed = {"category_code", "category_name", "deadline_hours", "deadline_basis"}
    if not needed <= set(table.columns):
        raise IngestError(f"{path.name}: a deadline reference needs the columns {', '.join(sorted(needed))}")
    rules: dict[str, Rule] = {}
    for row in table.dropna(subset=["deadline_hours", "deadline_basis"]).itertuples(index=False):
        if row.deadline_basis not in ("working", "calendar"):
            raise IngestError(f"{path.name}: deadline_basis {row.deadline_basis!r} is not working or calendar")
        rule = Rule(float(row.deadline_hours), row.deadline_basis, f"reference {path.stem}")
        for key in (row.category_code, row.category_name):
            if isinstance(key, str) and key.strip():
                rules.setdefault(_key(key), rule)
    return rules


def parse_rules(*sections: dict, window_hours: float, origins: tuple[str, ...] = ()) -> DeadlineRules:
    """Rules from ``[deadlines]`` sections, later sections winning key by key (configuration, then mapping)."""
    categories: dict[str, Rule] = {}
    classes: dict[str, Rule] = {}
    default, reference_name = None, None
    for i, section in enumerate(sections):
        origin = origins[i] if i < len(origins) else "[deadlines]"
        unknown = sorted(set(section) - KEYS)
        if unknown:
            raise IngestError(f"{origin} [deadlines]: unknown key(s) {', '.join(unknown)}; allowed: {sorted(KEYS)}")
        for name, target in (("categories", categories), ("classes", classes)):
            table = section.get(name, {})
            if not isinstance(table, dict):
                raise IngestError(f'{origin} [deadlines.{name}]: expected a table of name = "N working days"')
            for key, text in table.items():
                target[_key(key)] = _rule(text, f"{origin} [deadlines.{name}] {key}", window_hours, name)
        if section.get("default"):
            default = _rule(section["default"], f"{origin} [deadlines] default", window_hours, "default")
        if section.get("reference"):
            reference_name = str(section["reference"])
    reference = read_reference(reference_name) if reference_name else {}
    return DeadlineRules(categories, reference, classes, default, reference_name)


def _lookup(keys: pd.Series, table: dict[str, Rule]) -> pd.Series:
    """The rule per case (object Series, None where no key matches)."""
    if not table:
        return pd.Series(None, index=keys.index, dtype=object)
    return keys.str.strip().str.lower().map(table).astype(object)


def apply_rules(cases: pd.DataFrame, rules: DeadlineRules, cal: WorkCalendar) -> dict:
    """Fill ``due_at`` where it is missing from the first matching rule; flag working-time deadlines that
    cross a year the calendar does not know (``deadline_calendar_unknown``). Returns counts per rule source
    and the per-category rule (``by_category``: frame of kind, category_code, category_name,
    category_major, hours, basis) for the ``categories`` table."""
    given = cases["due_at"].notna()
    chosen = pd.Series(None, index=cases.index, dtype=object)
    for keys, table in (
        (cases["category_code"], rules.categories),
        (cases["category_name"], rules.categories),
        (cases["category_code"], rules.reference),
        (cases["category_name"], rules.reference),
        (cases["category_major"], rules.classes),
    ):
        chosen = chosen.where(chosen.notna(), _lookup(keys.astype("string"), table))
    if rules.default is not None:
        chosen = chosen.where(chosen.notna(), rules.default)
    start = pd.to_datetime(cases["filed_at"]).fillna(pd.to_datetime(cases["reported_at"]))
    derive = ~given & chosen.notna() & start.notna()
    counts = {"from_source": int(given.sum()), "without": int((~given & ~derive).sum())}
    empty = pd.DataFrame(columns=["kind", "category_code", "category_name", "category_major", "hours", "basis"])
    if not derive.any():
        return {**counts, "derived": {}, "uncovered": [], "by_category": empty}
    picked = chosen[derive]
    hours = pd.Series([r.hours for r in picked], index=picked.index, dtype=float)
    basis = pd.Series([r.basis for r in picked], index=picked.index, dtype=object)
    due = cal.due_at(start[derive], hours, basis)
    cases.loc[derive, "due_at"] = due.to_numpy("datetime64[us]")
    working = basis == "working"
    uncovered = _flag_uncovered(cases, start[derive][working], due[working], cal)
    sources = pd.Series([r.source for r in picked], index=picked.index).value_counts()
    by_category = cases.loc[derive, ["kind", "category_code", "category_name", "category_major"]].assign(
        hours=hours, basis=basis
    )
    return {**counts, "derived": sources.to_dict(), "uncovered": uncovered, "by_category": by_category}


def _flag_uncovered(cases: pd.DataFrame, start: pd.Series, due: pd.Series, cal: WorkCalendar) -> list[int]:
    """Mark cases whose working-time deadline starts or ends in a year the calendar does not know."""
    if start.empty or cal.covered_years is None:
        return []
    known = np.array(sorted(cal.covered_years))
    start_year = start.dt.year.to_numpy()
    due_year = pd.to_datetime(due).dt.year.to_numpy()
    bad = ~np.isin(start_year, known) | ~np.isin(due_year, known)
    if not bad.any():
        return []
    index = start.index[bad]
    flags = cases.loc[index, "quality_flags"]
    cases.loc[index, "quality_flags"] = np.where(
        flags.isna(), "deadline_calendar_unknown", flags.astype(str) + ",deadline_calendar_unknown"
    )
    return sorted({int(y) for y in np.concatenate([start_year[bad], due_year[bad]]) if y not in known})


def report_note(counts: dict, label: str) -> str:
    """One line for the validation report: where the deadlines came from."""
    derived = counts["derived"]
    parts = ", ".join(f"{n:,} by {source}" for source, n in sorted(derived.items()))
    text = (
        f"deadlines ({label}): {counts['from_source']:,} from the source, "
        f"{sum(derived.values()):,} derived from rules{f' ({parts})' if parts else ''}, "
        f"{counts['without']:,} without a deadline"
    )
    if counts["uncovered"]:
        years = ", ".join(str(y) for y in counts["uncovered"])
        text += f"; working-time deadlines in {years} use a calendar without that year's holidays (flagged)"
    return text

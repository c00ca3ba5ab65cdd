"""Mapping files: which source column feeds which canonical column, and how values translate.

A preset is simply a mapping file shipped in ``data/mappings/NAME.toml``; a user's
own file is read by the same code. The format is documented in ``docs/import.md``.

Examples
--------
>>> m = load_mapping("boston311")
>>> m.columns["case_id"], m.timezone
(('CASE_ENQUIRY_ID',), 'America/New_York')
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from analytics.ingest.coords import SYSTEMS
from analytics.ingest.errors import IngestError
from analytics.store import DATA_DIR

PRESETS_DIR = DATA_DIR / "mappings"
TIME_COLUMNS = ("reported_at", "filed_at", "dispatched_at", "handled_at", "closed_at", "due_at", "updated_at")
BOOL_COLUMNS = ("self_handled", "callback_valid", "callback_contacted", "callback_solved")
TEXT_COLUMNS = (
    "case_id",
    "kind",
    "category_code",
    "category_name",
    "category_major",
    "source",
    "grid_id",
    "status",
    "department",
    "department_name",
    "reporter_worker_id",
    "resolution_level",
    "satisfaction",
    "quality_flags",
    "description",
)
NUMBER_COLUMNS = ("lon", "lat", "rework_count", "redispatch_count")
MAPPABLE = TEXT_COLUMNS + TIME_COLUMNS + BOOL_COLUMNS + NUMBER_COLUMNS
SECTIONS = {"dataset", "columns", "constants", "times", "values", "transforms", "location", "rules", "deadlines"}
DATASET_KEYS = {"name", "city_name", "city_name_en", "timezone", "encoding", "delimiter", "null_values"}


@dataclass(frozen=True)
class ValueMap:
    """Translate source values (matched ignoring case and surrounding spaces) to canonical ones."""

    table: dict[str, str]
    default: str | None = None  # for values not in the table; None keeps the source value
    column: tuple[str, ...] = ()  # read another source column than ``[columns]`` names


@dataclass(frozen=True)
class Transform:
    """Derive a value from the mapped text: split on ``split`` and keep part ``part``."""

    split: str
    part: int = 0


@dataclass(frozen=True)
class Mapping:
    name: str
    columns: dict[str, tuple[str, ...]]
    city_name: str | None = None
    city_name_en: str | None = None
    timezone: str = "UTC"
    encoding: str | None = None
    delimiter: str | None = None
    null_values: tuple[str, ...] = ()
    constants: dict[str, str] = field(default_factory=dict)
    time_formats: dict[str, tuple[str, ...]] = field(default_factory=dict)
    default_time_format: tuple[str, ...] = ("iso",)
    values: dict[str, ValueMap] = field(default_factory=dict)
    transforms: dict[str, Transform] = field(default_factory=dict)
    placeholders: tuple[tuple[float, float], ...] = ()
    coords: str = "wgs84"
    closed_at_requires_status: tuple[str, ...] = ()
    deadlines: dict = field(default_factory=dict)  # [deadlines]: see analytics.ingest.deadlines
    origin: str = ""  # preset name or mapping file name, recorded in meta

    def formats_for(self, column: str) -> tuple[str, ...]:
        return self.time_formats.get(column, self.default_time_format)

    def with_overrides(self, **changes) -> Mapping:
        """A copy with the non-None ``changes`` applied (``timezone``, ``coords``, ``city_name`` …)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def match_column(candidates: tuple[str, ...], available: list[str]) -> str | None:
    """The source column for a mapping's ``candidates``: the first exact match, else the first candidate that
    matches exactly one column ignoring case and surrounding spaces (``srnumber`` finds ``SRNumber``); None
    when nothing matches. Two columns differing only in case are ambiguous: :class:`IngestError`.

    Examples
    --------
    >>> match_column(("srnumber",), ["SRNumber", "Status"])
    'SRNumber'
    """
    present = set(available)
    exact = next((c for c in candidates if c in present), None)
    if exact is not None:
        return exact
    folded: dict[str, list[str]] = {}
    for name in available:
        folded.setdefault(str(name).strip().casefold(), []).append(name)
    for candidate in candidates:
        hits = folded.get(candidate.strip().casefold(), [])
        if len(hits) > 1:
            raise IngestError(
                f"column {candidate!r} matches {' and '.join(repr(h) for h in hits)} ignoring case; "
                "name the exact column in the mapping"
            )
        if hits:
            return hits[0]
    return None


def list_presets() -> list[str]:
    """Names of the shipped presets (``data/mappings/*.toml``)."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.toml"))


def _names(value, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise IngestError(f"{where}: expected a column name or a list of names, got {value!r}")


def _check_keys(found, allowed, where: str) -> None:
    unknown = sorted(set(found) - set(allowed))
    if unknown:
        raise IngestError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _value_maps(section: dict, origin: str) -> dict[str, ValueMap]:
    _check_keys(section, MAPPABLE, f"{origin} [values]")
    maps = {}
    for target, spec in section.items():
        where = f"{origin} [values.{target}]"
        if not isinstance(spec, dict):
            raise IngestError(f"{where}: expected a table with `map` and optional `default`, `column`")
        _check_keys(spec, {"map", "default", "column"}, where)
        table = {str(k).strip().lower(): str(v) for k, v in spec.get("map", {}).items()}
        column = _names(spec["column"], where) if "column" in spec else ()
        maps[target] = ValueMap(table, spec.get("default"), column)
    return maps


def _times(section: dict, origin: str) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    _check_keys(section, {"format", "formats"}, f"{origin} [times]")
    default = _names(section.get("format", "iso"), f"{origin} [times] format")
    formats = section.get("formats", {})
    _check_keys(formats, TIME_COLUMNS, f"{origin} [times.formats]")
    return default, {k: _names(v, f"{origin} [times.formats] {k}") for k, v in formats.items()}


def _location(section: dict, origin: str) -> tuple[tuple[tuple[float, float], ...], str]:
    _check_keys(section, {"placeholders", "coords"}, f"{origin} [location]")
    coords = section.get("coords", "wgs84")
    if coords not in SYSTEMS:
        raise IngestError(f"{origin} [location] coords: {coords!r} is not one of {', '.join(SYSTEMS)}")
    pairs = section.get("placeholders", [])
    if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
        raise IngestError(f"{origin} [location] placeholders: expected [[lat, lon], ...]")
    return tuple((float(a), float(b)) for a, b in pairs), coords


def _deadlines(section, origin: str) -> dict:
    """``[deadlines]`` checked now (keys and durations), applied by the import."""
    from analytics.ingest.deadlines import parse_rules

    if not isinstance(section, dict):
        raise IngestError(f"{origin} [deadlines]: expected a table")
    parse_rules(section, window_hours=8.0, origins=(origin,))
    return dict(section)


def parse_mapping(data: dict, origin: str) -> Mapping:
    """Validate a parsed TOML mapping and build a :class:`Mapping` (precise errors name the key)."""
    _check_keys(data, SECTIONS, origin)
    dataset = data.get("dataset", {})
    _check_keys(dataset, DATASET_KEYS, f"{origin} [dataset]")
    columns_section = data.get("columns", {})
    _check_keys(columns_section, MAPPABLE, f"{origin} [columns]")
    columns = {k: _names(v, f"{origin} [columns] {k}") for k, v in columns_section.items()}
    constants = {k: str(v) for k, v in data.get("constants", {}).items()}
    _check_keys(constants, MAPPABLE, f"{origin} [constants]")
    for required in ("case_id", "reported_at"):
        if required not in columns:
            raise IngestError(f"{origin}: [columns] must name the source column of `{required}`")
    default_format, formats = _times(data.get("times", {}), origin)
    transforms = {}
    for target, spec in data.get("transforms", {}).items():
        _check_keys([target], MAPPABLE, f"{origin} [transforms]")
        _check_keys(spec, {"split", "part"}, f"{origin} [transforms.{target}]")
        transforms[target] = Transform(str(spec["split"]), int(spec.get("part", 0)))
    rules = data.get("rules", {})
    _check_keys(rules, {"closed_at_requires_status"}, f"{origin} [rules]")
    placeholders, coords = _location(data.get("location", {}), origin)
    return Mapping(
        name=str(dataset.get("name", Path(origin).stem)),
        columns=columns,
        city_name=dataset.get("city_name"),
        city_name_en=dataset.get("city_name_en"),
        timezone=str(dataset.get("timezone", "UTC")),
        encoding=dataset.get("encoding"),
        delimiter=dataset.get("delimiter"),
        null_values=tuple(dataset.get("null_values", ())),
        constants=constants,
        time_formats=formats,
        default_time_format=default_format,
        values=_value_maps(data.get("values", {}), origin),
        transforms=transforms,
        placeholders=placeholders,
        coords=coords,
        closed_at_requires_status=tuple(rules.get("closed_at_requires_status", ())),
        deadlines=_deadlines(data.get("deadlines", {}), origin),
        origin=origin,
    )


def load_mapping(name_or_path: str | Path) -> Mapping:
    """A preset by name (``boston311``) or a mapping file by path."""
    path = Path(name_or_path)
    if not path.suffix and (PRESETS_DIR / f"{name_or_path}.toml").exists():
        path = PRESETS_DIR / f"{name_or_path}.toml"
        origin = f"preset {name_or_path}"
    elif path.exists():
        origin = path.name
    else:
        raise IngestError(f"unknown preset or mapping file {str(name_or_path)!r}; presets: {', '.join(list_presets())}")
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise IngestError(f"{path.name} is not valid TOML: {exc}") from None
    return parse_mapping(data, origin)


def suggest_preset(columns: list[str]) -> str | None:
    """The first preset whose id and report-time columns are both among ``columns`` (or None)."""
    for name in list_presets():
        mapping = load_mapping(name)
        try:
            if all(match_column(mapping.columns[k], columns) for k in ("case_id", "reported_at")):
                return name
        except IngestError:  # ambiguous columns: not this preset
            continue
    return None

"""Apply a :class:`~analytics.ingest.mapping.Mapping` to a file read as text.

The mapping becomes one SQL statement (built by the small ``*_sql`` functions
below) that DuckDB runs over the file's Arrow table: trimming, null values,
transforms, value maps, constants, time parsing, numbers and booleans, the
lifecycle defaults and the reject reason of each row. Identifiers are positional
(``c0``, ``c1`` …) and every value from a mapping file is an escaped SQL literal.

The result has every canonical ``cases`` column (plus ``department_name``), typed,
with ``quality_flags`` (the source's own, ``unparseable_<column>`` for a time that
was given but could not be read, ``closed_before_reported``, ``closed_within_10min``)
and a reject reason per row where the row cannot become a case (no id, no or an
unparseable report time, an unknown kind). Duplicates are judged later, across files.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import pyarrow as pa

from analytics.ingest.errors import IngestError
from analytics.ingest.mapping import BOOL_COLUMNS, TEXT_COLUMNS, TIME_COLUMNS, Mapping, ValueMap, match_column
from analytics.ingest.readers import CaseFile
from analytics.ingest.times import check_timezone, format_sql

KINDS = ("incident", "demand", "dispute")
TRUE_WORDS = ("true", "t", "yes", "y", "1", "是")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否")
REQUIRED = ("case_id", "reported_at")


@dataclass
class MappedFile:
    """Canonical columns of one file (index = position in the file), reject reasons and notes."""

    cases: pd.DataFrame
    reject_reason: pd.Series
    notes: list[str] = field(default_factory=list)
    used_columns: dict[str, str] = field(default_factory=dict)  # canonical -> source column


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def resolve_columns(mapping: Mapping, available: list[str], label: str) -> tuple[dict[str, str], list[str]]:
    """Canonical → source column actually present (first candidate that exists, else one matching it
    ignoring case: :func:`~analytics.ingest.mapping.match_column`), and notes on the rest."""
    used, notes = {}, []
    for target, candidates in mapping.columns.items():
        found = match_column(candidates, available)
        if found is not None:
            used[target] = found
            if found not in candidates:
                notes.append(f"{label}: column {found!r} used for `{target}` (the mapping says {candidates[0]!r})")
        elif target in REQUIRED:
            raise IngestError(
                f"{label}: the column for `{target}` ({' or '.join(candidates)}) is not in the "
                f"file; its columns are: {', '.join(available)}"
            )
        else:
            notes.append(f"{label}: no column {' or '.join(repr(c) for c in candidates)} for `{target}`; left empty")
    return used, notes


# The code points DuckDB's ``trim`` removes at either end (every code point was tried: the Unicode space
# separators); a text that neither begins nor ends with one is its own trim.
TRIMMED_CODE_POINTS = (32, 160, 5760, *range(8192, 8203), 8239, 8287, 12288)


def trimmed_sql(column: str) -> str:
    """``nullif(trim(column), '')``, with ``trim`` called only where it can change something.

    DuckDB's ``trim`` removes Unicode space separators (``' '``, U+00A0, U+3000 …; not tabs or line
    breaks) and copies every value it is given, which made it the mapping's most expensive step. A
    value whose first and last characters are printable ASCII other than a space has nothing to trim
    and is kept as it is; so is a value whose first and last code points are not among
    :data:`TRIMMED_CODE_POINTS` (a Chinese text: ``trim`` cost ~1.2 CPU s per million descriptions,
    this check ~0.35). Every other value (and an empty one) goes through ``trim``, so the result is the
    same for every text (``tests/test_ingest_mapping.py`` checks every code point at either end).
    """
    plain = f"ascii({column}) BETWEEN 33 AND 127 AND ascii({column}[-1]) BETWEEN 33 AND 127"
    spaces = ", ".join(str(c) for c in TRIMMED_CODE_POINTS)
    unspaced = (
        f"unicode({column}) > 0 AND unicode({column}) NOT IN ({spaces}) "
        f"AND unicode(right({column}, 1)) NOT IN ({spaces})"
    )
    return f"CASE WHEN {plain} OR ({unspaced}) THEN {column} ELSE nullif(trim({column}), '') END"


# PostgreSQL types whose text output (``DateStyle`` ISO) is never empty and never begins or ends with a space,
# and those of them whose text is a date or a timestamp without a zone (a ``timestamp with time zone`` is
# read as one: the sync casts it to the city's wall-clock time in the ``COPY``).
PLAIN_TIME_TYPES = frozenset({"timestamp without time zone", "timestamp with time zone", "date"})
PLAIN_TYPES = PLAIN_TIME_TYPES | frozenset(
    {"smallint", "integer", "bigint", "real", "double precision", "numeric", "boolean"}
)


def clean_sql(column: str, null_values: tuple[str, ...], trim: bool = True) -> str:
    """Trimmed text (as it is without ``trim``), NULL when empty or one of the mapping's null values."""
    text = trimmed_sql(column) if trim else column
    if not null_values:
        return text
    return f"CASE WHEN coalesce({text}, '') IN ({', '.join(lit(v) for v in null_values)}) THEN NULL ELSE {text} END"


def value_map_sql(text: str, vmap: ValueMap) -> str:
    """Translate with a value map (keys match case-insensitively); missing values stay missing."""
    fallback = lit(vmap.default) if vmap.default is not None else text
    whens = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in sorted(vmap.table.items()))
    mapped = f"CASE lower({text}) {whens} ELSE {fallback} END" if whens else fallback
    return f"CASE WHEN {text} IS NULL THEN NULL ELSE {mapped} END"


def text_sql(target: str, mapping: Mapping, columns: dict[str, str], sources: dict[str, str]) -> str | None:
    """The text of one canonical column before typing (None when the mapping gives nothing).

    ``columns`` maps canonical names, ``sources`` source names, to the cleaned SQL columns.
    """
    text = columns.get(target)
    transform = mapping.transforms.get(target)
    if text is not None and transform is not None:
        index = transform.part + 1 if transform.part >= 0 else transform.part
        text = f"nullif(trim(string_split({text}, {lit(transform.split)})[{index}]), '')"
    vmap = mapping.values.get(target)
    if vmap is not None:
        source = next((sources[c] for c in vmap.column if c in sources), None) or text
        if source is not None:
            text = value_map_sql(source, vmap)
        elif vmap.default is not None:
            text = lit(vmap.default)
    if target in mapping.constants:
        text = f"coalesce({text}, {lit(mapping.constants[target])})" if text else lit(mapping.constants[target])
    return text


def typed_sql(mapping: Mapping, texts: dict[str, str], plain_times: frozenset[str] = frozenset()) -> list[str]:
    """SELECT items of the typed columns, reading the ``t_<name>`` texts.

    ``plain_times`` names time columns whose text is a database's own output of a date or a timestamp
    without a zone (``2026-11-27 23:57:48``, ``2026-11-27``): the ``iso`` format of such a text is the
    plain cast (:func:`~analytics.ingest.times.format_sql` gives the same: the offset pattern cannot match
    it), so the cheap test and the regular expression before it are skipped."""
    items = []
    for name in TEXT_COLUMNS:
        items.append(f"t_{name} AS {name}" if name in texts else f"NULL::VARCHAR AS {name}")
    for name in TIME_COLUMNS:
        if name in texts:
            formats = [
                f'TRY_CAST("t_{name}" AS TIMESTAMP)'
                if fmt == "iso" and name in plain_times
                else format_sql(f"t_{name}", fmt, mapping.timezone)
                for fmt in mapping.formats_for(name)
            ]
            items.append(f"coalesce({', '.join(formats)})::TIMESTAMP AS {name}")
        else:
            items.append(f"NULL::TIMESTAMP AS {name}")
    for name in ("lon", "lat"):
        items.append(f"TRY_CAST(t_{name} AS DOUBLE) AS {name}" if name in texts else f"NULL::DOUBLE AS {name}")
    rework = "coalesce(round(TRY_CAST(t_rework_count AS DOUBLE))::INTEGER, 0)" if "rework_count" in texts else "0"
    items.append(f"{rework} AS rework_count")
    # 改派 count: NULL when the source does not say (first-dispatch accuracy then leaves the case out)
    redispatch = "round(TRY_CAST(t_redispatch_count AS DOUBLE))::INTEGER" if "redispatch_count" in texts else "NULL"
    items.append(f"{redispatch}::INTEGER AS redispatch_count")
    words = lambda ws: ", ".join(lit(w) for w in ws)  # noqa: E731
    for name in BOOL_COLUMNS:
        items.append(
            f"CASE WHEN lower(t_{name}) IN ({words(TRUE_WORDS)}) THEN true "
            f"WHEN lower(t_{name}) IN ({words(FALSE_WORDS)}) THEN false END AS {name}"
            if name in texts
            else f"NULL::BOOLEAN AS {name}"
        )
    bad = [
        f"CASE WHEN t_{n} IS NOT NULL AND {n} IS NULL THEN 'unparseable_{n}' END"
        for n in TIME_COLUMNS
        if n in texts and n != "reported_at"
    ]
    items.append(
        f"nullif(concat_ws(',', {', '.join(bad)}), '') AS parse_flags" if bad else "NULL::VARCHAR AS parse_flags"
    )
    items.append("t_reported_at AS reported_text")
    return items


def lifecycle_sql(mapping: Mapping) -> str:
    """Status from the closure where the source has none; filed = reported unless given; the rule that
    a closure time needs a closed status."""
    closed = "closed_at"
    if mapping.closed_at_requires_status:
        allowed = ", ".join(lit(s.lower()) for s in mapping.closed_at_requires_status)
        closed = f"CASE WHEN lower(status) IN ({allowed}) THEN closed_at END"
    return f"""
        SELECT * REPLACE (
            lower(kind) AS kind,
            lower(coalesce(status, CASE WHEN closed_at IS NOT NULL THEN 'closed' ELSE 'filed' END)) AS status,
            coalesce(filed_at, reported_at) AS filed_at,
            {closed} AS closed_at)
        FROM typed"""


def _new_flag(flag: str, condition: str) -> str:
    present = f"list_contains(string_split(coalesce(quality_flags, ''), ','), {lit(flag)})"
    return f"CASE WHEN {condition} AND NOT {present} THEN {lit(flag)} END"


# Both flags need a closure within 10 minutes of the report; a row with no flag of its own, no parse
# flag and no such closure (almost every row) skips the list built for the others: NULL either way.
_NO_FLAGS = (
    "quality_flags IS NULL AND parse_flags IS NULL "
    "AND NOT coalesce(closed_at < reported_at + INTERVAL 10 MINUTE, false)"
)
FINAL_SQL = f"""
    SELECT * EXCLUDE (parse_flags, reported_text) REPLACE (
        CASE WHEN {_NO_FLAGS} THEN NULL ELSE nullif(concat_ws(',', quality_flags, parse_flags,
            {_new_flag("closed_before_reported", "closed_at < reported_at")},
            {
    _new_flag("closed_within_10min", "closed_at >= reported_at AND closed_at < reported_at + INTERVAL 10 MINUTE")
}), '') END
        AS quality_flags),
      CASE WHEN case_id IS NULL THEN 'missing_id'
           WHEN reported_text IS NULL THEN 'missing_reported_at'
           WHEN reported_at IS NULL THEN 'unparseable_reported_at'
           WHEN kind IS NULL OR kind NOT IN ({", ".join(lit(k) for k in KINDS)}) THEN 'invalid_kind'
      END AS reject_reason
    FROM lifecycle"""


def mapping_sql(
    mapping: Mapping,
    used: dict[str, str],
    available: list[str],
    source: str = "raw_rows",
    carry: bool = False,
    typed: dict[str, str] | None = None,
) -> str:
    """The whole statement over the table or view ``source`` (positional ``c<i>`` + ``_pos``; our own name).

    Each source column in use is trimmed and nulled once (``s<i>``), then read by the canonical texts.
    With ``carry`` the raw ``c<i>`` columns come out too (beside ``reject_reason``), so a source read
    only once (a stream) can still give a rejected row's raw values. ``typed`` names source columns
    whose texts a database wrote from a typed column (name → :data:`PLAIN_TYPES` kind, e.g. a sync
    from PostgreSQL): such a text is never empty and has no space at either end, so it is not trimmed
    (the result is the same: :func:`trimmed_sql` keeps it as it is), and a date or timestamp of them
    read as ``iso`` is cast directly (:func:`typed_sql`).
    """
    index = {name: i for i, name in enumerate(available)}
    plain = {c for c, kind in (typed or {}).items() if kind in PLAIN_TYPES}
    wanted = set(used.values()) | {c for v in mapping.values.values() for c in v.column if c in index}
    cleaned = ", ".join(
        f"{clean_sql(f'c{index[c]}', mapping.null_values, trim=c not in plain)} AS s{index[c]}"
        for c in sorted(wanted, key=index.get)
    )
    columns = {target: f"s{index[source]}" for target, source in used.items()}
    sources = {name: f"s{index[name]}" for name in wanted}
    texts = {
        name: sql
        for name in {*TEXT_COLUMNS, *TIME_COLUMNS, *BOOL_COLUMNS, "lon", "lat", "rework_count", "redispatch_count"}
        if (sql := text_sql(name, mapping, columns, sources)) is not None
    }
    text_items = ", ".join(f"{sql} AS t_{name}" for name, sql in sorted(texts.items()))
    plain_times = frozenset(
        name
        for name in TIME_COLUMNS
        if name in used and texts.get(name) == columns[name] and (typed or {}).get(used[name]) in PLAIN_TIME_TYPES
    )
    raw = "".join(f", c{i}" for i in range(len(available))) if carry else ""
    return (
        f"WITH cleaned AS (SELECT _pos{raw}{', ' if cleaned else ''}{cleaned} FROM {source}), "
        f"texts AS (SELECT _pos{raw}, {text_items} FROM cleaned), "
        f"typed AS (SELECT _pos{raw}, {', '.join(typed_sql(mapping, texts, plain_times))} FROM texts), "
        f"lifecycle AS ({lifecycle_sql(mapping)}) {FINAL_SQL}"
    )


def _match_value_columns(mapping: Mapping, available: list[str]) -> Mapping:
    """Value maps that read another column name it as present in the file (matched like ``[columns]``)."""
    values = {}
    for target, vmap in mapping.values.items():
        found = [m for c in vmap.column if (m := match_column((c,), available)) is not None]
        values[target] = dataclasses.replace(vmap, column=tuple(found))
    return dataclasses.replace(mapping, values=values)


def prepare(mapping: Mapping, names: list[str], label: str) -> tuple[Mapping, dict[str, str], list[str]]:
    """The mapping fitted to a file's columns: (mapping, canonical → source column, notes)."""
    check_timezone(mapping.timezone)
    used, notes = resolve_columns(mapping, names, label)
    mapping = _match_value_columns(mapping, names)
    if "kind" not in used and "kind" not in mapping.constants and "kind" not in mapping.values:
        mapping = mapping.with_overrides(constants={**mapping.constants, "kind": "demand"})
        notes.append(f"{label}: the mapping gives no `kind`; every case is a demand")
    return mapping, used, notes


def map_file(case_file: CaseFile, mapping: Mapping) -> MappedFile:
    """Canonical, typed columns of one case file and the reason each unusable row is rejected."""
    raw = case_file.frame
    mapping, used, notes = prepare(mapping, list(raw.columns), case_file.name)
    table = pa.Table.from_pandas(raw, preserve_index=False)
    table = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
    table = table.append_column("_pos", pa.array(range(len(raw))))
    con = duckdb.connect()
    try:
        con.register("raw_rows", table)
        sql = mapping_sql(mapping, used, list(raw.columns))
        out = con.sql(sql).to_arrow_table().to_pandas()  # much faster than .df() for text
    except duckdb.Error as exc:
        raise IngestError(f"{case_file.name}: the mapping cannot be applied: {exc}") from None
    finally:
        con.close()
    if not out["_pos"].is_monotonic_increasing:  # DuckDB keeps the scan order; make sure of it
        out = out.sort_values("_pos", ignore_index=True)
    out.index = raw.index
    reason = out.pop("reject_reason")
    return MappedFile(out.drop(columns=["_pos"]), reason, notes, used)

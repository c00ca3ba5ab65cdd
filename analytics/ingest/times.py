"""Source timestamps → local wall-clock ``datetime64[us]`` in the city's time zone.

Naive values are taken as local time already. Values with an offset (ISO 8601
``Z``/``+08:00``, ``%z`` formats) and epoch numbers (UTC by definition) are
converted to the city's zone and the zone is dropped, as the data model asks.
Parsing runs in DuckDB (``try_strptime``), which is ~30x faster than pandas here.

A format is a ``strptime`` pattern (``%m/%d/%Y %I:%M:%S %p``), ``iso``, ``epoch_s``
or ``epoch_ms``; with several formats each value takes the first that parses.
"""

from __future__ import annotations

import zoneinfo

import duckdb
import pandas as pd

from analytics.ingest.errors import IngestError

OFFSET_PATTERN = r"\d[T ]\d.*(Z|[+-]\d\d:?\d\d)$"


def check_timezone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise IngestError(f"unknown time zone {name!r} (use an IANA name such as America/New_York)") from None
    return name


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def format_sql(column: str, fmt: str, tz: str) -> str:
    """SQL turning the text column ``column`` into a local TIMESTAMP (NULL when it does not parse)."""
    x, zone = f'"{column}"', _literal(tz)
    if fmt == "iso":
        # OFFSET_PATTERN can only match a text ending in Z or with a sign 5 or 6 code points from its end
        # (+0800, +08:00): that cheap test first, the regular expression only on what passes it
        maybe = f"(suffix({x}, 'Z') OR substr({x}, -5, 1) IN ('+', '-') OR substr({x}, -6, 1) IN ('+', '-'))"
        return (
            f"CASE WHEN {maybe} AND regexp_matches({x}, {_literal(OFFSET_PATTERN)}) "
            f"THEN timezone({zone}, TRY_CAST({x} AS TIMESTAMPTZ)) ELSE TRY_CAST({x} AS TIMESTAMP) END"
        )
    if fmt == "epoch_s":
        return f"timezone({zone}, to_timestamp(TRY_CAST({x} AS DOUBLE)))"
    if fmt == "epoch_ms":
        return f"timezone({zone}, to_timestamp(TRY_CAST({x} AS DOUBLE) / 1000))"
    if "%z" in fmt or "%Z" in fmt:
        return f"timezone({zone}, try_strptime({x}, {_literal(fmt)}))"
    return f"try_strptime({x}, {_literal(fmt)})::TIMESTAMP"


def parse_times(columns: dict[str, tuple[pd.Series, tuple[str, ...]]], tz: str) -> pd.DataFrame:
    """Parse several text columns at once: ``{name: (text, formats)}`` → a frame of ``datetime64[us]``.

    Values that do not parse with any format come back as ``NaT``.

    Examples
    --------
    >>> s = pd.Series(["01/05/2015 12:40:41 PM", "2015-01-05T17:40:41Z", None, "soon"], dtype="str")
    >>> out = parse_times({"t": (s, ("%m/%d/%Y %I:%M:%S %p", "iso"))}, "America/New_York")
    >>> [str(t) for t in out["t"]]
    ['2015-01-05 12:40:41', '2015-01-05 12:40:41', 'NaT', 'NaT']
    """
    check_timezone(tz)
    if not columns:
        return pd.DataFrame()
    index = next(iter(columns.values()))[0].index
    text = pd.DataFrame({f"c{i}": s.reset_index(drop=True) for i, (s, _) in enumerate(columns.values())})
    selects = []
    for i, (_name, (_, formats)) in enumerate(columns.items()):
        parts = [format_sql(f"c{i}", fmt, tz) for fmt in formats]
        selects.append(f'coalesce({", ".join(parts)}) AS "c{i}"')
    con = duckdb.connect()
    try:
        con.register("times_text", text)
        out = con.execute(f"SELECT {', '.join(selects)} FROM times_text").df()
    except duckdb.Error as exc:
        formats = sorted({fmt for _, fs in columns.values() for fmt in fs})
        raise IngestError(f"a time format cannot be used ({', '.join(formats)}): {exc}") from None
    finally:
        con.close()
    out.columns = list(columns)
    out.index = index
    return out.astype("datetime64[us]")

"""Data coverage (``metrics.md``: Trends and anomalies) and the default period that follows from it.

Coverage is ``[first report day, day after the last report)`` of the loaded data, as recorded in
``meta.data_start`` / ``meta.data_end`` (computed from the cases where a key is missing). A period
outside the coverage is not measured: pages say so instead of showing zeros and 100 %.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from analytics.filters import Filters, months_before


@dataclass(frozen=True)
class Coverage:
    """The days the loaded data covers, ``[start, end)``."""

    start: dt.date
    end: dt.date

    def covers(self, start: dt.date, end: dt.date) -> bool:
        """True when ``[start, end)`` lies wholly inside the coverage."""
        return self.start <= start and end <= self.end

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        """True when ``[start, end)`` shares at least one day with the coverage."""
        return start < self.end and end > self.start

    def state(self, f: Filters) -> str:
        """``inside``, ``partial`` or ``outside``: how much of the period of ``f`` the data covers."""
        if self.covers(f.start, f.end):
            return "inside"
        return "partial" if self.overlaps(f.start, f.end) else "outside"


def _meta_day(con: duckdb.DuckDBPyConnection, key: str) -> dt.date | None:
    row = con.cursor().execute("SELECT value FROM meta WHERE key = $k", {"k": key}).fetchone()
    if not row or not row[0]:
        return None
    try:
        return dt.date.fromisoformat(str(row[0])[:10])
    except ValueError:
        return None


def _has_reports(con: duckdb.DuckDBPyConnection, first: dt.date | None = None, last: dt.date | None = None) -> bool:
    """True when a case was reported (in ``[first, last)`` when given); in cube mode the cube answers, so the
    lake's files are not opened."""
    from analytics.cube.read import is_cube
    from analytics.cube.series import cube_has_reports

    if is_cube(con):
        return cube_has_reports(con, first, last)
    if first is None or last is None:
        return con.cursor().execute("SELECT 1 FROM cases LIMIT 1").fetchone() is not None
    sql = "SELECT 1 FROM cases WHERE reported_at >= $first AND reported_at < $last LIMIT 1"
    params = {"first": dt.datetime.combine(first, dt.time()), "last": dt.datetime.combine(last, dt.time())}
    return con.cursor().execute(sql, params).fetchone() is not None


def data_coverage(con: duckdb.DuckDBPyConnection) -> Coverage | None:
    """The coverage of the loaded data, or None when there are no cases.

    ``meta.data_start`` / ``meta.data_end`` when recorded, else the first report day and the day after the
    last report. Looked up once per connection where the data never changes while it is open (a cube, the app's
    live connection: :func:`analytics.cube.read.remembered`), every time on any other connection.
    """
    from analytics.cube.read import remembered

    return remembered(con, "data_coverage", lambda: _coverage(con))


def _coverage(con: duckdb.DuckDBPyConnection) -> Coverage | None:
    start, end = _meta_day(con, "data_start"), _meta_day(con, "data_end")
    if start and end:  # no scan of every report time (a cube's cases are a view over a lake)
        if not _has_reports(con):
            return None
        return Coverage(start, max(end, start + dt.timedelta(days=1)))
    first, last = con.cursor().execute("SELECT min(reported_at), max(reported_at) FROM cases").fetchone()
    if first is None:
        return None
    start = start or first.date()
    end = end or last.date() + dt.timedelta(days=1)
    return Coverage(start, max(end, start + dt.timedelta(days=1)))


def _month_after(day: dt.date) -> dt.date:
    return months_before(dt.date(day.year, day.month, 1), -1)


def default_period(con: duckdb.DuckDBPyConnection, coverage: Coverage) -> tuple[dt.date, dt.date]:
    """The period a page opens with: the latest complete calendar month that holds data.

    "Complete" means the whole month lies inside the coverage. Data covering less than two calendar
    months (no such month, or only one) opens on the whole coverage instead.

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE cases AS SELECT UNNEST(['2025-03-20', '2025-05-02'])::TIMESTAMP AS reported_at")
    >>> default_period(con, Coverage(dt.date(2025, 3, 20), dt.date(2025, 7, 15)))  # June is empty: May
    (datetime.date(2025, 5, 1), datetime.date(2025, 6, 1))
    """
    first_full = coverage.start if coverage.start.day == 1 else _month_after(coverage.start)
    last_end = dt.date(coverage.end.year, coverage.end.month, 1)  # complete months end on or before this
    if last_end < first_full or months_before(last_end, 2) < first_full:  # fewer than two complete months
        return coverage.start, coverage.end
    # Latest month first, one month's rows at a time (zone maps skip the rest; usually the first month has data),
    # instead of truncating every report time of the coverage to its month.
    month = months_before(last_end, 1)
    while month >= first_full:
        after = _month_after(month)
        if _has_reports(con, month, after):
            return month, after
        month = months_before(month, 1)
    return coverage.start, coverage.end

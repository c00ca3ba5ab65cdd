"""Working-time arithmetic for deadlines (处置时限).

A deadline in working hours counts only the working window (default 09:00-17:00)
of working days: Monday to Friday, less public holidays, plus make-up working
days (调休). A deadline in working days is that many times the window's length.
Calendar deadlines are plain elapsed hours.

The holidays and make-up days come from the official calendar of the State Council
notices as kept by the ``chinese-calendar`` package (``[calendar] official``), and
``data/gridscope.toml`` overrides or extends it: its ``holidays`` and ``workdays``
win over the package, and ``years`` declares further years as fully typed in.
A day in a year neither knows is still judged by the weekday, but the calendar
says so (:meth:`WorkCalendar.uncovered_years`) so that pages and the import flag it.

Everything is vectorised over numpy ``datetime64`` arrays so that the demo
generator and the import can compute millions of deadlines at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

MINUTES_PER_DAY = 1440


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and the daily working window.

    Examples
    --------
    >>> cal = WorkCalendar()
    >>> friday_4pm = np.array(["2025-03-07T16:00"], dtype="datetime64[m]")
    >>> str(cal.add_working_hours(friday_4pm, np.array([2.0]))[0])
    '2025-03-10T10:00'
    """

    work_start: str = "09:00"
    work_end: str = "17:00"
    holidays: tuple[str, ...] = field(default_factory=tuple)
    workdays: tuple[str, ...] = field(default_factory=tuple)
    covered_years: tuple[int, ...] | None = None  # years whose holidays are known; None: not checked
    official: str = "none"  # where the holidays come from: "chinese-calendar" or "none"

    @classmethod
    def from_config(cls, cfg: dict) -> WorkCalendar:
        """The calendar of ``[calendar]``: the official days of ``official`` (default ``chinese-calendar``),
        then the file's ``holidays`` and ``workdays`` over them, covering the official years plus ``years``.

        ``official = "none"`` uses only the file's days (weekends otherwise); then only the ``years`` listed
        count as covered, and with none listed no year is flagged (e.g. a city outside China that keeps
        just weekends).
        """
        cal = cfg.get("calendar", {})
        official = str(cal.get("official", "chinese-calendar"))
        if official == "chinese-calendar":
            holidays, workdays, years = official_days()
        elif official == "none":
            holidays, workdays, years = frozenset(), frozenset(), frozenset()
        else:
            raise ValueError(f"[calendar] official = {official!r}: expected 'chinese-calendar' or 'none'")
        own_holidays = {_iso_day(d, "holidays") for d in cal.get("holidays", ())}
        own_workdays = {_iso_day(d, "workdays") for d in cal.get("workdays", ())}
        both = own_holidays & own_workdays
        if both:
            raise ValueError(f"[calendar] days listed both as holidays and workdays: {', '.join(sorted(both))}")
        covered = set(years) | {int(y) for y in cal.get("years", ())}
        return cls(
            cal.get("work_start", "09:00"),
            cal.get("work_end", "17:00"),
            tuple(sorted((holidays - own_workdays) | own_holidays)),
            tuple(sorted((workdays - own_holidays) | own_workdays)),
            tuple(sorted(covered)) if covered or official != "none" else None,
            official,
        )

    def uncovered_years(self, days) -> list[int]:
        """The years among ``days`` (dates or datetime64) whose holidays this calendar does not know."""
        if self.covered_years is None:
            return []
        values = np.asarray(days, dtype="datetime64[D]")
        values = values[~np.isnat(values)]
        years = {int(y) + 1970 for y in np.unique(values.astype("datetime64[Y]").astype(np.int64))}
        return sorted(years - set(self.covered_years))

    def coverage_text(self) -> str:
        """The covered years as ranges, e.g. ``2004–2026`` (empty when not checked)."""
        return year_ranges(self.covered_years or ())

    @property
    def window_minutes(self) -> int:
        length = _minutes(self.work_end) - _minutes(self.work_start)
        if length <= 0:
            raise ValueError(f"work_end {self.work_end} must be after work_start {self.work_start}")
        return length

    def is_working_day(self, days: np.ndarray) -> np.ndarray:
        """Boolean per ``datetime64[D]`` day."""
        days = np.asarray(days, dtype="datetime64[D]")
        weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        working = weekday < 5
        if self.holidays:
            working &= ~np.isin(days, np.array(self.holidays, dtype="datetime64[D]"))
        if self.workdays:
            working |= np.isin(days, np.array(self.workdays, dtype="datetime64[D]"))
        return working

    def _table(self, first_day: int, last_day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        days = np.arange(first_day, last_day + 1)
        working = self.is_working_day(days.astype("datetime64[D]"))
        per_day = working.astype(np.int64) * self.window_minutes
        start_cum = np.concatenate([[0], np.cumsum(per_day)[:-1]])
        return days, per_day, start_cum

    def add_working_hours(self, start: np.ndarray, hours: np.ndarray) -> np.ndarray:
        """``start`` plus ``hours`` of working time, as ``datetime64[m]``.

        A start outside the window counts from the next window opening; a deadline
        that ends exactly at the close of a window is that close (e.g. 17:00).
        """
        start_m = np.asarray(start, dtype="datetime64[m]").astype(np.int64)
        add = np.round(np.asarray(hours, dtype=float) * 60).astype(np.int64)
        if start_m.size == 0:
            return start_m.astype("datetime64[m]")
        span_days = int(add.max() // max(self.window_minutes, 1)) * 3 + 40
        first = int(start_m.min() // MINUTES_PER_DAY)
        days, per_day, start_cum = self._table(first, int(start_m.max() // MINUTES_PER_DAY) + span_days)
        idx = start_m // MINUTES_PER_DAY - first
        minute_of_day = start_m % MINUTES_PER_DAY
        inside = np.clip(minute_of_day - _minutes(self.work_start), 0, self.window_minutes)
        elapsed = start_cum[idx] + np.where(per_day[idx] > 0, inside, 0)
        target = elapsed + add
        end_cum = start_cum + per_day
        # the first working day whose cumulative end reaches the target
        working_idx = np.flatnonzero(per_day > 0)
        pos = np.searchsorted(end_cum[working_idx], target, side="left")
        if (pos >= working_idx.size).any():
            raise ValueError("deadline beyond the calendar table")
        day_idx = working_idx[pos]
        result = days[day_idx] * MINUTES_PER_DAY + _minutes(self.work_start) + (target - start_cum[day_idx])
        return result.astype("datetime64[m]")

    def due_at(self, start: pd.Series, hours: pd.Series, basis: pd.Series) -> pd.Series:
        """Deadline per case: working-time or calendar-time by ``basis``; NaT where unknown."""
        start = pd.to_datetime(start)
        valid = start.notna() & hours.notna()
        out = pd.Series(pd.NaT, index=start.index, dtype="datetime64[us]")
        working = valid & (basis == "working")
        calendar = valid & ~working
        if working.any():
            due = self.add_working_hours(start[working].to_numpy("datetime64[m]"), hours[working].to_numpy(float))
            out.loc[working] = due.astype("datetime64[us]")
        if calendar.any():
            out.loc[calendar] = start[calendar] + pd.to_timedelta(hours[calendar], unit="h")
        return out


def _iso_day(value, key: str) -> str:
    try:
        return (value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))).isoformat()
    except ValueError:
        raise ValueError(f"[calendar] {key}: {value!r} is not a date (YYYY-MM-DD)") from None


@cache
def official_days() -> tuple[frozenset[str], frozenset[str], frozenset[int]]:
    """Public holidays, make-up working days and the years they cover, from ``chinese-calendar``
    (the State Council notices; a new release each December adds the next year)."""
    from chinese_calendar import constants

    holidays = frozenset(d.isoformat() for d in constants.holidays)
    workdays = frozenset(d.isoformat() for d in constants.workdays)
    years = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    return holidays, workdays, frozenset(range(min(years), max(years) + 1))


def year_ranges(years) -> str:
    """``2004–2026, 2028`` from a collection of years."""
    runs: list[list[int]] = []
    for year in sorted(set(years)):
        if runs and year == runs[-1][1] + 1:
            runs[-1][1] = year
        else:
            runs.append([year, year])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)

"""How many cases arrive per day, per channel: trend, seasons, weekdays, holidays.

A *stream* is a (kind, source) channel with its own weekly and holiday profile
(patrols shrink at weekends and holidays, hotlines much less). Daily expected
volumes multiply a slow growth, an annual cycle, the weekday/holiday factor
and a Spring Festival dip; the base case count is split over (stream, day)
cells by one multinomial draw, so the total is exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.workcal import WorkCalendar

KIND_SHARES = {"incident": 0.55, "demand": 0.40, "dispute": 0.05}
GROWTH = {"incident": 0.15, "demand": 0.25, "dispute": 0.05}  # over the whole period
ANNUAL = {"incident": (0.10, 200), "demand": (0.12, 205), "dispute": (0.08, 30)}  # amplitude, peak day-of-year
# kind, source, share within kind, Mon..Sun factors, holiday factor, Spring Festival factor, hour profile
STREAMS = [
    ("incident", "patrol", 0.70, (1, 1, 1, 1, 1, 0.45, 0.35), 0.35, 0.20, "patrol"),
    ("incident", "camera", 0.20, (1, 1, 1, 1, 1, 0.95, 0.95), 0.85, 0.60, "camera"),
    ("incident", "app", 0.10, (1, 1, 1, 1, 1, 0.90, 0.90), 0.80, 0.50, "app"),
    ("demand", "hotline", 0.907, (1, 0.98, 0.97, 0.96, 0.95, 0.82, 0.78), 0.70, 0.45, "hotline"),
    ("demand", "app", 0.093, (1, 1, 1, 1, 1, 0.90, 0.88), 0.75, 0.50, "app"),
    ("dispute", "walk_in", 0.50, (1, 1, 1, 1, 1, 0.30, 0.20), 0.25, 0.10, "office"),
    ("dispute", "referral", 0.30, (1, 1, 1, 1, 1, 0.10, 0.10), 0.10, 0.05, "office"),
    ("dispute", "patrol", 0.20, (1, 1, 1, 1, 1, 0.45, 0.35), 0.35, 0.20, "patrol"),
]
# relative reports per hour of day (0..23)
HOURS = {
    "patrol": [0, 0, 0, 0, 0, 0, 0.1, 0.4, 4, 9, 10, 8, 3, 4, 9, 10, 8, 4, 2, 1, 0.5, 0.2, 0.1, 0],
    "camera": [0.4, 0.3, 0.3, 0.3, 0.4, 1, 2, 4, 6, 6, 6, 6, 5, 5, 6, 6, 6, 6, 6, 5, 4, 3, 2, 1],
    "app": [0.6, 0.3, 0.2, 0.1, 0.1, 0.3, 1, 3, 5, 6, 6, 5, 4, 4, 5, 5, 5, 5, 6, 7, 7, 6, 4, 2],
    "hotline": [0.5, 0.3, 0.2, 0.2, 0.2, 0.4, 1, 3, 7, 10, 10, 8, 5, 6, 8, 8, 7, 5, 4, 4, 3.5, 3, 2, 1],
    "office": [0, 0, 0, 0, 0, 0, 0, 0.2, 3, 10, 10, 8, 3, 5, 9, 9, 7, 2, 0.3, 0, 0, 0, 0, 0],
}


def streams_table() -> pd.DataFrame:
    """The channels, one row each (row position = stream index)."""
    return pd.DataFrame(STREAMS, columns=["kind", "source", "share", "weekly", "holiday", "spring_festival", "hours"])


def spring_festival_days(cal: WorkCalendar) -> np.ndarray:
    """Holiday days of runs of ≥ 7 consecutive holidays in January/February."""
    days = np.sort(np.array(cal.holidays, dtype="datetime64[D]"))
    if days.size == 0:
        return days
    breaks = np.flatnonzero(np.diff(days.astype(np.int64)) != 1) + 1
    runs = np.split(days, breaks)
    keep = [r for r in runs if len(r) >= 7 and int(str(r[0])[5:7]) in (1, 2)]
    return np.concatenate(keep) if keep else days[:0]


def day_factors(days: np.ndarray, cal: WorkCalendar) -> pd.DataFrame:
    """Per day: weekday (Mon = 0), working day, holiday, Spring Festival and its ±7-day shoulder."""
    weekday = (days.astype(np.int64) + 3) % 7
    holiday = np.isin(days, np.array(cal.holidays, dtype="datetime64[D]"))
    festival = spring_festival_days(cal)
    near = np.zeros(days.size, dtype=bool)
    for day in festival:
        near |= np.abs((days - day).astype(np.int64)) <= 7
    return pd.DataFrame(
        {
            "weekday": weekday,
            "working": cal.is_working_day(days),
            "holiday": holiday,
            "festival": np.isin(days, festival),
            "near_festival": near,
        }
    )


def stream_intensity(days: np.ndarray, cal: WorkCalendar) -> np.ndarray:
    """Relative expected volume, shape (streams, days), each row summing to its kind×stream share."""
    table, factors = streams_table(), day_factors(days, cal)
    t = np.linspace(0.0, 1.0, days.size)
    doy = (days - days.astype("datetime64[Y]")).astype(np.int64)
    out = np.empty((len(table), days.size))
    for i, row in table.iterrows():
        amplitude, peak = ANNUAL[row.kind]
        level = (1 + GROWTH[row.kind] * t) * (1 + amplitude * np.cos(2 * np.pi * (doy - peak) / 365.25))
        week = np.asarray(row.weekly)[factors["weekday"]]
        day = np.where(factors["working"], 1.0, np.where(factors["holiday"], row.holiday, week))
        day = np.where(factors["festival"], row.spring_festival, day)
        day = day * np.where(factors["near_festival"] & ~factors["festival"], 0.85, 1.0)
        profile = level * day
        out[i] = profile / profile.sum() * KIND_SHARES[row.kind] * row.share
    return out


def base_counts(total: int, intensity: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Exactly ``total`` cases split over the (stream, day) cells ∝ ``intensity``."""
    p = intensity.ravel() / intensity.sum()
    return rng.multinomial(total, p).reshape(intensity.shape)


def hour_cdf() -> dict[str, np.ndarray]:
    """Cumulative hour-of-day distribution of each profile."""
    return {name: np.cumsum(w) / np.sum(w) for name, w in HOURS.items()}

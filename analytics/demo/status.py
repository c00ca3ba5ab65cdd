"""The state of each case as of the data end: status, deadlines, call-backs, flags."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.demo.columns import text_column
from analytics.demo.lifecycle import CANCEL_RATE, NAT, SUSPEND_RATE
from analytics.workcal import WorkCalendar

STAGES = ("filed_at", "dispatched_at", "handled_at", "closed_at")
STATUS_OF = {"filed_at": "filed", "dispatched_at": "dispatched", "handled_at": "handled", "closed_at": "closed"}


def as_of(frame: pd.DataFrame, end: np.datetime64, rng: np.random.Generator) -> pd.DataFrame:
    """Apply cancellations, suspensions and unresolved disputes, then cut at ``end``."""
    n = len(frame)
    cancelled = rng.random(n) < CANCEL_RATE
    suspended = ~cancelled & ~frame["self_handled"].to_numpy() & (rng.random(n) < SUSPEND_RATE)
    stalled = suspended | ~frame["resolved"].to_numpy()
    times = {c: frame[c].to_numpy().copy() for c in STAGES}
    for column in ("handled_at", "closed_at"):
        times[column][stalled] = NAT
    for column in STAGES:
        times[column][cancelled] = NAT
        times[column][times[column] >= end] = NAT
    status = np.full(n, "reported", dtype=object)
    for column in STAGES:
        status = np.where(~np.isnat(times[column]), STATUS_OF[column], status)
    status = np.where(suspended & ~np.isnat(times["filed_at"]), "suspended", status)
    status = np.where(cancelled, "cancelled", status)
    closed = ~np.isnat(times["closed_at"])
    return frame.assign(
        **times,
        status=text_column(status),
        self_handled=frame["self_handled"].to_numpy() & closed,
        department=text_column(np.where(cancelled, None, frame["department"].to_numpy(dtype=object))),
        rework_count=np.where(closed, frame["rework_count"], 0).astype(np.int32),
        resolution_level=text_column(np.where(closed, frame["level"].to_numpy(dtype=object), None)),
    )


def due_times(frame: pd.DataFrame, cal: WorkCalendar) -> np.ndarray:
    """Deadline from ``filed_at`` with the category's hours and basis (``WorkCalendar.due_at``)."""
    filed = pd.Series(frame["filed_at"].to_numpy().astype("datetime64[us]"))
    due = cal.due_at(
        filed,
        pd.Series(frame["deadline_hours"].to_numpy(float)),
        pd.Series(frame["deadline_basis"].to_numpy(dtype=object)),
    )
    return due.to_numpy().astype("datetime64[s]")


def callbacks(
    frame: pd.DataFrame, start: np.datetime64, end: np.datetime64, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """12345 call-backs of closed demands; solve and satisfaction improve over the period."""
    n = len(frame)
    closed = frame["closed_at"].to_numpy()
    eligible = (frame["kind"].to_numpy(dtype=object) == "demand") & ~np.isnat(closed)
    t = np.clip((closed - start).astype(np.int64) / (end - start).astype(np.int64), 0, 1)
    late = eligible & (closed > frame["due_at"].to_numpy())
    valid = eligible & (rng.random(n) < 0.85)
    contacted = valid & (rng.random(n) < 0.95)
    solved = contacted & (rng.random(n) < 0.81 + 0.16 * t - 0.20 * late)
    p_sat = np.clip(0.755 + 0.18 * t - 0.25 * late - 0.15 * ~solved, 0, 1)
    u = rng.random(n)
    level = np.where(u < p_sat, "satisfied", np.where(u < p_sat + 0.65 * (1 - p_sat), "basic", "unsatisfied"))

    def nullable(values: np.ndarray, mask: np.ndarray) -> pd.arrays.BooleanArray:
        return pd.array(np.where(mask, values, None), dtype="boolean")

    return {
        "callback_valid": nullable(valid, eligible),
        "callback_contacted": nullable(contacted, valid),
        "callback_solved": nullable(solved, valid),
        "satisfaction": np.where(contacted, level, None),
    }


def quality_flags(frame: pd.DataFrame) -> np.ndarray:
    """``closed_within_10min`` where closure came at most 10 minutes after the report."""
    gap = frame["closed_at"].to_numpy() - frame["reported_at"].to_numpy()
    quick = ~np.isnat(gap) & (gap <= np.timedelta64(600, "s"))
    return np.where(quick, "closed_within_10min", None)

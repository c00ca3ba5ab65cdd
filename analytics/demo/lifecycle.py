"""From report to closure: filing, self-handling or dispatch, handling, closure.

Handling time is drawn as a share of the category's deadline (lognormal, with
a median and spread per department), so on-time rates are realistic whatever
the deadline; working-time deadlines are spent in working time (``WorkCalendar``).
Planted slowdowns multiply that share. Timestamps after the as-of instant are
dropped, and the status is the last stage reached by then.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.demo.columns import text_column
from analytics.demo.plan import Plan
from analytics.demo.signals import HANDLING_FACTOR
from analytics.demo.taxonomy import STREET_OFFICE, Taxonomy
from analytics.workcal import WorkCalendar

NAT = np.datetime64("NaT", "s")
CANCEL_RATE, SUSPEND_RATE, REWORK_RATE = 0.015, 0.005, 0.03
SELF_HANDLED_SHARE = 0.40  # of patrol incidents in the self-handled categories' mix
WITHIN_10_MIN_RATE = 0.001  # of all cases, planted among self-handled ones
DISPUTE_RESOLVED = 0.97
LEVELS = np.array(["grid", "community", "street", "district"], dtype=object)
LEVEL_SHARES = [0.70, 0.27, 0.023, 0.007]
LEVEL_HANDLING = {"grid": (0.22, 0.5), "community": (0.40, 0.5), "street": (0.60, 0.5), "district": (0.80, 0.45)}
FILING_LAG_MIN = {"patrol": 8, "camera": 15, "app": 30, "hotline": 20, "walk_in": 10, "referral": 60}


def _minutes(rng: np.random.Generator, median: float | np.ndarray, sigma: float, size: int) -> np.ndarray:
    """Lognormal durations in seconds with the given median in minutes."""
    return np.round(rng.lognormal(np.log(median), sigma, size) * 60).astype(np.int64)


def _add(start: np.ndarray, hours: np.ndarray, working: np.ndarray, cal: WorkCalendar) -> np.ndarray:
    """``start + hours``, in working time where ``working`` else in calendar time (datetime64[s])."""
    out = start + np.round(hours * 3600).astype("timedelta64[s]")
    if working.any():
        due = cal.add_working_hours(start[working], hours[working])
        out[working] = due.astype("datetime64[s]")
    return out


def _routing(frame: pd.DataFrame, cats: pd.DataFrame, plan: Plan, rng: np.random.Generator) -> pd.DataFrame:
    """Self-handling, dispute level and handling department of each case."""
    n, kind = len(frame), frame["kind"].to_numpy(dtype=object)
    cat = frame["category"].to_numpy()
    incident_p = cats["p"].where(cats["kind"] == "incident", 0.0)
    eligible_share = float(incident_p[cats["self_handle"]].sum())
    collapsing = (frame["grid"].to_numpy() == plan.signals.collapsing_grid) & (
        frame["filed_at"].to_numpy() >= plan.signals.collapsing_start
    )
    self_handled = (
        (kind == "incident")
        & (frame["source"].to_numpy(dtype=object) == "patrol")
        & cats["self_handle"].to_numpy()[cat]
        & ~collapsing
        & (rng.random(n) < min(0.95, SELF_HANDLED_SHARE / eligible_share))
    )
    dispute = kind == "dispute"
    resolved = dispute & (rng.random(n) < DISPUTE_RESOLVED)
    level = np.where(resolved, LEVELS[rng.choice(4, size=n, p=LEVEL_SHARES)], None)
    self_handled |= level == "grid"
    # analytics.demo.dispatch.route chose the department from the text and the place
    department = (
        frame["department"].to_numpy(dtype=object)
        if "department" in frame
        else cats["department"].to_numpy(dtype=object)[cat]
    )
    department = np.where(dispute & (level != "district"), STREET_OFFICE, department)
    department = np.where(self_handled, None, department)
    return frame.assign(
        self_handled=self_handled,
        level=text_column(level),
        department=text_column(department),
        resolved=~dispute | resolved,
        collapsing=collapsing,
    )


def _handling_share(frame: pd.DataFrame, taxonomy: Taxonomy, plan: Plan, rng: np.random.Generator) -> np.ndarray:
    """Share of the deadline the handling takes (before rework)."""
    depts = taxonomy.departments.set_index("department")
    dept = frame["department"].fillna(STREET_OFFICE).to_numpy(dtype=object)
    median = depts["median_share"].reindex(dept).to_numpy(float)
    sigma = depts["sigma"].reindex(dept).to_numpy(float)
    level = frame["level"].to_numpy(dtype=object)
    for name, (m, s) in LEVEL_HANDLING.items():
        median, sigma = np.where(level == name, m, median), np.where(level == name, s, sigma)
    share = np.exp(np.log(median) + sigma * rng.standard_normal(len(frame)))
    slow = (frame["department"].to_numpy(dtype=object) == plan.signals.slow_department) & (
        frame["filed_at"].to_numpy() >= plan.signals.slow_start
    )
    return share * np.where(slow | frame["collapsing"].to_numpy(), HANDLING_FACTOR, 1.0)


def _self_handled_times(frame: pd.DataFrame, share: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(filed_at, closed_at) of self-handled incidents: closed within hours, a few within 10 minutes.

    ``share`` is the self-handled incidents' share of all cases, so that about
    :data:`WITHIN_10_MIN_RATE` of all cases are closed within 10 minutes.
    """
    reported, filed = frame["reported_at"].to_numpy(), frame["filed_at"].to_numpy().copy()
    closed = filed + np.clip(_minutes(rng, 70, 0.6, len(frame)), 15 * 60, 12 * 3600).astype("timedelta64[s]")
    quick = rng.random(len(frame)) < WITHIN_10_MIN_RATE / max(share, 1e-9)
    filed = np.where(quick, reported + rng.integers(60, 150, len(frame)).astype("timedelta64[s]"), filed)
    closed = np.where(quick, reported + rng.integers(240, 570, len(frame)).astype("timedelta64[s]"), closed)
    return filed, closed


def _stage_times(
    filed: np.ndarray, closed: np.ndarray, dispatch: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(dispatched_at, handled_at) between filing and closure.

    Dispatch comes minutes after filing (at most a quarter of the span); the
    handling is reported hours before the closure (verification, at most 30 %
    of what is left). Self-handled cases are handled minutes before closure.
    """
    span = (closed - filed).astype(np.int64)
    lag = np.minimum(_minutes(rng, 25, 0.9, filed.size), span // 4).astype("timedelta64[s]")
    dispatched = np.where(dispatch, filed + lag, NAT)
    remaining = (closed - np.where(dispatch, dispatched, filed)).astype(np.int64)
    verify = np.where(
        dispatch, np.minimum(_minutes(rng, 120, 0.8, filed.size), remaining * 3 // 10), np.minimum(300, span // 2)
    )
    return dispatched, closed - verify.astype("timedelta64[s]")


def timeline(
    frame: pd.DataFrame, taxonomy: Taxonomy, plan: Plan, cal: WorkCalendar, rng: np.random.Generator
) -> pd.DataFrame:
    """Add filed/dispatched/handled/closed times, department, deadline and rework (before the as-of cut)."""
    n, cats = len(frame), taxonomy.categories
    lag = np.vectorize(FILING_LAG_MIN.get, otypes=[float])(frame["source"].to_numpy(dtype=object))
    frame = frame.assign(
        filed_at=frame["reported_at"].to_numpy()
        + np.clip(_minutes(rng, lag, 0.8, n), 60, 86_400).astype("timedelta64[s]")
    )
    frame = _routing(frame, cats, plan, rng)
    kind, cat = frame["kind"].to_numpy(dtype=object), frame["category"].to_numpy()
    hours = cats["deadline_hours"].to_numpy(float)[cat]
    working = cats["deadline_basis"].to_numpy(dtype=object)[cat] == "working"
    dispatch = ~frame["self_handled"].to_numpy()
    rework = np.where(dispatch & (kind != "dispute") & (rng.random(n) < REWORK_RATE), 1 + (rng.random(n) < 0.2), 0)
    share = _handling_share(frame, taxonomy, plan, rng) * (1 + 0.5 * rework)
    filed = frame["filed_at"].to_numpy().copy()
    closed = _add(filed, np.maximum(0.5, hours * share), working, cal)
    own = np.flatnonzero(~dispatch & (kind == "incident"))
    filed[own], closed[own] = _self_handled_times(frame.iloc[own], own.size / max(n, 1), rng)
    dispatched, handled = _stage_times(filed, closed, dispatch, rng)
    basis = text_column(np.where(working, "working", "calendar"))
    return frame.assign(
        filed_at=filed,
        dispatched_at=dispatched,
        handled_at=handled,
        closed_at=closed,
        deadline_hours=hours,
        deadline_basis=basis,
        rework_count=rework.astype(np.int32),
    )

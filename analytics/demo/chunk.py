"""One chunk of days of cases, ready to append: ids, all columns, planted personal data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.demo import dispatch, pii, planted_text
from analytics.demo.arrivals import arrivals
from analytics.demo.city import City
from analytics.demo.columns import CASE_COLUMNS, TIME_COLUMNS, text_column
from analytics.demo.lifecycle import timeline
from analytics.demo.plan import Plan
from analytics.demo.status import as_of, callbacks, due_times, quality_flags
from analytics.demo.taxonomy import Taxonomy
from analytics.demo.text import POOL_SIZE
from analytics.workcal import WorkCalendar


@dataclass(frozen=True)
class Context:
    """Everything a chunk needs that is fixed for the whole build."""

    city: City
    taxonomy: Taxonomy
    plan: Plan
    calendar: WorkCalendar
    texts: np.ndarray
    text_offsets: np.ndarray
    sources: list[str]
    roads: list[str]
    estates: list[str]
    emerging_pools: dict


def case_ids(reported: np.ndarray) -> np.ndarray:
    """``C`` + report date (YYYYMMDD) + 6-digit sequence within the day, in report order."""
    day = reported.astype("datetime64[D]")
    first = np.r_[True, day[1:] != day[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(day.size), 0))
    sequence = np.arange(day.size) - start + 1
    stamp = pd.Series(day.astype(str)).str.replace("-", "", regex=False)
    return ("C" + stamp + pd.Series(sequence).astype(str).str.zfill(6)).to_numpy(dtype=object)


def _descriptions(frame: pd.DataFrame, ctx: Context, rng: np.random.Generator) -> np.ndarray:
    source = pd.Categorical(frame["source"], categories=ctx.sources).codes
    start = ctx.text_offsets[frame["category"].to_numpy(), source]
    return ctx.texts[start + rng.integers(0, POOL_SIZE, len(frame))]


def _columns(frame: pd.DataFrame, ctx: Context, rng: np.random.Generator, period: tuple) -> pd.DataFrame:
    cats = ctx.taxonomy.categories
    cat = frame["category"].to_numpy()
    columns = {"case_id": text_column(case_ids(frame["reported_at"].to_numpy())), "kind": frame["kind"]}
    for column in ("category_code", "category_name", "category_major"):
        columns[column] = text_column(cats[column].to_numpy(dtype=object)[cat])
    columns["source"] = frame["source"]
    columns["grid_id"] = text_column(ctx.city.grid_ids[frame["grid"].to_numpy()])
    columns["lon"], columns["lat"] = frame["lon"], frame["lat"]
    columns["location_flag"] = text_column(np.full(len(frame), None))
    for column in TIME_COLUMNS:
        columns[column] = pd.Series(frame[column].to_numpy().astype("datetime64[us]"))
    for column in ("status", "department", "reporter_worker_id", "self_handled", "rework_count", "resolution_level"):
        columns[column] = frame[column]
    for column, values in callbacks(frame, *period, rng).items():
        columns[column] = text_column(values) if column == "satisfaction" else pd.Series(values)
    columns["quality_flags"] = text_column(quality_flags(frame))
    columns["redispatch_count"] = dispatch.redispatch_counts(frame)
    # the sub-topic sentence of analytics.demo.dispatch, after text generation
    columns["description"] = text_column(dispatch.with_subtopic(_descriptions(frame, ctx, rng), frame))
    return pd.DataFrame(columns)[CASE_COLUMNS]


def make_chunk(ctx: Context, day_range: tuple[int, int], rng: np.random.Generator) -> tuple[pd.DataFrame, ...]:
    """Cases reported on ``plan.days[day_range[0]:day_range[1]]``, their planted personal data,
    and the planted repeat pairs and rebounds (:mod:`analytics.demo.planted_text`)."""
    days = ctx.plan.days
    end = (days[-1] + 1).astype("datetime64[s]")
    frame = arrivals(ctx.plan, day_range, ctx.city, ctx.taxonomy, rng)
    frame = frame.iloc[np.argsort(frame["reported_at"].to_numpy(), kind="stable")].reset_index(drop=True)
    # departments from text and place (own child stream: every other draw stays as it was)
    frame = dispatch.route(frame, ctx.city, ctx.taxonomy, rng.spawn(1)[0])
    frame = timeline(frame, ctx.taxonomy, ctx.plan, ctx.calendar, rng)
    frame = as_of(frame, end, rng)
    frame["due_at"] = due_times(frame, ctx.calendar)
    out = _columns(frame, ctx, rng, (days[0].astype("datetime64[s]"), end))
    pairs, rebounds = planted_text.plant(out, ctx, np.random.default_rng(rng.integers(2**63)))
    described, planted = pii.plant(
        out["case_id"].to_numpy(dtype=object), out["description"].to_numpy(dtype=object), rng, ctx.roads, ctx.estates
    )
    out["description"] = text_column(described)
    return out, planted, pairs, rebounds

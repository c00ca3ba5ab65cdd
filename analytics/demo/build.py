"""Build the demo database atomically: a temporary file, then ``os.replace``."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analytics.casedays.build import build as build_case_days
from analytics.casedays.build import configured_dispute_days
from analytics.config import load_config
from analytics.demo import names, text
from analytics.demo.chunk import Context, make_chunk
from analytics.demo.city import build_city
from analytics.demo.columns import CASE_COLUMNS
from analytics.demo.plan import make_plan
from analytics.demo.rng import stream
from analytics.demo.taxonomy import CATEGORY_COLUMNS, load_taxonomy
from analytics.demo.text_signals import demo_tokenizer, text_signal_rows
from analytics.demo.volume import streams_table
from analytics.layout import CASE_ORDER, closure_class
from analytics.schema import create_schema, write_meta
from analytics.text.index import terms_frame, write_terms
from analytics.workcal import WorkCalendar

MAX_CHUNK_CASES = 250_000
PII_TABLE_SQL = "CREATE TABLE pii_planted (case_id TEXT, pii_type TEXT, value TEXT)"
# Stages for the parts of the case order of analytics.layout written after the promptly closed cases.
STAGES = ("cases_late_stage", "cases_open_stage")


def chunk_ranges(daily: np.ndarray, days: np.ndarray, limit: int = MAX_CHUNK_CASES) -> list[tuple[int, int]]:
    """Day-index ranges: calendar months, split further so no chunk exceeds ``limit`` cases."""
    month = days.astype("datetime64[M]")
    ranges, first = [], 0
    for i in range(1, days.size + 1):
        if i == days.size or month[i] != month[first] or daily[first : i + 1].sum() > limit:
            ranges.append((first, i))
            first = i
    return ranges


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, columns: list[str]) -> None:
    con.register("demo_frame", frame)
    listed = ", ".join(columns)
    con.execute(f"INSERT INTO {table} ({listed}) SELECT {listed} FROM demo_frame")
    con.unregister("demo_frame")


def _write_reference(con: duckdb.DuckDBPyConnection, ctx: Context) -> None:
    grids = ctx.city.grids
    _insert(con, "grids", grids, list(grids.columns))
    _insert(con, "workers", ctx.city.workers, ["worker_id", "grid_id", "role", "full_time"])
    depts = ctx.taxonomy.departments.sort_values("department", ignore_index=True)
    _insert(con, "departments", depts, ["department", "department_name", "department_name_en"])
    cats = ctx.taxonomy.categories.sort_values(["kind", "category_code"], ignore_index=True)
    _insert(con, "categories", cats, CATEGORY_COLUMNS)
    _insert(con, "signals", ctx.plan.signal_rows, list(ctx.plan.signal_rows.columns))


def _context(grids: int, cases: int, seed: int, start: str, end: str) -> Context:
    calendar = WorkCalendar.from_config(load_config())
    city, taxonomy = build_city(grids, seed), load_taxonomy()
    plan = make_plan(city, taxonomy, calendar, cases, seed, start, end)
    sources = sorted(streams_table()["source"].unique().tolist())
    texts, offsets = text.description_pools(taxonomy.categories, sources, stream(seed, "text"))
    roads, estates = text.road_pool(stream(seed, "addresses"))
    emerging = text.emerging_pool(stream(seed, "emerging"), *text.road_pool(stream(seed, "emerging-places")))
    return Context(city, taxonomy, plan, calendar, texts, offsets, sources, roads, estates, emerging)


def _meta(ctx: Context, cases: int, seed: int, grids: int, start: str, end: str) -> dict[str, str]:
    rows = ctx.plan.signal_rows
    summary = {s: sorted(g["subject_id"].tolist()) for s, g in rows.groupby("signal", sort=True)}
    summary["emerging_term"] = sorted(text.EMERGING_TERMS)
    return {
        "dataset": "demo",
        "city_name": names.CITY_NAME,
        "city_name_en": names.CITY_NAME_EN,
        "timezone": "Asia/Shanghai",
        "loaded_at": dt.datetime.now().isoformat(timespec="seconds"),
        "source_files": f"synthetic: analytics.demo seed={seed} cases={cases} grids={grids}",
        "demo_seed": str(seed),
        "demo_cases": str(cases),
        "demo_grids": str(grids),
        "data_start": str(start),
        "data_end": str(end),
        "synthetic": "true",
        "case_order": CASE_ORDER,
        "demo_signals": json.dumps(summary, ensure_ascii=False, sort_keys=True),
    }


def _fill(path: str, ctx: Context, seed: int, log: Callable[[str], None]) -> int:
    con = duckdb.connect(path)
    try:
        con.execute("SET memory_limit = '2GB'")
        con.execute("SET threads = 2")
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET enable_progress_bar = false")
        create_schema(con)
        con.execute(PII_TABLE_SQL)
        _write_reference(con, ctx)
        daily = ctx.plan.cells.groupby("day")["count"].sum().reindex(range(ctx.plan.days.size), fill_value=0)
        total, tokenizer, planted_pairs, planted_rebounds = 0, demo_tokenizer(ctx), [], []
        for stage in STAGES:
            con.execute(f"CREATE TABLE {stage} AS SELECT * FROM cases LIMIT 0")
        for first, last in chunk_ranges(daily.to_numpy(), ctx.plan.days):
            rng = stream(seed, "cases", int(ctx.plan.days[first].astype(np.int64)))
            cases, planted, pairs, rebounds = make_chunk(ctx, (first, last), rng)
            classes = closure_class(cases)
            for table, klass in (("cases", 0), *zip(STAGES, (1, 2))):
                _insert(con, table, cases[classes == klass], CASE_COLUMNS)
            _insert(con, "pii_planted", planted, ["case_id", "pii_type", "value"])
            write_terms(con, terms_frame(cases["case_id"], cases["reported_at"], cases["description"], tokenizer))
            planted_pairs.append(
                pairs.assign(reported_at=cases.set_index("case_id").loc[pairs["case_id"], "reported_at"].to_numpy())
            )
            planted_rebounds.append(rebounds)
            total += len(cases)
            log(f"demo: {ctx.plan.days[first]}..{ctx.plan.days[last - 1]}: {len(cases):,} cases ({total:,})")
        for stage in STAGES:
            con.execute(f"INSERT INTO cases SELECT * FROM {stage} ORDER BY reported_at, case_id")
            con.execute(f"DROP TABLE {stage}")
        text_signals = text_signal_rows(ctx, pd.concat(planted_pairs), pd.concat(planted_rebounds))
        _insert(con, "signals", text_signals, list(text_signals.columns))
        con.execute("CHECKPOINT")
        return total
    finally:
        con.close()


def as_of_period(as_of: str | dt.date) -> tuple[str, str]:
    """``[start, end)`` of a demo city whose last day is ``as_of``: the two years before ``as_of + 1``.

    Examples
    --------
    >>> as_of_period("2026-11-27")
    ('2024-11-28', '2026-11-28')
    >>> as_of_period("2028-02-28")
    ('2026-02-28', '2028-02-29')
    """
    last = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    end = last + dt.timedelta(days=1)
    try:
        start = end.replace(year=end.year - 2)
    except ValueError:  # 29 February
        start = end.replace(year=end.year - 2, day=28)
    return start.isoformat(), end.isoformat()


def build_demo(
    db_path: str | os.PathLike,
    cases: int = 300_000,
    seed: int = 42,
    grids: int = 400,
    start: str = "2024-01-01",
    end: str = "2026-01-01",
    progress: Callable[[str], None] | None = None,
    as_of: str | dt.date | None = None,
) -> dict:
    """Build the deterministic demo city into ``db_path`` (atomically replaced on success).

    Without ``as_of`` the city spans ``[start, end)``. With ``as_of`` (the last day with data, e.g.
    yesterday for a living demo) it spans the two years ending that day, whatever ``start``/``end``
    say; the same seed and ``as_of`` give the same cases.

    Returns
    -------
    dict
        ``cases`` (rows written), ``grids``, ``seconds`` and ``path``.

    Examples
    --------
    >>> summary = build_demo("/tmp/demo.duckdb", cases=20_000)  # doctest: +SKIP
    """
    if cases < 1000:
        raise ValueError(f"the demo city needs at least 1000 cases, got {cases}")
    if as_of is not None:
        start, end = as_of_period(as_of)
    log = progress or (lambda line: None)
    started = time.perf_counter()
    target = Path(db_path)
    temporary = f"{target}.tmp-{os.getpid()}"
    try:
        log(f"demo: building {grids} grids, {cases:,} cases, seed {seed}")
        ctx = _context(grids, cases, seed, start, end)
        written = _fill(temporary, ctx, seed, log)
        con = duckdb.connect(temporary)
        try:
            write_meta(con, _meta(ctx, cases, seed, grids, start, end))
            log("demo: case-day counts")
            build_case_days(con, configured_dispute_days())
        finally:
            con.close()
        os.replace(temporary, target)
    finally:
        for leftover in (temporary, temporary + ".wal"):
            if os.path.exists(leftover):
                os.remove(leftover)
    seconds = round(time.perf_counter() - started, 2)
    log(f"demo: wrote {written:,} cases to {target} in {seconds} s")
    return {"cases": written, "grids": grids, "seconds": seconds, "path": str(target)}

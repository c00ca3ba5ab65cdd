"""``python -m analytics.bench.insight --db PATH [--month 2025-11] [--runs 3]``: demand-insight timings.

Times, server side on the stored tokens (``case_terms``), for one month of the
whole city: top terms with lift, emerging terms (the month against the three
before), repeats (``duplicates`` verb) and rebounds. Prints one JSON object:
per step the median and the maximum wall time and the median CPU time (all
threads) of ``--runs`` runs in seconds, after one unmeasured warm-up run, and
the machine's load average (on a shared machine wall time mostly measures the
others). Budgets (issue 14): terms ≤ 2 s, duplicates ≤ 3 s at 1 M cases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import time

import duckdb

from analytics.config import load_config
from analytics.filters import Filters
from analytics.repeats.clusters import RepeatRule
from analytics.repeats.rates import rebounds, repeats
from analytics.text.terms import emerging_terms, top_terms

BUDGETS = {"terms": 2.0, "duplicates": 3.0}


def _month(text: str) -> Filters:
    start = dt.date.fromisoformat(f"{text}-01")
    end = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return Filters(start, end)


def measure(db: str, month: str, runs: int) -> dict:
    con = duckdb.connect(db, read_only=True)
    cfg, f = load_config(), _month(month)
    rule = RepeatRule.from_config(cfg)
    steps = {
        "terms": lambda: (top_terms(con, f, cfg=cfg), emerging_terms(con, f, cfg)),
        "duplicates": lambda: repeats(con, f, rule),
        "rebounds": lambda: rebounds(con, f, rule),
    }
    out = {
        "load_average": [round(v, 1) for v in os.getloadavg()],
        "db": db,
        "month": month,
        "cases": con.execute("SELECT count(*) FROM cases").fetchone()[0],
    }
    out["term_rows"] = con.execute("SELECT count(*) FROM case_terms").fetchone()[0]
    for name, step in steps.items():
        step()  # warm-up: DuckDB buffers and the jieba-free code paths, not measured
        times, cpu = [], []
        for _ in range(runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            step()
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        out[name] = {
            "median_s": round(statistics.median(times), 3),
            "max_s": round(max(times), 3),
            "median_cpu_s": round(statistics.median(cpu), 3),
        }
        if name in BUDGETS:
            out[name]["budget_s"] = BUDGETS[name]
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--month", default="2025-11")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure(args.db, args.month, args.runs), ensure_ascii=False))

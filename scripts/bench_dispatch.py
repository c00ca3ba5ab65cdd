"""Dispatch benchmark: ``python scripts/bench_dispatch.py --db DEMO_1M.duckdb [--cases N]``.

Budgets (issue 15): training on 1 M cases ≤ 60 s on 2 cores; one suggestion ≤ 100 ms server side.
Measures, on the given database: reading the training cases, training (features, both classifiers,
temperatures) on up to ``--cases`` of them, and the median and worst of 50 suggestions (model only) and of
20 similar-case look-ups (DuckDB query + TF-IDF ranking + masking). Wall-clock and process CPU time (the CPU
time of this process only: DuckDB's own threads are counted too, being threads of this process).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics import store  # noqa: E402
from analytics.config import load_config  # noqa: E402
from analytics.dispatch import model as dm  # noqa: E402
from analytics.dispatch.history import coverage, dispatched_history  # noqa: E402
from analytics.dispatch.suggest import similar_cases, suggest  # noqa: E402
from analytics.filters import Filters  # noqa: E402

QUERIES = (
    "市民来电反映：幸福路路面出现坑洼破损，存在安全隐患。该处位于城市主干道。",
    "小区楼上深夜噪声扰民，希望尽快处理。",
    "The street light at the corner is out.",
    "垃圾站满溢，异味很大，请尽快清运。",
    "沿街商户占道经营，就在农贸市场周边。",
)


def _timed(func):
    wall, cpu = time.perf_counter(), time.process_time()
    result = func()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--cases", type=int, default=1_000_000, help="training cases (most recent)")
    args = parser.parse_args(argv)
    con = store.connect_read_only(args.db)
    con.execute("SET threads = 2")
    cfg = load_config()
    first, end = coverage(con)
    history, read_s, read_cpu = _timed(lambda: dispatched_history(con, Filters(first, end), args.cases))
    model, train_s, train_cpu = _timed(lambda: dm.train(history))
    now = dt.datetime(2025, 12, 15, 10, 0)
    suggest_ms, suggest_cpu = [], []
    for i in range(50):
        _, wall, cpu = _timed(lambda i=i: suggest(con, model, QUERIES[i % len(QUERIES)], cfg, when=now))
        suggest_ms.append(wall * 1000)
        suggest_cpu.append(cpu * 1000)
    similar_ms, similar_cpu = [], []
    for i in range(20):
        result = suggest(con, model, QUERIES[i % len(QUERIES)], cfg, when=now)
        code = result["category"]["category_code"]
        _, wall, cpu = _timed(
            lambda r=result, c=code: similar_cases(con, model, Filters(first, end), r["text"], c, cfg)
        )
        similar_ms.append(wall * 1000)
        similar_cpu.append(cpu * 1000)
    report = {
        "database_cases": con.execute("SELECT count(*) FROM cases").fetchone()[0],
        "training_cases": len(history),
        "read_seconds": round(read_s, 2),
        "read_cpu_seconds": round(read_cpu, 2),
        "train_seconds": round(train_s, 2),
        "train_cpu_seconds": round(train_cpu, 2),
        "read_and_train_seconds": round(read_s + train_s, 2),
        "suggest_ms_median": round(statistics.median(suggest_ms), 1),
        "suggest_ms_max": round(max(suggest_ms), 1),
        "suggest_cpu_ms_median": round(statistics.median(suggest_cpu), 1),
        "similar_ms_median": round(statistics.median(similar_ms), 1),
        "similar_cpu_ms_median": round(statistics.median(similar_cpu), 1),
        "similar_ms_max": round(max(similar_ms), 1),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Measure the grid map at scale: deck JSON size, server-side page run time, browser render time.

    python scripts/bench_map.py --db /tmp/d10k.duckdb [--runs 3]

Prints one JSON object. Build a 10,000-grid city first with
``python -m analytics demo --cases 1000000 --grids 10000 --db /tmp/d10k.duckdb``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def deck_size(db: str) -> dict:
    import duckdb

    from analytics import metrics, queries
    from analytics.config import load_config
    from analytics.filters import Filters
    from analytics.queries import data_range
    from analytics.scoring import add_scores
    from ui.filters import preset_period
    from ui.maps import status_map

    con = duckdb.connect(db, read_only=True)
    start, end = preset_period("month", data_range(con)[1])
    f = Filters(start, end)
    scored = add_scores(metrics.by_area(con, f, "grid"), load_config())
    geoms = queries.area_geometries(con, "grid")
    began = time.perf_counter()
    payload = status_map(geoms, scored, {s: s for s in ("red", "amber", "green", "grey")}, "{area_name}").to_json()
    return {
        "grids": len(geoms),
        "deck_json_mb": round(len(payload) / 1e6, 2),
        "deck_build_s": round(time.perf_counter() - began, 3),
    }


def server_run(db: str, runs: int) -> dict:
    from streamlit.testing.v1 import AppTest

    os.environ["GRIDSCOPE_DB"] = db
    cold, warm = [], []
    for _ in range(runs):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.run()
        at.switch_page("pages/grid_map.py")
        began = time.perf_counter()
        at.run()
        cold.append(time.perf_counter() - began)
        began = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - began)
    return {"server_first_s": round(statistics.median(cold), 3), "server_rerun_s": round(statistics.median(warm), 3)}


def browser_render(db: str, runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    from scripts.browser import launch_browser, open_page, start_app, stop_app

    process, base = start_app(db)
    times = []
    try:
        with sync_playwright() as p:
            browser = launch_browser(p)
            for _ in range(runs):
                began = time.perf_counter()
                page = open_page(browser, f"{base}/grid-map?lang=zh")
                page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=120_000)
                times.append(time.perf_counter() - began)
                page.close()
            browser.close()
    finally:
        stop_app(process)
    return {"browser_load_to_drawn_s": round(statistics.median(times), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    result = {**deck_size(args.db), **server_run(args.db, args.runs), **browser_render(args.db, args.runs)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""The first visit after a server start, with and without the warm-up (``ui/warmup.py``), side by side.

    python -m analytics.bench.warm --db FILE [--page overview] [--runs 3] [--gap 20]

Each round starts two servers the way ``scripts/run.sh`` does (``python -m ui.serve``), one with
``[startup] warm_up = true`` and one with it false, in alternating order; after the server answers its
health check it waits ``--gap`` seconds (a leader opens the dashboard some time after it was started:
the warm-up has that long) and times the first visit in a new headless Chromium context, until the page
is completely drawn (:func:`analytics.bench.browser.time_visit`). ``--gap 0`` measures a visitor arriving
the moment the server answers. Prints one JSON line: per variant the visits and their median, and the
ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from analytics.bench.browser import time_visit
from analytics.bench.machine import load_average
from scripts.browser import launch_browser, page_url, start_app, stop_app
from ui.navigation import PAGES

VARIANTS = {"warm": "true", "cold": "false"}


def _config(folder: Path, warm: str) -> Path:
    path = folder / f"startup-{warm}.toml"
    path.write_text(f"[startup]\nwarm_up = {warm}\n", encoding="utf-8")
    return path


def first_visit(browser, db: Path, url_path: str, config: Path, gap: float) -> float | None:
    """Seconds until the first visit to ``url_path`` is drawn on a server started with ``config``."""
    process, base = start_app(db, env={"GRIDSCOPE_CONFIG": str(config)}, timeout=180, launcher="serve")
    try:
        time.sleep(gap)
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        try:
            return round(time_visit(context, page_url(base, url_path, "zh")), 3)
        except Exception:  # noqa: BLE001 — a page not drawn within the limit counts as not drawn
            return None
        finally:
            context.close()
    finally:
        stop_app(process)


def run(db: Path, page: str, runs: int, gap: float) -> dict:
    from playwright.sync_api import sync_playwright

    url_path = next(p.url_path for p in PAGES if p.key == page)
    visits: dict[str, list] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="gridscope-warm-") as folder, sync_playwright() as pw:
        configs = {name: _config(Path(folder), value) for name, value in VARIANTS.items()}
        browser = launch_browser(pw)
        try:
            for i in range(runs):
                order = list(VARIANTS) if i % 2 == 0 else list(reversed(VARIANTS))
                for name in order:
                    visits[name].append(first_visit(browser, db, url_path, configs[name], gap))
        finally:
            browser.close()
    medians = {name: _median(v) for name, v in visits.items()}
    ratio = round(medians["warm"] / medians["cold"], 2) if medians["warm"] and medians["cold"] else None
    return {
        "db": str(db),
        "page": page,
        "gap_seconds": gap,
        "visits": visits,
        "median": medians,
        "warm_over_cold": ratio,
        "load_average_after": load_average(),
    }


def _median(values: list) -> float | None:
    drawn = [v for v in values if v is not None]
    return round(statistics.median(drawn), 3) if drawn else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics.bench.warm", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--page", default="overview", choices=[p.key for p in PAGES])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--gap", type=float, default=20.0, help="seconds between the server's start and the visit")
    args = parser.parse_args(argv)
    print(json.dumps(run(Path(args.db), args.page, args.runs, args.gap)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

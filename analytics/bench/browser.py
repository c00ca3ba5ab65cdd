"""Browser timing: how long a person waits for each page, beside a trivial Streamlit page measured the same way.

    python -m analytics.bench.browser --db PATH [--runs 3] [--pages overview,trends] [--hide-maps] [--before DIR]

For every page: the **first visit after a server start** (a fresh server, its first session), a **new session on a
warm server** (a new browser context: empty cache, new websocket; the median of ``--runs``) and a **returning user**
(the same context again: browser cache warm). The clock runs from navigation start until everything is drawn: the
script run finished, no Streamlit skeleton left, every plotly or Vega-Lite chart, deck.gl map and table drawn — and it held for
half a second (a widget's first run can trigger a rerun). The trivial page (``trivial_page.py``: a title, 8 metric
tiles and a table) is served and measured the same way in the same run: each page's time is reported as a ratio to
it. ``--hide-maps`` runs the app with deck.gl maps not drawn (``GRIDSCOPE_HIDE_MAPS=1``), to report the map's share
apart: this browser draws WebGL in software. ``--before DIR`` serves a second checkout of the project (``git archive`` of the commit to compare with) and
measures each of its pages just before the same page of this one, against the same floor, so a before/after
comparison on a shared machine is side by side. The floor is measured before and after the pages and its medians
over both are the ratios' denominators. Prints one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from scripts.browser import PROJECT_ROOT, launch_browser, page_url, start_app, stop_app

TRIVIAL = "analytics/bench/trivial_page.py"

# True once the page is completely drawn; the first moment it held is recorded in window.__gsDrawnAt
_DRAWN = """([quietMs]) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const drawn = (id, inner) => [...document.querySelectorAll(`[data-testid="${id}"]`)]
        .every(e => e.offsetParent === null || e.querySelector(inner));  // one in a closed tab or expander waits
    const done = app && app.getAttribute('data-test-script-state') === 'notRunning'
        && document.querySelector('[data-testid="stMainBlockContainer"] h1') !== null
        && document.querySelector('[data-testid="stSkeleton"]') === null
        && drawn('stDeckGlJsonChart', 'canvas')
        && drawn('stPlotlyChart', '.main-svg')
        && drawn('stVegaLiteChart', 'canvas, svg')
        && drawn('stDataFrame', 'canvas, table');
    const now = performance.now();
    if (!done) { window.__gsDrawnAt = undefined; return false; }
    if (window.__gsDrawnAt === undefined) window.__gsDrawnAt = now;
    return now - window.__gsDrawnAt >= quietMs;
}"""


def time_visit(context, url: str, timeout_ms: float = 120_000, quiet_ms: int = 500) -> float:
    """Seconds from navigation start until the page at ``url`` is completely drawn, in a new tab of ``context``."""
    page = context.new_page()
    try:
        page.goto(url, wait_until="commit", timeout=timeout_ms)
        page.wait_for_function(_DRAWN, arg=[quiet_ms], timeout=timeout_ms, polling=50)
        return page.evaluate("window.__gsDrawnAt") / 1000.0
    finally:
        page.close()


def measure(browser, url: str, runs: int) -> dict:
    """``first`` (a new context on a just-started server), ``new_session`` and ``returning`` medians in seconds."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        first = time_visit(context, url)
        returning = [time_visit(context, url) for _ in range(runs)]
    finally:
        context.close()
    fresh = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        try:
            fresh.append(time_visit(context, url))
        finally:
            context.close()
    return {
        "first": first,
        "new_session": statistics.median(fresh),
        "returning": statistics.median(returning),
        "new_session_runs": fresh,
        "returning_runs": returning,
    }


def measure_server(
    db: Path, script: str, targets: list[tuple[str, str]], runs: int, env: dict, root: Path | None = None
) -> dict:
    """Start a server for ``script``, then measure every (key, url_path) on it; the first one is a first visit."""
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            for key, url_path in targets:  # a fresh server per page, so every page has a real first visit
                process, base = start_app(db, env=env, script=script, timeout=120, root=root)
                try:
                    results[key] = measure(browser, page_url(base, url_path, "zh"), runs)
                except Exception as error:  # noqa: BLE001 - playwright's TimeoutError: reported, the run goes on
                    results[key] = {"error": f"{type(error).__name__}: {str(error).splitlines()[0]}"}
                finally:
                    stop_app(process)
        finally:
            browser.close()
    return results


def _with_ratios(measured: dict, floor: dict) -> dict:
    for values in measured.values():
        if "error" in values:
            continue
        for key in ("first", "new_session", "returning"):
            values[f"{key}_ratio"] = values[key] / floor[key] if floor[key] else None
    return measured


def run(db: Path, runs: int, page_keys: list[str] | None, hide_maps: bool, before: Path | None = None) -> dict:
    """The floor, then every page (with ``before``: that checkout's page just before this one's, side by side),
    then the floor again; ratios are to the floor's medians over both of its measurements."""
    from ui.navigation import PAGES

    pages = [p for p in PAGES if page_keys is None or p.key in page_keys]
    env = {"GRIDSCOPE_HIDE_MAPS": "1"} if hide_maps else {}
    floors = [measure_server(db, TRIVIAL, [("trivial", "")], runs, {})["trivial"]]
    measured, earlier = {}, {}
    for p in pages:
        if before is not None:
            earlier.update(measure_server(db, "app.py", [(p.key, p.url_path)], runs, env, root=before))
        measured.update(measure_server(db, "app.py", [(p.key, p.url_path)], runs, env))
    floors.append(measure_server(db, TRIVIAL, [("trivial", "")], runs, {})["trivial"])
    floor = {
        "first": statistics.median(f["first"] for f in floors),
        "new_session": statistics.median(r for f in floors for r in f["new_session_runs"]),
        "returning": statistics.median(r for f in floors for r in f["returning_runs"]),
        "measurements": floors,
    }
    result = {
        "db": str(db),
        "runs": runs,
        "hide_maps": hide_maps,
        "floor": floor,
        "pages": _with_ratios(measured, floor),
    }
    if before is not None:
        result["before"] = {"root": str(before), "pages": _with_ratios(earlier, floor)}
    return result


def _rows(pages: dict, suffix: str = "") -> list[str]:
    lines = []
    for key, v in pages.items():
        if "error" in v:
            lines.append(f"{key + suffix:<21}not drawn: {v['error'][:80]}")
            continue
        cells = "".join(f"{v[k]:>9.2f} s {v[k + '_ratio']:>4.1f}x  " for k in ("first", "new_session", "returning"))
        lines.append(f"{key + suffix:<21}{cells}")
    return lines


def render(result: dict) -> str:
    floor = result["floor"]
    lines = [
        f"browser timing, median of {result['runs']} (until drawn; ratio to the trivial page"
        f"{'; maps hidden' if result['hide_maps'] else ''})",
        f"{'page':<21}{'first visit':>18}{'new session':>18}{'returning':>18}",
        f"{'trivial page':<21}{floor['first']:>11.2f} s    {floor['new_session']:>11.2f} s    "
        f"{floor['returning']:>11.2f} s",
    ]
    if "before" in result:
        for key in result["pages"]:
            lines += _rows({key: result["before"]["pages"][key]}, " (before)") + _rows({key: result["pages"][key]})
    else:
        lines += _rows(result["pages"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics.bench.browser", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the GridScope database the app serves")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", help="page keys, comma-separated (default: every page)")
    parser.add_argument("--hide-maps", action="store_true", help="do not draw deck.gl maps (the map's share apart)")
    parser.add_argument(
        "--before", type=Path, help="another checkout (e.g. `git archive` of main) measured side by side"
    )
    args = parser.parse_args(argv)
    os.chdir(PROJECT_ROOT)
    result = run(Path(args.db), args.runs, args.pages.split(",") if args.pages else None, args.hide_maps, args.before)
    print(render(result), file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

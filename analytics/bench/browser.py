"""Browser timing: how long a person waits for each page, beside a trivial Streamlit page measured the same way.

    python -m analytics.bench.browser --db PATH [--runs 3] [--pages overview,trends] [--hide-maps | --map-share]
                                      [--before DIR]

For every page: the **first visit after a server start** (a fresh server, its first session), a **new session on a
warm server** (a new browser context: empty cache, new websocket; the median of ``--runs``) and a **returning user**
(the first visit's context again: browser cache warm). The clock runs from navigation start until the first screen
(1920×1080) is drawn: the script run finished, no Streamlit skeleton left, every plotly or Vega-Lite chart, deck.gl
map and table on that screen drawn (the data grid draws its canvas only once scrolled to) — and it held for half a
second (a widget's first run can trigger a rerun). A visit that is not drawn within 120 s counts as not drawn.

The floor is a trivial Streamlit page (``trivial_page.py``: a title, 8 metric tiles and a table). For each page a
fresh server serves it, another the page, and with ``--before DIR`` a third serves the same page from another
checkout (``git archive`` of the commit to compare with); they are visited **interleaved**, visit by visit, so a
shared machine whose load changes during the run affects all of them alike, and each page's ratio is to the floor
measured beside it. ``--hide-maps`` runs the app with deck.gl maps not drawn (``GRIDSCOPE_HIDE_MAPS=1``), to report
the map's share apart: this browser draws WebGL in software. ``--map-share`` measures it in the same run instead: a
further server serves the page with maps hidden, visited interleaved with the others (the row "maps hidden"), so
the page with and without its maps and the floor share the same load. Prints one JSON object on the last line.
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
KEYS = ("first", "new_session", "returning")

# True once the page is completely drawn; the first moment it held is recorded in window.__gsDrawnAt
_DRAWN = """([quietMs]) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const drawn = (id, inner) => [...document.querySelectorAll(`[data-testid="${id}"]`)]
        .every(e => e.offsetParent === null || e.getBoundingClientRect().top >= innerHeight || e.querySelector(inner));
        // one in a closed tab or expander, or below the first screen, waits (the data grid draws its canvas
        // only once scrolled to)
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


def _visit(browser, url: str, context=None) -> tuple[float | None, object]:
    """One timed visit (in ``context``, else a new one); ``None`` when the page never finished drawing."""
    context = context or browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        return time_visit(context, url), context
    except Exception:  # noqa: BLE001 - playwright's TimeoutError: counted as not drawn, the run goes on
        return None, context


def _median(values: list) -> float | None:
    drawn = [v for v in values if v is not None]
    return statistics.median(drawn) if drawn else None


def measure_interleaved(browser, urls: dict[str, str], runs: int) -> dict:
    """Every variant (``{name: url}``, each on its own just-started server) visited in turn, visit by visit, so
    a machine whose load changes affects them alike: the first visits, then ``runs`` rounds of new sessions
    (a new context each: empty cache) and of returning users (the first visit's context again: cache warm)."""
    out, kept = {}, {}
    for name, url in urls.items():
        first, kept[name] = _visit(browser, url)
        out[name] = {"first": first, "new_session_runs": [], "returning_runs": []}
    for _ in range(runs):
        for name, url in urls.items():
            seconds, context = _visit(browser, url)
            context.close()
            out[name]["new_session_runs"].append(seconds)
        for name, url in urls.items():
            out[name]["returning_runs"].append(_visit(browser, url, kept[name])[0])
    for name, values in out.items():
        kept[name].close()
        values["new_session"] = _median(values["new_session_runs"])
        values["returning"] = _median(values["returning_runs"])
    return out


def _servers(db: Path, variants: dict[str, tuple[str, Path | None, dict]]) -> dict:
    """Start one server per variant (``{name: (script, root, env)}``): ``{name: (process, base_url)}``."""
    started = {}
    try:
        for name, (script, root, env) in variants.items():
            started[name] = start_app(db, env=env, script=script, timeout=180, root=root)
    except Exception:
        for process, _ in started.values():
            stop_app(process)
        raise
    return started


def _ratio(value, floor):
    return value / floor if value is not None and floor else None


def run(
    db: Path,
    runs: int,
    page_keys: list[str] | None,
    hide_maps: bool,
    before: Path | None = None,
    map_share: bool = False,
) -> dict:
    """Per page: fresh servers for the trivial page, the page, (with ``map_share``) the page with its maps hidden
    and (with ``before``) that checkout's page, measured interleaved (:func:`measure_interleaved`); ratios are to
    the trivial page of the same round."""
    if hide_maps and map_share:
        raise ValueError("--hide-maps and --map-share exclude each other")
    from playwright.sync_api import sync_playwright

    from ui.navigation import PAGES

    pages = [p for p in PAGES if page_keys is None or p.key in page_keys]
    env = {"GRIDSCOPE_HIDE_MAPS": "1"} if hide_maps else {}
    variants = {"trivial": (TRIVIAL, None, {}), "after": ("app.py", None, env)}
    if map_share:
        variants["maps_hidden"] = ("app.py", None, {"GRIDSCOPE_HIDE_MAPS": "1"})
    if before is not None:
        variants["before"] = ("app.py", before, env)
    result = {
        "db": str(db),
        "runs": runs,
        "hide_maps": hide_maps,
        "map_share": map_share,
        "before_root": str(before or ""),
        "pages": {},
    }
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            for p in pages:
                servers = _servers(db, variants)
                try:
                    urls = {
                        name: page_url(base, "" if name == "trivial" else p.url_path, "zh")
                        for name, (_, base) in servers.items()
                    }
                    measured = measure_interleaved(browser, urls, runs)
                finally:
                    for process, _ in servers.values():
                        stop_app(process)
                floor = measured.pop("trivial")
                for values in measured.values():
                    for key in ("first", "new_session", "returning"):
                        values[f"{key}_ratio"] = _ratio(values[key], floor[key])
                result["pages"][p.key] = {"floor": floor, **measured}
                lines = render({**result, "pages": {p.key: result["pages"][p.key]}}).splitlines()[2:]
                print("\n".join(lines), json.dumps(result["pages"][p.key]), sep="\n", file=sys.stderr, flush=True)
        finally:
            browser.close()
    return result


def _cell(v: dict, key: str) -> str:
    if v[key] is None:
        return f"{'not drawn':>19}"
    ratio = v.get(key + "_ratio")
    return f"{v[key]:>9.2f} s" + (f" {ratio:>5.2f}x  " if ratio is not None else " " * 9)


def render(result: dict) -> str:
    lines = [
        f"browser timing, median of {result['runs']} (until the first screen is drawn; ratio to the trivial page "
        f"measured interleaved with it{'; maps hidden' if result['hide_maps'] else ''})",
        f"{'page':<24}{'first visit':>19}{'new session':>19}{'returning':>19}",
    ]
    for key, variants in result["pages"].items():
        lines.append(f"{key + ' · trivial page':<24}" + "".join(_cell(variants["floor"], k) for k in KEYS))
        if "before" in variants:
            lines.append(f"{key + ' · before':<24}" + "".join(_cell(variants["before"], k) for k in KEYS))
        lines.append(f"{key:<24}" + "".join(_cell(variants["after"], k) for k in KEYS))
        if "maps_hidden" in variants:
            lines.append(f"{key + ' · maps hidden':<24}" + "".join(_cell(variants["maps_hidden"], k) for k in KEYS))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics.bench.browser", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the GridScope database the app serves")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", help="page keys, comma-separated (default: every page)")
    maps = parser.add_mutually_exclusive_group()
    maps.add_argument("--hide-maps", action="store_true", help="do not draw deck.gl maps (the map's share apart)")
    maps.add_argument(
        "--map-share", action="store_true", help="also the page with maps hidden, interleaved in the same run"
    )
    parser.add_argument(
        "--before", type=Path, help="another checkout (e.g. `git archive` of main) measured side by side"
    )
    args = parser.parse_args(argv)
    os.chdir(PROJECT_ROOT)
    keys = args.pages.split(",") if args.pages else None
    result = run(Path(args.db), args.runs, keys, args.hide_maps, args.before, args.map_share)
    print(render(result), file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

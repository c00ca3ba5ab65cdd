"""Where a page's browser time goes: script bytes, websocket bytes, elements and when each kind was drawn.

    python -m analytics.bench.anatomy --db PATH [--pages overview,trends] [--hide-maps]

One new browser session per page on a warm server (the page was visited once before, so the server's caches are
warm and the clock measures the browser): the JavaScript fetched (total, and the big lazily loaded chunks by
name: plotly, deck.gl, vega), the bytes the server sent over the websocket (the page's elements and figure JSON),
the number of elements by kind, the script runs, and the moments (seconds from navigation start) of the first
contentful paint, the first element of each kind, the end of the last script run, the end of loading of each big
lazy chunk and the page completely drawn (as :mod:`analytics.bench.browser`
defines it). Prints a table and one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from analytics.bench.browser import _DRAWN, TRIVIAL
from scripts.browser import PROJECT_ROOT, launch_browser, page_url, start_app, stop_app

# Lazily loaded Streamlit chunks worth naming (the file name up to its hash)
CHUNKS = {"PlotlyChart": "plotly", "DeckGlJsonChart": "deck.gl", "embed": "vega", "DataFrame": "dataframe"}
KINDS = {
    "plotly": "stPlotlyChart",
    "vega": "stVegaLiteChart",
    "deck": "stDeckGlJsonChart",
    "table": "stDataFrame",
    "metric": "stMetric",
    "markdown": "stMarkdown",
}
# Records the first moment each kind of element is in the page, and the number of script runs
_WATCH = """() => {
    window.__gsFirst = {}; window.__gsRuns = 0; let running = false;
    const kinds = %s;
    const look = () => {
        const now = performance.now();
        for (const [name, id] of Object.entries(kinds)) {
            if (window.__gsFirst[name] === undefined && document.querySelector(`[data-testid="${id}"]`))
                window.__gsFirst[name] = now;
        }
        const app = document.querySelector('[data-testid="stApp"]');
        const state = app && app.getAttribute('data-test-script-state');
        if (state === 'running' && !running) { window.__gsRuns += 1; running = true; }
        if (state === 'notRunning' && running) window.__gsRunEnd = now;  // the last script run's end
        if (state !== 'running') running = false;
    };
    new MutationObserver(look).observe(document, {subtree: true, childList: true, attributes: true});
}"""


def _chunk_name(url: str) -> str | None:
    match = re.search(r"/static/js/([^./]+)\.", url)
    return CHUNKS.get(match.group(1)) if match else None


def _chunks_loaded(loaded: dict) -> dict:
    """Seconds from navigation start at which each named lazy chunk finished loading (the latest of its files)."""
    out: dict[str, float] = {}
    for file, ms in loaded.items():
        name = _chunk_name("/static/js/" + file)
        if name:
            out[name] = max(out.get(name, 0.0), ms / 1000)
    return out


def probe(browser, url: str, timeout_ms: float = 120_000) -> dict:
    """One new session (new context: empty cache) on ``url``: bytes, elements and timings."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    scripts: dict[str, int] = {}
    chunks: dict[str, int] = {}
    socket = {"received": 0, "messages": 0}

    def on_response(response):
        if response.request.resource_type != "script":
            return
        try:
            size = len(response.body())
        except Exception:  # noqa: BLE001 - a response whose body is gone counts as 0 bytes
            size = 0
        scripts[response.url] = size
        name = _chunk_name(response.url)
        if name:
            chunks[name] = chunks.get(name, 0) + size

    def on_socket(ws):
        def received(payload):
            socket["received"] += len(payload)
            socket["messages"] += 1

        ws.on("framereceived", received)

    page.on("response", on_response)
    page.on("websocket", on_socket)
    page.add_init_script(f"document.addEventListener('DOMContentLoaded', {_WATCH % json.dumps(KINDS)})")
    try:
        page.goto(url, wait_until="commit", timeout=timeout_ms)
        page.wait_for_function(_DRAWN, arg=[500], timeout=timeout_ms, polling=50)
        facts = page.evaluate(
            """(kinds) => {
                const paint = performance.getEntriesByName('first-contentful-paint')[0];
                const counts = {};
                for (const [name, id] of Object.entries(kinds))
                    counts[name] = document.querySelectorAll(`[data-testid="${id}"]`).length;
                const loaded = {};  // when each script finished loading (ms from navigation start), by file name
                for (const r of performance.getEntriesByType('resource'))
                    if (r.initiatorType === 'script' || r.name.endsWith('.js'))
                        loaded[r.name.split('/').pop()] = r.responseEnd;
                return {drawn: window.__gsDrawnAt, fcp: paint ? paint.startTime : null, first: window.__gsFirst,
                        runs: window.__gsRuns, run_end: window.__gsRunEnd ?? null, loaded, counts,
                        elements: document.querySelectorAll('[data-testid="stElementContainer"]').length};
            }""",
            KINDS,
        )
    finally:
        context.close()
    return {
        "drawn_s": facts["drawn"] / 1000,
        "fcp_s": (facts["fcp"] or 0) / 1000,
        "first_s": {k: v / 1000 for k, v in (facts["first"] or {}).items()},
        "script_runs": facts["runs"],
        "run_end_s": None if facts["run_end"] is None else facts["run_end"] / 1000,
        "chunk_loaded_s": _chunks_loaded(facts["loaded"]),
        "elements": facts["elements"],
        "counts": {k: v for k, v in facts["counts"].items() if v},
        "js_kb": round(sum(scripts.values()) / 1024),
        "chunks_kb": {k: round(v / 1024) for k, v in chunks.items()},
        "socket_kb": round(socket["received"] / 1024),
        "socket_messages": socket["messages"],
    }


def run(db: Path, page_keys: list[str] | None, hide_maps: bool) -> dict:
    from playwright.sync_api import sync_playwright

    from ui.navigation import PAGES

    pages = [p for p in PAGES if page_keys is None or p.key in page_keys]
    env = {"GRIDSCOPE_HIDE_MAPS": "1"} if hide_maps else {}
    results = {}
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            for script, targets, environ in (
                (TRIVIAL, [("trivial", "")], {}),
                ("app.py", [(p.key, p.url_path) for p in pages], env),
            ):
                process, base = start_app(db, env=environ, script=script, timeout=120)
                try:
                    for name, path in targets:
                        url = page_url(base, path, "zh")
                        probe(browser, url)  # warms the server's caches
                        results[name] = probe(browser, url)
                finally:
                    stop_app(process)
        finally:
            browser.close()
    return {"db": str(db), "hide_maps": hide_maps, "pages": results}


def render(result: dict) -> str:
    lines = [
        f"{'page':<13}{'drawn s':>8}{'FCP s':>7}{'runs':>5}{'elems':>6}{'JS KB':>7}{'ws KB':>7}  chunks KB; first drawn s",
    ]
    for key, v in result["pages"].items():
        chunks = ", ".join(f"{k} {kb}" for k, kb in sorted(v["chunks_kb"].items()))
        firsts = ", ".join(f"{k} {s:.2f}" for k, s in sorted(v["first_s"].items(), key=lambda kv: kv[1]))
        if v.get("run_end_s") is not None:
            firsts += f"; script run ended {v['run_end_s']:.2f}"
        if v.get("chunk_loaded_s"):
            firsts += "; loaded " + ", ".join(f"{k} {t:.2f}" for k, t in sorted(v["chunk_loaded_s"].items()))
        lines.append(
            f"{key:<13}{v['drawn_s']:>8.2f}{v['fcp_s']:>7.2f}{v['script_runs']:>5}{v['elements']:>6}"
            f"{v['js_kb']:>7}{v['socket_kb']:>7}  {chunks}; {firsts}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics.bench.anatomy", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the GridScope database the app serves")
    parser.add_argument("--pages", help="page keys, comma-separated (default: every page)")
    parser.add_argument("--hide-maps", action="store_true", help="do not draw deck.gl maps")
    args = parser.parse_args(argv)
    os.chdir(PROJECT_ROOT)
    result = run(Path(args.db), args.pages.split(",") if args.pages else None, args.hide_maps)
    print(render(result), file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

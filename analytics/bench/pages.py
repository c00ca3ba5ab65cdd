"""Measure one registered page with Streamlit's ``AppTest`` (imported only by the benchmark).

Run as ``python -m analytics.bench.pages --db FILE --page pages/overview.py --runs 3`` in a fresh
process (the benchmark command starts one per page and size) and print one JSON object.

Per run:

- **cold**: a fresh ``AppTest`` opens the app and the page on a small city (``--prime-db``: same grids,
  so every module the page needs is imported and the session exists), waits for the background work that
  run started (the name model's load, the small city's heavy analyses), then the app is pointed at the
  measured city, every ``st.cache_data`` and ``st.cache_resource`` entry is cleared (the frame's
  loaders and the database connection start empty too) and the page is run;
- **rerun**: the same page run again with the same filters (every loader hits its cache);
- **filter_uncached**: the sidebar period preset changed (month → quarter): a cache miss;
- **filter_cached**: the preset changed back (quarter → month): a filter change served from the caches.

Each phase records the wall time of ``AppTest.run()``, the CPU time of the process during it (all threads;
on a machine shared with other work it grows far less than the wall time), the sum of the raw DuckDB query times of that
run (see :mod:`analytics.bench.tracing`) and the peak resident memory of the process during it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from analytics.bench import memory, tracing

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PHASES = ("cold", "rerun", "filter_uncached", "filter_cached")
TIMEOUT = 900


def _problems(at) -> list[str]:
    return [str(e.value)[:300] for e in at.exception] + [str(e.value)[:300] for e in at.error]


def _timed(at, ledger: tracing.Ledger) -> dict:
    ledger.reset()
    memory.reset_peak()
    began, cpu = time.perf_counter(), time.process_time()
    at.run()
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu,  # every thread of the process (DuckDB's too): less load-bound
        "query_seconds": ledger.seconds,
        "queries": ledger.queries,
        "peak_rss_mb": memory.peak_rss_mb(),
        "problems": _problems(at),
        "slowest": ledger.slowest(),
    }


def _set_period(at, preset: str) -> None:
    at.selectbox(key="filter_period").set_value(preset)


def _primed(db: str, prime_db: str | None, page: str):
    """A fresh AppTest that has run ``page`` once on ``prime_db`` (or ``db``) and now points at ``db``."""
    from streamlit.testing.v1 import AppTest

    os.environ["GRIDSCOPE_DB"] = prime_db or db
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = "zh"
    at.run()  # the frame and the default page: a session exists, the page can be switched to
    if page != "pages/overview.py":
        at.switch_page(page)
        if prime_db:
            at.run()
    _settle()
    os.environ["GRIDSCOPE_DB"] = db
    return at


def _settle() -> None:
    """Wait for the work the primed run left in the background: the name model's load (pages that mask case
    lists start it) and the small city's heavy analyses (``ui.heavy``; the insight page starts its repeat
    analyses as it ends). Left running, they hold the GIL during the measured cold run, which then measures
    them and not the page (a cProfile of the 20M insight page put 2.8 s of a 4.2 s cold run in two calls of
    8 ms and 0.5 s, waiting for the GIL)."""
    from concurrent.futures import wait

    from analytics import privacy_names
    from ui import heavy

    privacy_names.wait_preloaded()
    wait(heavy.running())


def one_run(db: str, prime_db: str | None, page: str, ledger: tracing.Ledger) -> dict:
    """Cold, rerun, uncached and cached filter change of ``page`` (one fresh AppTest)."""
    import streamlit as st

    at = _primed(db, prime_db, page)
    st.cache_data.clear()
    st.cache_resource.clear()
    out = {"cold": _timed(at, ledger), "rerun": _timed(at, ledger)}
    _set_period(at, "quarter")
    out["filter_uncached"] = _timed(at, ledger)
    _set_period(at, "month")
    out["filter_cached"] = _timed(at, ledger)
    return out


def profile_run(db: str, page: str, out: Path, prime_db: str | None = None, phase: str = "cold", top: int = 40) -> str:
    """cProfile of one cold (or cached ``rerun``) run of ``page`` in the script thread; writes ``out`` (.prof)
    and returns the top calls by cumulative time."""
    import cProfile
    import io
    import pstats

    import streamlit as st
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    tracing.install()
    profiler = cProfile.Profile()
    original = ScriptRunner._run_script
    armed = {"on": False}

    def run_script(self, *args, **kwargs):
        if not armed["on"]:
            return original(self, *args, **kwargs)
        profiler.enable()
        try:
            return original(self, *args, **kwargs)
        finally:
            profiler.disable()

    ScriptRunner._run_script = run_script
    at = _primed(db, prime_db, page)
    st.cache_data.clear()
    st.cache_resource.clear()
    if phase == "rerun":
        at.run()
    armed["on"] = True
    at.run()
    ScriptRunner._run_script = original
    profiler.dump_stats(str(out))
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(top)
    return text.getvalue()


def measure(db: str, page: str, runs: int, prime_db: str | None = None) -> dict:
    """Median of ``runs`` runs per phase, with every run's numbers kept."""
    tracing.install()
    base_rss = memory.current_rss_mb()
    all_runs = [one_run(db, prime_db, page, tracing.LEDGER) for _ in range(runs)]
    summary = {}
    for phase in PHASES:
        rows = [r[phase] for r in all_runs]
        summary[phase] = {
            "seconds": statistics.median(r["seconds"] for r in rows),
            "cpu_seconds": statistics.median(r["cpu_seconds"] for r in rows),
            "query_seconds": statistics.median(r["query_seconds"] for r in rows),
            "queries": max(r["queries"] for r in rows),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in rows),
        }
    problems = sorted({p for r in all_runs for phase in PHASES for p in r[phase]["problems"]})
    return {"page": page, "runs": all_runs, "median": summary, "problems": problems, "rss_before_mb": base_rss}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--page", required=True, help="a registered page file, e.g. pages/overview.py")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--prime-db", help="a small city with the same grids, run first to import and warm up")
    parser.add_argument("--profile", metavar="FILE.prof", help="profile one run instead; print the top calls")
    parser.add_argument("--phase", choices=("cold", "rerun"), default="cold", help="the run --profile profiles")
    args = parser.parse_args(argv)
    import logging

    logging.disable(logging.WARNING)
    memory.reset_peak()  # a child inherits its parent's peak (ru_maxrss survives fork and exec): start afresh
    if args.profile:
        sys.stdout.write(profile_run(args.db, args.page, Path(args.profile), args.prime_db, args.phase))
        return 0
    result = measure(args.db, args.page, args.runs, args.prime_db)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Not waiting for the background analyses the page started (ui.heavy's workers, which the interpreter joins at
    # exit): at 20M the insight page's repeat analysis would keep this process alive for minutes and 3.4 GB after
    # its result was printed.
    os._exit(code)

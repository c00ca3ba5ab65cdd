"""A page's first run in a fresh process, with the time spent importing modules measured and set apart.

    python -X importtime -m analytics.bench.fresh --db FILE --page pages/overview.py

The child starts ``AppTest`` on the measured city directly (no priming, no cached loader, no connection):
what a new server process does for its first visitor. It prints one JSON line with the wall time of that
run; Python's ``-X importtime`` report (stderr) between two markers gives the imports done during the run,
and the parent (:func:`measure`) subtracts their total. "Fresh, imports excluded" is what the first visitor
waits for beyond loading the code: first connection, first queries, first figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from analytics.bench.machine import ROOT, worker_environment

START, END = "gridscope-bench-run-start", "gridscope-bench-run-end"
# "import time:       123 |       4567 |   package.module" (the name indented two spaces per nesting level)
LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S.*)$")


def import_seconds(stderr: str) -> float:
    """Total time of the outermost imports reported between :data:`START` and :data:`END`.

    Examples
    --------
    >>> text = "\\n".join([START, "import time:        10 |         10 |     a.b",
    ...                    "import time:        30 |         40 |   a", END])
    >>> import_seconds(text)
    4e-05
    """
    inside, entries = False, []
    for line in stderr.splitlines():
        if line == START:
            inside = True
        elif line == END:
            inside = False
        elif inside and (match := LINE.match(line)):
            entries.append((len(match.group(3)), int(match.group(2))))
    if not entries:
        return 0.0
    outer = min(depth for depth, _ in entries)
    return sum(cumulative for depth, cumulative in entries if depth == outer) / 1e6


def measure(db: str, page: str, runs: int, root: Path = ROOT) -> dict:
    """Medians over ``runs`` fresh processes: wall time of the first run, imports in it, and the rest.
    ``root``: the checkout whose app runs (another commit's, to compare; it needs this module too)."""
    samples = []
    for _ in range(runs):
        cmd = [sys.executable, "-X", "importtime", "-m", "analytics.bench.fresh", "--db", db, "--page", page]
        env = {**worker_environment(), "PYTHONPATH": str(root)}
        done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            return {"error": done.stderr[-2000:]}
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["import_seconds"] = import_seconds(done.stderr)
        result["without_imports"] = result["seconds"] - result["import_seconds"]
        samples.append(result)
    return {
        "runs": samples,
        **{
            k: statistics.median(s[k] for s in samples)
            for k in ("seconds", "cpu_seconds", "import_seconds", "without_imports")
        },
        "problems": sorted({p for s in samples for p in s["problems"]}),
    }


def first_run(db: str, page: str) -> dict:
    """The first ``AppTest`` run of ``page`` on ``db`` in this process (the markers around it on stderr)."""
    from streamlit.testing.v1 import AppTest

    os.environ["GRIDSCOPE_DB"] = db
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    at.query_params["lang"] = "zh"
    if page != "pages/overview.py":
        at.switch_page(page)
    print(START, file=sys.stderr, flush=True)
    began, cpu = time.perf_counter(), time.process_time()
    at.run()
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    print(END, file=sys.stderr, flush=True)
    problems = [str(e.value)[:300] for e in at.exception] + [str(e.value)[:300] for e in at.error]
    return {"page": page, "seconds": seconds, "cpu_seconds": cpu_seconds, "problems": problems}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--page", required=True)
    args = parser.parse_args(argv)
    import logging

    logging.disable(logging.WARNING)
    sys.stdout.write(json.dumps(first_run(args.db, args.page)) + "\n")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Not waiting for the background analyses the page started (ui.heavy's workers, which the interpreter joins at
    # exit): at 20M the insight page's repeat analysis would keep this process alive for minutes and 3.4 GB after
    # its result was printed.
    os._exit(code)

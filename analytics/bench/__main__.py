"""``python -m analytics.bench``: page render times, query times, memory and the pandas baseline at city scale.

    python -m analytics.bench [--sizes 1m,20m] [--runs 3] [--out bench-results/] [--dbdir /tmp/gridscope-bench] [--sync]
                              [--import-speed]

For each size it builds (or reuses) a demo city, then measures every registered page in a fresh process
(:mod:`analytics.bench.pages`) and the pandas baseline (:mod:`analytics.bench.baseline`), prints a table
with the budgets of ``shared/spec/product.md`` §5 and writes one JSON file per run to ``--out``.
Not part of the test suite: budgets are measured here, never by timed unit tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from analytics.bench import cities, report
from analytics.bench.machine import ROOT, load_average, machine_info, worker_environment

PRIME_CASES = 5_000  # the small city each page runs on first (same grids and seed), not measured


def _worker(module: str, *args: str, timeout: float = 7200, root: Path = ROOT) -> dict:
    cmd = [sys.executable, "-m", module, *args]
    env = {**worker_environment(), "PYTHONPATH": str(root)}
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout)[-2000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def measure_pages(db: Path, prime: Path, pages, runs: int, entry: dict, save, before: Path | None = None) -> dict:
    """Every page in a fresh worker; with ``before`` (another checkout) the same page there right after, so
    that both are measured side by side under the same load."""
    roots = [("pages", ROOT)] + ([("before_pages", before)] if before else [])
    for page in pages:
        for slot, root in roots:
            log(f"bench: {db.name}: {page.key} ({runs} runs){' before' if root != ROOT else ''}")
            args = ["--db", str(db), "--page", page.path, "--runs", str(runs), "--prime-db", str(prime)]
            entry.setdefault(slot, {})[page.key] = _worker("analytics.bench.pages", *args, root=root)
            save()
    return entry["pages"]


def measure_fresh(db: Path, pages, keys: list[str], runs: int, entry: dict, save, before: Path | None) -> None:
    """The first run in a fresh process, imports measured apart (:mod:`analytics.bench.fresh`)."""
    from analytics.bench import fresh

    roots = [("fresh", ROOT)] + ([("before_fresh", before)] if before else [])
    for page in pages:
        if page.key not in keys:
            continue
        for slot, root in roots:
            log(f"bench: {db.name}: {page.key} in a fresh process{' before' if root != ROOT else ''}")
            entry.setdefault(slot, {})[page.key] = fresh.measure(str(db), page.path, runs, root)
            save()


def measure_baseline(db: Path, runs: int, memory_fraction: float) -> dict:
    """Medians of ``runs`` GridScope runs and of the pandas runs (one pandas run when it is slow)."""
    log(f"bench: {db.name}: pandas baseline")
    ours = [_worker("analytics.bench.baseline", "--db", str(db), "--side", "gridscope") for _ in range(runs)]
    theirs = [
        _worker(
            "analytics.bench.baseline", "--db", str(db), "--side", "pandas", "--memory-fraction", str(memory_fraction)
        )
    ]
    if "seconds" in theirs[0] and theirs[0]["seconds"] < 60:
        theirs += [
            _worker(
                "analytics.bench.baseline",
                "--db",
                str(db),
                "--side",
                "pandas",
                "--memory-fraction",
                str(memory_fraction),
            )
            for _ in range(runs - 1)
        ]
    return report.baseline_summary(ours, theirs)


def measure_browser(db: Path, runs: int, keys: list[str]) -> dict:
    """Browser timings (new session, first visit, returning user) of each page with its maps drawn and hidden,
    interleaved in one run beside the floor (``--map-share``), so the map's share is measured under one load."""
    log(f"bench: {db.name}: browser timing (maps drawn and hidden)")
    args = ["--db", str(db), "--runs", str(runs), "--pages", ",".join(keys), "--map-share"]
    result = _worker("analytics.bench.browser", *args)
    if "pages" in result:
        from analytics.bench.browser import render

        log(render(result))
    return result


def profile_pages(db: Path, prime: Path, keys: list[str], pages, out: Path, size: str) -> dict:
    written = {}
    for page in pages:
        if page.key not in keys:
            continue
        target = out / f"profile-{size}-{page.key}"
        log(f"bench: profiling {page.key} at {size}")
        cmd = [
            sys.executable,
            "-m",
            "analytics.bench.pages",
            "--db",
            str(db),
            "--page",
            page.path,
            "--prime-db",
            str(prime),
            "--profile",
            str(target.with_suffix(".prof")),
        ]
        done = subprocess.run(
            cmd,
            cwd=ROOT,
            env={**worker_environment(), "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=7200,
        )
        target.with_suffix(".txt").write_text(done.stdout or done.stderr)
        written[page.key] = str(target.with_suffix(".txt"))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1m,20m", help="case counts, comma-separated (1m, 20m, 300k, ...)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; medians are reported")
    parser.add_argument("--out", default="bench-results", help="folder for the JSON results (and profiles)")
    parser.add_argument("--dbdir", default="/tmp/gridscope-bench", help="where the demo cities are built and reused")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--grids", type=int, default=400)
    parser.add_argument("--pages", help="page keys to measure, comma-separated (default: every registered page)")
    parser.add_argument("--skip-baseline", action="store_true", help="do not run the pandas baseline")
    parser.add_argument(
        "--memory-fraction",
        type=float,
        default=0.6,
        help="share of available memory the pandas baseline may use (default 0.6)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile every page that misses a budget")
    parser.add_argument(
        "--fresh-pages",
        default="overview",
        help="pages also measured in a fresh process, imports apart (comma-separated keys; 'none' for none)",
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout (e.g. an earlier commit, with this bench package copied in): each page is "
        "measured there too, right after this one, and the report compares them",
    )
    parser.add_argument(
        "--browser",
        action="store_true",
        help="also time every page in headless Chromium beside a trivial page (analytics.bench.browser), "
        "once with maps drawn and once with maps hidden",
    )
    parser.add_argument(
        "--sync", action="store_true", help="also run the sync sub-benchmark (analytics.bench.sync) at each size"
    )
    parser.add_argument(
        "--import-speed",
        action="store_true",
        help="also measure the import (analytics.bench.importbench): the Boston file and a generated CSV "
        "of the largest size, rows/s and peak memory",
    )
    args = parser.parse_args(argv)

    from ui.navigation import PAGES  # the registry only (no Streamlit import)

    chosen = set(args.pages.split(",")) if args.pages else {p.key for p in PAGES}
    unknown = chosen - {p.key for p in PAGES}
    if unknown:
        parser.error(f"unknown page(s): {', '.join(sorted(unknown))}")
    pages = [p for p in PAGES if p.key in chosen]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now()
    result = {
        "started": started.isoformat(timespec="seconds"),
        "machine": machine_info(),
        "runs": args.runs,
        "seed": args.seed,
        "grids": args.grids,
        "sizes": {},
    }
    commit = (result["machine"].get("git_commit") or "nogit")[:8]
    path = out / f"bench-{started:%Y%m%d-%H%M%S}-{commit}.json"

    def save() -> None:  # after every measurement, so an interrupted run keeps what it measured
        path.write_text(json.dumps(result, indent=1, default=str))

    prime, _ = cities.ensure_city(Path(args.dbdir), PRIME_CASES, args.seed, args.grids, log)
    for text in args.sizes.split(","):
        cases = cities.parse_size(text)
        size = cities.label(cases)
        db, build_seconds = cities.ensure_city(Path(args.dbdir), cases, args.seed, args.grids, log)
        entry = result["sizes"][size] = {"cases": cases, "db": str(db), "build_seconds": build_seconds, "pages": {}}
        measure_pages(db, prime, pages, args.runs, entry, save, args.before)
        fresh_keys = [] if args.fresh_pages == "none" else args.fresh_pages.split(",")
        measure_fresh(db, pages, fresh_keys, args.runs, entry, save, args.before)
        if not args.skip_baseline:
            entry["baseline"] = measure_baseline(db, args.runs, args.memory_fraction)
        if args.browser:
            entry["browser"] = measure_browser(db, args.runs, [p.key for p in pages])
        if args.sync:
            log(f"bench: {db.name}: sync from PostgreSQL")
            entry["sync"] = _worker("analytics.bench.sync", "--cases", text, "--dbdir", args.dbdir, "--out", str(out))
        entry["budgets"] = report.check_budgets(cases, entry["pages"], entry.get("fresh", {}))
        entry["load_average_after"] = load_average()
        if args.profile:
            missed = sorted({b["page"] for b in entry["budgets"] if b["met"] is False})
            entry["profiles"] = profile_pages(db, prime, missed, pages, out, size)
        save()
    if args.import_speed:
        largest = max(args.sizes.split(","), key=cities.parse_size)
        log(f"bench: import speed (Boston file and a generated {largest}-row CSV)")
        work = str(Path(args.dbdir) / "import")
        result["import"] = _worker("analytics.bench.importbench", "--rows", largest, "--workdir", work)
        save()
    result["seconds"] = (dt.datetime.now() - started).total_seconds()
    save()
    print(report.render(result))
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``python -m analytics.bench.importbench``: import speed and peak memory (issue 16), one process per import.

    python -m analytics.bench.importbench [--boston DIR] [--rows 20m] [--workdir /tmp/gridscope-bench/import]

Each import is ``python -m analytics import`` in a child process; its rows/s come from the command's own
``seconds`` (mapping, validation, locating, writing, the text index, the report; not Python's start-up)
and beside them the wall time of the whole command; the peak resident memory is the child's
(``wait4``), Python and libraries included; ``stages`` gives the wall and CPU seconds of each step of the
import (what the command logs, :class:`analytics.ingest.pipeline.Stages`). Two inputs:

- the real Boston file (``boston311_2015.parquet``, 121,145 rows) with the 255 precincts as grids and the
  ``boston311`` preset, the command ``docs/import.md`` shows;
- a generated CSV in the Boston export's shape (``--rows``, default 20 M): ids, the export's time format,
  200,000 distinct addresses (a city's worth) around Boston, titles from 2,000 per type, and planted bad
  rows (every 100,000th row has an unreadable time, every 1,000,000th repeats an earlier id), imported with
  the same preset and precincts. It is written once by DuckDB and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from analytics.bench import cities
from analytics.bench.machine import ROOT, load_average

BOSTON = ROOT.parent / "shared" / "data" / "real" / "boston311_2015"
TYPES = 150
ADDRESSES = 200_000

GENERATED_SQL = """
COPY (
    WITH rows AS (SELECT range AS i, (hash(range) >> 2)::BIGINT AS h FROM range($rows))
    SELECT
        CASE WHEN i % 1000000 = 999999 THEN 101000000000 + i - 500000 ELSE 101000000000 + i END AS CASE_ENQUIRY_ID,
        CASE WHEN i % 100000 = 50000 THEN 'not a date'
             ELSE strftime(TIMESTAMP '2015-01-01' + INTERVAL (i * 31536 // ($rows // 1000)) SECOND,
                           '%m/%d/%Y %I:%M:%S %p') END AS OPEN_DT,
        strftime(TIMESTAMP '2015-01-01' + INTERVAL (i * 31536 // ($rows // 1000) + 259200) SECOND,
                 '%m/%d/%Y %I:%M:%S %p') AS TARGET_DT,
        CASE WHEN h % 10 < 8 THEN strftime(TIMESTAMP '2015-01-01'
             + INTERVAL (i * 31536 // ($rows // 1000) + (h >> 8) % 400000) SECOND, '%m/%d/%Y %I:%M:%S %p') END
            AS CLOSED_DT,
        CASE WHEN h % 10 < 8 THEN 'Closed' ELSE 'Open' END AS CASE_STATUS,
        'Request type ' || (h >> 16) % $types || ' - detail ' || (h >> 24) % 2000 AS CASE_TITLE,
        'Department ' || (h >> 16) % 12 AS SUBJECT,
        'Reason ' || (h >> 16) % 40 AS REASON,
        'Type ' || (h >> 16) % $types AS TYPE,
        ['Constituent Call', 'Citizens Connect App', 'Employee Generated', 'Self Service', 'City Worker App']
            [1 + (h >> 32) % 5] AS Source,
        round(42.23 + (((hash(a) >> 2)::BIGINT % 100000) / 100000.0) * 0.17, 6) AS LATITUDE,
        round(-71.17 + (((hash(a * 7 + 1) >> 2)::BIGINT % 100000) / 100000.0) * 0.17, 6) AS LONGITUDE,
        'Ward ' || ((hash(a) >> 2)::BIGINT % 22 + 1) AS ward,
        a || ' Example St' AS Location
    FROM (SELECT *, (h >> 40) % $addresses AS a FROM rows)
) TO '{path}' (HEADER, DELIMITER ',')
"""


def generate_csv(path: Path, rows: int) -> float:
    """Write the generated export (see the module docstring) unless it is there; seconds taken."""
    if path.exists():
        return 0.0
    began = time.perf_counter()
    partial = path.with_suffix(".partial.csv")
    con = duckdb.connect(config={"memory_limit": "2GB"})
    try:
        sql = GENERATED_SQL.replace("{path}", str(partial).replace("'", "''"))
        con.execute(sql, {"rows": rows, "types": TYPES, "addresses": ADDRESSES})
    finally:
        con.close()
    os.replace(partial, path)
    return round(time.perf_counter() - began, 1)


def run_import(root: Path, db: Path, cases: Path, boundaries: Path) -> dict:
    """One ``python -m analytics import`` in a child process: its JSON, wall seconds and peak RSS."""
    command = [sys.executable, "-m", "analytics", "import", "--db", str(db), "--cases", str(cases)]
    command += ["--preset", "boston311", "--boundaries", str(boundaries), "--boundary-id", "WARD_PRECINCT"]
    began = time.perf_counter()
    with open(db.with_suffix(".out"), "w+") as out, open(db.with_suffix(".err"), "w+") as err:
        child = subprocess.Popen(command, cwd=root, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)  # the child's own peak resident memory
        wall = time.perf_counter() - began
        out.seek(0), err.seek(0)
        text, errors = out.read(), err.read()
    if os.waitstatus_to_exitcode(status) != 0:
        return {"error": errors[-2000:]}
    result = json.loads(text)
    return {
        "rows_in": result["rows_in"],
        "rows_loaded": result["rows_loaded"],
        "rows_rejected": result["rows_rejected"],
        "seconds": result["seconds"],
        "rows_per_second": result["rows_per_second"],
        "wall_seconds": round(wall, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        # CPU seconds of the command (all its threads): on a shared machine, wall time mostly measures the others
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "rows_per_cpu_second": round(result["rows_in"] / max(usage.ru_utime + usage.ru_stime, 1e-9)),
        "stages": stage_seconds(errors),
        "load_average_after": load_average(),
    }


STAGE_LINE = re.compile(r"^import: stage (.+): ([0-9.]+) s, ([0-9.]+) CPU s$", re.MULTILINE)


def stage_seconds(log: str) -> dict[str, list[float]]:
    """``{stage: [wall s, CPU s]}`` from the ``import: stage …`` lines the command logs to stderr
    (:class:`analytics.ingest.pipeline.Stages`; a checkout without them gives ``{}``)."""
    return {name: [float(wall), float(cpu)] for name, wall, cpu in STAGE_LINE.findall(log)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics.bench.importbench", description=__doc__.splitlines()[0])
    parser.add_argument("--boston", default=str(BOSTON), help="folder of the Boston files (shared/data/real)")
    parser.add_argument("--rows", default="20m", help="rows of the generated CSV (0: skip it)")
    parser.add_argument("--workdir", default="/tmp/gridscope-bench/import")
    parser.add_argument("--root", default=str(ROOT), help="the checkout whose import is measured")
    parser.add_argument("--skip-boston", action="store_true", help="only the generated CSV")
    args = parser.parse_args(argv)
    work, boston = Path(args.workdir), Path(args.boston)
    work.mkdir(parents=True, exist_ok=True)
    precincts = boston / "boston_precincts_wgs84.geojson"
    out: dict = {"root": args.root}
    if (boston / "boston311_2015.parquet").exists() and not args.skip_boston:
        out["boston"] = run_import(
            Path(args.root), work / "boston.duckdb", boston / "boston311_2015.parquet", precincts
        )
    rows = cities.parse_size(args.rows) if args.rows != "0" else 0
    if rows and precincts.exists():
        csv = work / f"generated-{cities.label(rows)}.csv"
        out["generate_seconds"] = generate_csv(csv, rows)
        out["generated"] = run_import(Path(args.root), work / f"generated-{cities.label(rows)}.duckdb", csv, precincts)
        out["generated"]["file_mb"] = round(csv.stat().st_size / 2**20)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Build the cube from a lake on DuckDB or on Spark: the same statements (:mod:`analytics.cube.dialect`).

Output folder::

    OUT/daily/*.parquet, OUT/open_changes/..., OUT/suspended_spans/..., OUT/self_handled/...,
    OUT/handling_histogram/...        the cube tables, one folder each (written by the engine)
    OUT/cube.duckdb                   those tables, the lake's grids and meta, and views over the lake's cases
                                      and other tables, for the dashboard's cube mode (``GRIDSCOPE_DB=OUT/cube.duckdb``)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from pathlib import Path

import duckdb

from analytics.cube.dialect import CUBE_TABLES, cube_settings, statements
from analytics.lake.export import LakeError, lake_cases_glob, limit_memory, replaced_atomically

CUBE_DB = "cube.duckdb"
COPIED_TABLES = ("grids", "meta")  # read by every query: copied into cube.duckdb; the others stay in the lake
# Roll-ups without category and source (``<table>_by_kind``): the cube read for a filter set without a
# category, major class or source filter (the usual overview) scans these, whatever the number of categories.
CATEGORY_COLUMNS = ("category_code", "category_major", "source")
ROLLUPS = {
    "daily": ("grid_id", "day", "kind"),
    "open_changes": ("grid_id", "day", "kind"),
    "self_handled": ("grid_id", "day", "closed_day", "kind"),
    "handling_histogram": ("grid_id", "day", "kind", "bin"),
}
# The department tables summed over the grids (``<table>_all_grids``): the department alerts of a filter set
# without an area, scope, category, major class or source read these (departments × days × kinds rows).
DEPARTMENT_ROLLUPS = {
    "department_daily": ("day", "kind", "department"),
    "department_histogram": ("day", "kind", "department", "bin"),
}
DAY_ORDERED = (*ROLLUPS, *DEPARTMENT_ROLLUPS)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _quote(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _check_lake(lake: Path) -> None:
    if not (lake / "cases").is_dir() or not any((lake / "cases").rglob("*.parquet")):
        raise LakeError(f"not a GridScope lake (no Parquet files under {lake / 'cases'})")


WHOLE_RANGE = (dt.date(1, 1, 1), dt.date(9999, 12, 31))  # a one-shot build: every day of every table


def _month_start(day: dt.date, months: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def build_periods(first: dt.date | None, last: dt.date | None, step_months: int) -> list[tuple[dt.date, dt.date]]:
    """The ``[start, end)`` periods of a stepwise build: ``step_months`` calendar months each from the month of
    ``first`` to that of ``last`` (the first report and the last one), the first open to the past and the
    last to the future, so every day of every cube table falls in exactly one period. ``step_months = 0``, or
    no cases: one period.

    Examples
    --------
    >>> build_periods(dt.date(2025, 11, 28), dt.date(2026, 1, 3), 1)[1]
    (datetime.date(2025, 12, 1), datetime.date(2026, 1, 1))
    >>> len(build_periods(dt.date(2025, 11, 28), dt.date(2026, 1, 3), 0))
    1
    """
    if isinstance(step_months, bool) or not isinstance(step_months, int) or step_months < 0:
        raise ValueError(f"[cube] duckdb_step_months must be a whole number of months >= 0, not {step_months!r}")
    if step_months == 0 or first is None or last is None:
        return [WHOLE_RANGE]
    cuts = []
    cut = _month_start(first, step_months)
    while cut <= last:
        cuts.append(cut)
        cut = _month_start(cut, step_months)
    bounds = [WHOLE_RANGE[0], *cuts, WHOLE_RANGE[1]]
    return list(zip(bounds[:-1], bounds[1:]))


def build_duckdb(
    lake: Path, out: Path, settings: dict[str, int], cfg: dict | None = None, tables: tuple[str, ...] = CUBE_TABLES
) -> None:
    """Run the cube statements on DuckDB over the lake's Parquet files, writing ``out/<table>/``.

    Each statement runs once per period of :func:`build_periods` (``[cube] duckdb_step_months``; one month by
    default), each writing one Parquet file, so the memory a step needs follows the cases of a month, not of
    the lake; DuckDB spills beyond ``[cube] duckdb_memory_limit`` to ``[cube] duckdb_temp_directory``.
    ``tables`` limits the build to some of the cube tables (:func:`add_missing_tables`).
    """
    from analytics.config import DEFAULTS

    cube = {**DEFAULTS["cube"], **(cfg or {}).get("cube", {})}
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    limit_memory(con, cfg)
    spill = Path(cube["duckdb_temp_directory"]) if cube["duckdb_temp_directory"] else out.parent / ".gridscope-spill"
    con.execute(f"SET temp_directory = {_quote(spill)}")  # not the working directory
    con.execute(
        f"CREATE VIEW cases AS SELECT * FROM read_parquet({_quote(lake_cases_glob(lake))}, hive_partitioning = true)"
    )
    first, last = con.execute(
        "SELECT CAST(min(reported_at) AS DATE), CAST(max(reported_at) AS DATE) FROM cases"
    ).fetchone()
    periods = build_periods(first, last, cube["duckdb_step_months"])
    for name, sql in statements(settings, "duckdb").items():
        if name not in tables:
            continue
        target = out / name
        target.mkdir(parents=True)
        for number, (start, end) in enumerate(periods):
            con.execute(
                f"COPY ({sql}) TO {_quote(target / f'part-{number:04d}.parquet')} (FORMAT parquet, COMPRESSION zstd)",
                {"period_start": start, "period_end": end},
            )
    con.close()


def spark_session(cfg: dict | None = None, local: bool = True):
    """A Spark session: local mode with the ``[cube]`` settings, or (``local=False``, under spark-submit) the
    cluster's, with the master and memory spark-submit gave it.

    The session reads timestamps as wall-clock (``TIMESTAMP_NTZ``, as the lake stores them), in UTC, with
    no web UI and no partition-type guessing (district codes stay text).
    """
    from pyspark.sql import SparkSession

    from analytics.config import DEFAULTS

    settings = {**DEFAULTS["cube"], **(cfg or {}).get("cube", {})}
    builder = SparkSession.builder.appName("gridscope-cube")
    if local:
        builder = builder.master(settings["spark_master"]).config(
            "spark.driver.memory", settings["spark_driver_memory"]
        )
    return (
        builder.config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(settings["spark_shuffle_partitions"]))
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )


def build_spark(lake: Path | str, out: Path | str, settings: dict[str, int], spark) -> None:
    """Run the transpiled cube statements on Spark, writing ``out/<table>/`` (paths may be HDFS or S3 URIs)."""
    cases_root = f"{str(lake).rstrip('/')}/cases"
    frame = spark.read.option("basePath", cases_root).option("recursiveFileLookup", "false").parquet(cases_root)
    frame.createOrReplaceTempView("cases")
    start, end = WHOLE_RANGE  # Spark splits the work itself: one period, the same SQL text
    for name, sql in statements(settings, "spark").items():
        # ISO text, cast to DATE/TIMESTAMP in the SQL (py4j renders date(1, 1, 1) as "1-01-01", which Java rejects)
        frame = spark.sql(sql, args={"period_start": start.isoformat(), "period_end": end.isoformat()})
        frame.write.mode("errorifexists").parquet(f"{str(out).rstrip('/')}/{name}")


SNAPSHOT = "open_snapshot_by_kind"
# The grid x month handling-time histogram: a period's whole months read ~grids x bins rows per month, not the
# day rows (analytics.cube.read.histogram_sql).
# Reports per day, kind and category over every grid and source: the category counts and spike alerts of a filter
# set without an area, scope or source read ~days x categories rows, not every grid's (analytics.cube.series).
CATEGORY_DAILY_SQL = """CREATE TABLE daily_by_category AS
SELECT day, kind, category_code, category_major, sum(reported)::BIGINT AS reported
FROM daily GROUP BY ALL ORDER BY day"""
MONTHLY_HISTOGRAM_SQL = """CREATE TABLE handling_histogram_by_month AS
SELECT grid_id, CAST(date_trunc('month', day) AS DATE) AS month, kind, bin, sum(cases)::BIGINT AS cases
FROM handling_histogram_by_kind GROUP BY ALL ORDER BY month, grid_id"""


def add_department_rollup(con: duckdb.DuckDBPyConnection, name: str, keys: tuple[str, ...]) -> None:
    """``<name>_all_grids``: the department table ``name`` summed over its grids, grouped by ``keys``."""
    sums = ", ".join(f"sum({c})::BIGINT AS {c}" for c in _columns(con, name) if c not in (*keys, "grid_id"))
    con.execute(
        f"CREATE TABLE {name}_all_grids AS SELECT {', '.join(keys)}, {sums} FROM {name} GROUP BY ALL ORDER BY day"
    )


def snapshot_sql(columns: list[str]) -> str:
    """``open_snapshot_by_kind``: the day-end snapshot of every grid and kind on every day from the first to
    the last change (the running sums of ``open_changes_by_kind``) from the grid and kind's first change on
    (before it a grid has no row, as in the sum of its changes); ordered by day, so the overview reads the one
    day ending its period, not the changes of all history."""
    keys = ("grid_id", "day", "kind")
    sums = ",\n".join(f"CAST(sum(coalesce(o.{c}, 0)) OVER w AS BIGINT) AS {c}" for c in columns if c not in keys)
    return f"""CREATE TABLE {SNAPSHOT} AS
WITH bounds AS (SELECT min(day) AS first, max(day) AS last FROM open_changes_by_kind),
days AS (SELECT CAST(unnest(generate_series(first, last, INTERVAL 1 DAY)) AS DATE) AS day FROM bounds),
grid_kinds AS (SELECT DISTINCT grid_id, kind FROM open_changes_by_kind),
dense AS (
    SELECT k.grid_id, d.day, k.kind, {sums}, count(o.day) OVER w AS changes_so_far
    FROM grid_kinds k CROSS JOIN days d
    LEFT JOIN open_changes_by_kind o
      ON o.grid_id IS NOT DISTINCT FROM k.grid_id AND o.kind IS NOT DISTINCT FROM k.kind AND o.day = d.day
    WINDOW w AS (PARTITION BY k.grid_id, k.kind ORDER BY d.day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT * EXCLUDE (changes_so_far) FROM dense WHERE changes_so_far > 0 ORDER BY day, grid_id"""


def assemble_cube_db(
    lake: Path, out: Path, settings: dict[str, int], engine: str, seconds: float, cfg: dict | None = None
) -> Path:
    """``out/cube.duckdb``: the cube tables and the lake's reference tables, with ``meta.cube`` set."""
    path = out / CUBE_DB
    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")
    limit_memory(con, cfg)
    for name in CUBE_TABLES:
        order = "day, grid_id" if name in DAY_ORDERED else "grid_id"
        con.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_parquet({_quote(out / name / '*.parquet')}) ORDER BY {order}"
        )
    for name, keys in ROLLUPS.items():
        sums = ", ".join(f"sum({c})::BIGINT AS {c}" for c in _columns(con, name) if c not in (*keys, *CATEGORY_COLUMNS))
        group = ", ".join(keys)
        con.execute(
            f"CREATE TABLE {name}_by_kind AS SELECT {group}, {sums} FROM {name} GROUP BY ALL ORDER BY day, grid_id"
        )
    for name, keys in DEPARTMENT_ROLLUPS.items():
        add_department_rollup(con, name, keys)
    con.execute(MONTHLY_HISTOGRAM_SQL)
    con.execute(CATEGORY_DAILY_SQL)
    con.execute(snapshot_sql(_columns(con, "open_changes_by_kind")))
    for source in sorted(
        lake.glob("*.parquet")
    ):  # the lake's other tables: grids and meta copied, the rest read in place
        table = source.stem
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table) or table in CUBE_TABLES:
            continue
        kind = "TABLE" if table in COPIED_TABLES else "VIEW"
        con.execute(f"CREATE {kind} {table} AS SELECT * FROM read_parquet({_quote(source.resolve())})")
    # Pages that need case rows (lists, points, text) read the lake in place through this view; DuckDB
    # prunes files and row groups by the period and area filters.
    glob = _quote(lake_cases_glob(lake.resolve()))
    con.execute(
        f"CREATE VIEW cases AS SELECT * EXCLUDE (year, month, district) FROM read_parquet({glob}, hive_partitioning = true)"
    )
    if "meta" not in {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}:
        con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    cube_meta = {
        "cube": "true",
        "cube_engine": engine,
        "cube_built_at": dt.datetime.now().isoformat(timespec="seconds"),
        "cube_build_seconds": f"{seconds:.1f}",
        "cube_settings": json.dumps(settings, sort_keys=True),
    }
    con.executemany("DELETE FROM meta WHERE key = ?", [[k] for k in cube_meta])
    con.executemany("INSERT INTO meta VALUES (?, ?)", list(cube_meta.items()))
    con.close()
    return path


def build_cube(
    lake: str | os.PathLike,
    out: str | os.PathLike,
    engine: str = "duckdb",
    cfg: dict | None = None,
    replace: bool = False,
    spark=None,
) -> dict:
    """Build the cube of ``lake`` into ``out`` on ``engine`` (``duckdb`` or ``spark``); return a summary.

    The folder is built beside ``out`` and renamed into place when complete. ``spark`` is an existing
    session (tests share one); without it a session is made by :func:`spark_session`.
    """
    lake, out = Path(lake), Path(out)
    _check_lake(lake)
    settings = cube_settings(cfg)
    if out.exists() and not replace:
        raise LakeError(f"the cube folder already exists: {out} (use --replace to rebuild it)")
    started = time.perf_counter()
    with replaced_atomically(out) as staging:
        if engine == "duckdb":
            staging.mkdir()
            build_duckdb(lake, staging, settings, cfg)
        elif engine == "spark":
            build_spark(lake.resolve(), staging.resolve(), settings, spark or spark_session(cfg))
        else:
            raise ValueError(f"unknown engine {engine!r}; expected duckdb or spark")
        seconds = time.perf_counter() - started
        assemble_cube_db(lake, staging, settings, engine, seconds, cfg)
    con = duckdb.connect(str(out / CUBE_DB), read_only=True)
    rows = {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in CUBE_TABLES}
    con.close()
    return {"cube": str(out), "engine": engine, "build_seconds": round(seconds, 2), "rows": rows}


def assemble_existing(lake: str | os.PathLike, out: str | os.PathLike, cfg: dict | None = None) -> dict:
    """``cube.duckdb`` for cube tables an engine already wrote to ``out`` (e.g. ``spark_job.py`` on a cluster)."""
    lake, out = Path(lake), Path(out)
    _check_lake(lake)
    missing = [name for name in CUBE_TABLES if not any((out / name).glob("*.parquet"))]
    if missing:
        raise LakeError(f"no cube tables {', '.join(missing)} under {out}")
    if (out / CUBE_DB).exists():
        (out / CUBE_DB).unlink()
    assemble_cube_db(lake, out, cube_settings(cfg), "spark", 0.0, cfg)
    return {"cube": str(out), "engine": "spark", "assembled": str(out / CUBE_DB)}


def add_missing_tables(lake: str | os.PathLike, out: str | os.PathLike, cfg: dict | None = None) -> dict:
    """Build on DuckDB only the cube tables an existing cube lacks (one added to ``sql/cube.sql`` after it was
    built, e.g. ``department_daily``) and add them, with their roll-ups, to its ``cube.duckdb``, and the
    roll-ups it lacks (``handling_histogram_by_month``, ``daily_by_category``); the other tables are left as they are. The cube's recorded settings must be those of the configuration."""
    lake, out = Path(lake), Path(out)
    _check_lake(lake)
    settings = cube_settings(cfg)
    con = duckdb.connect(str(out / CUBE_DB))
    con.execute("SET enable_progress_bar = false")
    try:
        built = json.loads(con.execute("SELECT value FROM meta WHERE key = 'cube_settings'").fetchone()[0])
        if built != settings:
            raise LakeError(f"the cube was built with {built}, the configuration gives {settings}: rebuild it")
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        missing = tuple(name for name in CUBE_TABLES if name not in present)
        started = time.perf_counter()
        if missing:
            staging = out / ".adding"
            if staging.exists():
                raise LakeError(f"{staging} exists: an earlier run stopped; remove it and run again")
            staging.mkdir()
            build_duckdb(lake, staging, settings, cfg, tables=missing)
            limit_memory(con, cfg)
            for name in missing:
                (staging / name).rename(out / name)
                order = "day, grid_id" if name in DAY_ORDERED else "grid_id"
                glob = _quote(out / name / "*.parquet")
                con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet({glob}) ORDER BY {order}")
                if name in DEPARTMENT_ROLLUPS:
                    add_department_rollup(con, name, DEPARTMENT_ROLLUPS[name])
            staging.rmdir()
        for table, sql in (
            ("handling_histogram_by_month", MONTHLY_HISTOGRAM_SQL),
            ("daily_by_category", CATEGORY_DAILY_SQL),
        ):
            if table not in present:
                con.execute(sql)
                missing = (*missing, table)
    finally:
        con.close()
    return {"cube": str(out), "added": list(missing), "seconds": round(time.perf_counter() - started, 2)}

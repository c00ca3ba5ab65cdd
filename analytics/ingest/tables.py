"""The reference tables an import derives from its cases, and its ``meta`` entries."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pandas as pd

from analytics.schema import SCHEMA_VERSION

CATEGORIES_SQL = """
    INSERT INTO categories (kind, category_code, category_name, category_major, deadline_hours, deadline_basis)
    WITH source AS (
        SELECT kind, category_code, category_name, category_major,
               round(median(CASE WHEN due_at >= reported_at
                                 THEN epoch(due_at - reported_at) / 3600 END), 1) AS hours
        FROM cases WHERE category_code IS NOT NULL OR category_name IS NOT NULL
        GROUP BY ALL
    ), rules AS (
        SELECT kind, category_code, category_name, category_major, mode(hours) AS hours, mode(basis) AS basis
        FROM rule_deadlines GROUP BY ALL
    )
    SELECT s.kind, s.category_code, s.category_name, s.category_major, coalesce(r.hours, s.hours),
           CASE WHEN r.hours IS NOT NULL THEN r.basis WHEN s.hours IS NOT NULL THEN 'calendar' END
    FROM source s LEFT JOIN rules r
      ON s.kind IS NOT DISTINCT FROM r.kind AND s.category_code IS NOT DISTINCT FROM r.category_code
     AND s.category_name IS NOT DISTINCT FROM r.category_name
     AND s.category_major IS NOT DISTINCT FROM r.category_major
    ORDER BY s.kind, s.category_code NULLS FIRST, s.category_name NULLS FIRST, s.category_major NULLS FIRST"""

DEPARTMENTS_SQL = """
    INSERT INTO departments (department, department_name)
    SELECT department, first(name ORDER BY n DESC, name) FROM (
        SELECT department, coalesce(department_name, department) AS name, count(*) AS n
        FROM mapped_departments GROUP BY ALL)
    GROUP BY department ORDER BY department"""


def write_reference(
    con: duckdb.DuckDBPyConnection, departments: pd.DataFrame | str, rule_deadlines: pd.DataFrame | None = None
) -> None:
    """``categories`` from the loaded cases — with the deadline rule that applied to the category (see
    :mod:`analytics.ingest.deadlines`), else the median of the source's own deadlines in calendar hours —
    and ``departments`` with each one's most frequent name (ties: the first by name)."""
    columns = ["kind", "category_code", "category_name", "category_major", "hours", "basis"]
    rules = rule_deadlines if rule_deadlines is not None else pd.DataFrame(columns=columns)
    con.register("rule_deadlines", rules[columns].astype({"hours": float, "basis": object}))
    con.execute(CATEGORIES_SQL)
    con.unregister("rule_deadlines")
    if isinstance(departments, str):  # a query of our own over a staged table
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW mapped_departments AS SELECT * FROM ({departments}) WHERE department IS NOT NULL"
        )
        con.execute(DEPARTMENTS_SQL)
        con.execute("DROP VIEW mapped_departments")
        return
    con.register("mapped_departments", departments[departments["department"].notna()])
    con.execute(DEPARTMENTS_SQL)
    con.unregister("mapped_departments")


def data_span(reported: pd.Series) -> tuple[str | None, str | None]:
    """First report day and the day after the last report (ISO dates), or None when empty."""
    if reported.empty:
        return None, None
    first, last = reported.min(), reported.max()
    return first.date().isoformat(), (last.date() + dt.timedelta(days=1)).isoformat()


def import_meta(
    *,
    dataset: str,
    mapping_origin: str,
    city_name: str | None,
    city_name_en: str | None,
    timezone: str,
    files: list[dict],
    grid_source: str,
    rows_in: int,
    rows_loaded: int,
    rows_rejected: int,
    reported: pd.Series,
) -> dict[str, str]:
    start, end = data_span(reported)
    meta = {
        "dataset": dataset,
        "import_mapping": mapping_origin,
        "timezone": timezone,
        "loaded_at": dt.datetime.now().isoformat(timespec="seconds"),
        "source_files": json.dumps(files, ensure_ascii=False),
        "schema_version": SCHEMA_VERSION,
        "grid_source": grid_source,
        "rows_in": str(rows_in),
        "rows_loaded": str(rows_loaded),
        "rows_rejected": str(rows_rejected),
        "synthetic": "false",
    }
    if city_name:
        meta["city_name"] = city_name
        meta["city_name_en"] = city_name_en or city_name
    if start:
        meta["data_start"], meta["data_end"] = start, end
    return meta

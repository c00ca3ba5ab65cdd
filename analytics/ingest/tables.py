"""The reference tables an import derives from its cases, and its ``meta`` entries."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from analytics.schema import SCHEMA_VERSION

CATEGORY_KEYS = ["kind", "category_code", "category_name", "category_major"]


def categories_of(cases: pd.DataFrame) -> pd.DataFrame:
    """Distinct (kind, code, name, major) with the median of the source's own deadlines (calendar hours)."""
    keyed = cases[CATEGORY_KEYS + ["reported_at", "due_at"]]
    keyed = keyed[keyed["category_code"].notna() | keyed["category_name"].notna()]
    hours = (keyed["due_at"] - keyed["reported_at"]).dt.total_seconds() / 3600
    frame = keyed[CATEGORY_KEYS].assign(hours=hours.where(hours >= 0))
    grouped = frame.groupby(CATEGORY_KEYS, dropna=False, sort=True)["hours"].median().reset_index()
    grouped["deadline_hours"] = grouped["hours"].round(1)
    grouped["deadline_basis"] = grouped["deadline_hours"].notna().map({True: "calendar", False: None})
    return grouped[CATEGORY_KEYS + ["deadline_hours", "deadline_basis"]].astype(
        {"deadline_basis": "str"}).reset_index(drop=True)


def departments_of(cases: pd.DataFrame) -> pd.DataFrame:
    """Distinct departments, each with its most frequent name (ties: the first in sort order)."""
    rows = cases.loc[cases["department"].notna(), ["department", "department_name"]]
    rows = rows.assign(department_name=rows["department_name"].fillna(rows["department"]))
    counts = rows.value_counts(["department", "department_name"]).reset_index(name="n")
    counts = counts.sort_values(["department", "n", "department_name"], ascending=[True, False, True])
    return counts.drop_duplicates("department")[["department", "department_name"]].reset_index(drop=True)


def data_span(reported: pd.Series) -> tuple[str | None, str | None]:
    """First report day and the day after the last report (ISO dates), or None when empty."""
    if reported.empty:
        return None, None
    first, last = reported.min(), reported.max()
    return first.date().isoformat(), (last.date() + dt.timedelta(days=1)).isoformat()


def import_meta(*, dataset: str, mapping_origin: str, city_name: str | None, city_name_en: str | None,
                timezone: str, files: list[dict], grid_source: str, rows_in: int, rows_loaded: int,
                rows_rejected: int, reported: pd.Series) -> dict[str, str]:
    start, end = data_span(reported)
    meta = {"dataset": dataset, "import_mapping": mapping_origin, "timezone": timezone,
            "loaded_at": dt.datetime.now().isoformat(timespec="seconds"),
            "source_files": json.dumps(files, ensure_ascii=False), "schema_version": SCHEMA_VERSION,
            "grid_source": grid_source, "rows_in": str(rows_in), "rows_loaded": str(rows_loaded),
            "rows_rejected": str(rows_rejected), "synthetic": "false"}
    if city_name:
        meta["city_name"] = city_name
        meta["city_name_en"] = city_name_en or city_name
    if start:
        meta["data_start"], meta["data_end"] = start, end
    return meta

"""One batch of source rows → canonical cases and rejects, with the import's own mapping code."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import shapely

from analytics.ingest.canonical import map_file
from analytics.ingest.locate import check_points, join_points
from analytics.ingest.mapping import Mapping
from analytics.ingest.readers import CaseFile
from analytics.ingest.validate import file_rejects


def text_frame(rows: list[tuple], names: list[str]) -> pd.DataFrame:
    """Rows of text values → a frame of ``str`` columns (missing values stay missing)."""
    columns = list(zip(*rows)) if rows else [()] * len(names)
    return pd.DataFrame({name: pd.Series(col, dtype="str") for name, col in zip(names, columns)})


class GridLocator:
    """The point-in-grid join against the base's grids, prepared on first use."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con
        self._grids: tuple[np.ndarray, np.ndarray] | None = None

    def ids(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        if self._grids is None:
            frame = self._con.execute(
                "SELECT grid_id, geometry FROM base.main.grids WHERE geometry IS NOT NULL ORDER BY grid_id"
            ).df()
            geoms = shapely.from_geojson(frame["geometry"].to_numpy(object), on_invalid="ignore")
            self._grids = frame["grid_id"].to_numpy(object), shapely.make_valid(geoms)
        ids, geoms = self._grids
        idx = join_points(lon, lat, geoms)
        return np.where(idx >= 0, ids[np.clip(idx, 0, None)] if len(ids) else None, None)


def map_batch(
    rows: list[tuple], names: list[str], first_row: int, label: str, mapping: Mapping, locator: GridLocator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(accepted cases with every canonical column but ``department_name``, rejects) of one batch.

    ``first_row`` numbers the rows of the stream (1-based) for the rejects.
    """
    frame = text_frame(rows, names)
    case_file = CaseFile(
        path=Path(label), frame=frame, row_numbers=pd.Series(np.arange(first_row, first_row + len(frame))), sha256=""
    )
    mapped = map_file(case_file, mapping)
    rejects = file_rejects(case_file, mapped.reject_reason)
    ok = mapped.reject_reason.isna().to_numpy()
    return locate_cases(mapped.cases[ok].reset_index(drop=True), mapping, locator), rejects


def locate_cases(cases: pd.DataFrame, mapping: Mapping, locator: GridLocator) -> pd.DataFrame:
    """Checked coordinates and grid ids (the source's, else the base's grid polygon), flags; the
    columns of ``cases`` without ``department_name``."""
    lon, lat, flag = check_points(cases["lon"], cases["lat"], mapping.coords, mapping.placeholders)
    given = cases["grid_id"].to_numpy(object)
    need = pd.isna(given) & ~np.isnan(lon)
    if need.any():
        found = locator.ids(lon, lat)
        given = np.where(need, found, given)
        flag[need & pd.isna(found) & (flag == None)] = "outside"  # noqa: E711 (element-wise)
    cases["grid_id"] = pd.Series(given, dtype="str")
    cases["lon"], cases["lat"] = lon, lat
    cases["location_flag"] = pd.Series(flag, dtype="str")
    return cases.drop(columns=["department_name"])

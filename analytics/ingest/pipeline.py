"""``run_import``: files + mapping (+ boundaries or H3) → a new GridScope database, atomically.

Examples
--------
>>> from analytics.ingest import Layer
>>> spec = ImportSpec(db="/tmp/boston.duckdb", cases=["boston311_2015.parquet"], mapping="boston311",
...                   boundaries=BoundarySpec(Layer(Path("precincts.geojson"), "WARD_PRECINCT")))
>>> result = run_import(spec)                                     # doctest: +SKIP
>>> print(result.text())                                          # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analytics.config import load_config
from analytics.ingest import hexgrid, tables
from analytics.ingest.boundaries import GRID_COLUMNS, BoundarySpec, build_grids
from analytics.ingest.canonical import MappedFile, map_file
from analytics.ingest.deadlines import DeadlineRules, apply_rules, parse_rules, report_note
from analytics.ingest.errors import IngestError
from analytics.ingest.guard import import_lock
from analytics.ingest.load import build_atomically, insert_frame
from analytics.ingest.locate import check_points, join_points
from analytics.ingest.mapping import Mapping, load_mapping
from analytics.ingest.readers import CaseFile, read_case_file, sha256_of
from analytics.ingest.report import build_report, format_report, store_report
from analytics.ingest.times import check_timezone
from analytics.ingest.validate import file_rejects, mark_duplicates
from analytics.schema import create_schema, write_meta
from analytics.text.index import index_cases
from analytics.workcal import WorkCalendar


@dataclass(frozen=True)
class ImportSpec:
    """Everything an import needs. ``mapping`` is a preset name, a mapping-file path or a Mapping."""

    db: str | Path
    cases: tuple[str | Path, ...] | list[str | Path]
    mapping: str | Path | Mapping = "canonical"
    boundaries: BoundarySpec | None = None
    h3_resolution: int | None = None
    coords: str | None = None  # coordinate system of the case points (overrides the mapping)
    timezone: str | None = None
    city_name: str | None = None
    city_name_en: str | None = None
    dataset: str | None = None


@dataclass
class ImportResult:
    path: Path
    dataset: str
    rows_in: int
    rows_loaded: int
    rows_rejected: int
    grids: int
    seconds: float
    report: pd.DataFrame
    meta: dict[str, str] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)

    def text(self) -> str:
        """The validation report as readable text (what the command prints to stderr)."""
        return format_report(self.report, self.summary)

    def as_dict(self) -> dict:
        return {
            "path": str(self.path),
            "dataset": self.dataset,
            "rows_in": self.rows_in,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "grids": self.grids,
            "seconds": self.seconds,
            "rows_per_second": round(self.rows_in / max(self.seconds, 1e-9)),
        }


def resolve_mapping(spec: ImportSpec) -> Mapping:
    """The mapping with the spec's overrides applied, after checking the options that need no file."""
    mapping = spec.mapping if isinstance(spec.mapping, Mapping) else load_mapping(spec.mapping)
    mapping = mapping.with_overrides(
        timezone=spec.timezone,
        coords=spec.coords,
        name=spec.dataset,
        city_name=spec.city_name,
        city_name_en=spec.city_name_en,
    )
    check_timezone(mapping.timezone)
    if spec.boundaries is not None and spec.h3_resolution is not None:
        raise IngestError("give either boundaries or --h3, not both")
    if spec.h3_resolution is not None:
        hexgrid.check_resolution(spec.h3_resolution)
    return mapping


def read_and_map(paths, mapping: Mapping, nrows: int | None = None) -> list[tuple[CaseFile, MappedFile]]:
    """Each file read as text and mapped to canonical columns, in the order given."""
    if not paths:
        raise IngestError("no case files given")
    out = []
    for path in paths:
        case_file = read_case_file(path, mapping.encoding, mapping.delimiter, nrows)
        out.append((case_file, map_file(case_file, mapping)))
    return out


def _accepted(files: list[tuple[CaseFile, MappedFile]]) -> pd.DataFrame:
    """The rows that become cases, in file and row order (no copy when nothing was rejected)."""
    parts = [m.cases if m.reject_reason.isna().all() else m.cases[m.reject_reason.isna()] for _, m in files]
    return parts[0].reset_index(drop=True) if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _grids(spec: ImportSpec, cases: pd.DataFrame, lon, lat, boundary_grids):
    """(grids frame, per-case grid ids from geometry or None, repaired, grid source)."""
    if boundary_grids is not None:
        grids, geoms, repaired, _ = boundary_grids
        idx = join_points(lon, lat, geoms)
        ids = np.where(idx >= 0, grids["grid_id"].to_numpy(object)[idx], None)
        return grids, ids, repaired, f"boundaries: {spec.boundaries.grids.path.name}"
    if spec.h3_resolution is not None:
        cells = hexgrid.cells_of(lon, lat, spec.h3_resolution)
        grids, _ = hexgrid.hex_grids(cells, spec.h3_resolution)
        return grids, cells, {}, f"h3 resolution {spec.h3_resolution}"
    source_ids = sorted(cases["grid_id"].dropna().unique())
    grids = pd.DataFrame({c: pd.Series(dtype=object) for c in GRID_COLUMNS})
    if source_ids:
        grids = grids.reindex(range(len(source_ids))).assign(grid_id=source_ids, grid_name=source_ids)
    return grids, None, {}, "grid ids from the case file" if source_ids else "none"


def locate(spec: ImportSpec, mapping: Mapping, cases: pd.DataFrame, boundary_grids=None):
    """Fill lon/lat/grid_id/location_flag; return the grids frame, repairs and the grid source.

    A grid id given by the source wins; otherwise the point's grid (or ``outside``).
    """
    lon, lat, flag = check_points(cases["lon"], cases["lat"], mapping.coords, mapping.placeholders)
    grids, spatial_ids, repaired, grid_source = _grids(spec, cases, lon, lat, boundary_grids)
    given = cases["grid_id"].to_numpy(object)
    if spatial_ids is not None:
        has_given = pd.notna(given)
        outside = (flag == None) & ~has_given & pd.isna(spatial_ids)  # noqa: E711 (element-wise)
        flag[outside] = "outside"
        cases["grid_id"] = pd.Series(np.where(has_given, given, spatial_ids), dtype="str")
    cases["lon"], cases["lat"] = lon, lat
    cases["location_flag"] = pd.Series(flag, dtype="str")
    return grids, repaired, grid_source


def _write(con: duckdb.DuckDBPyConnection, cases, rejects, grids, rule_deadlines: pd.DataFrame) -> None:
    """The canonical tables in a deterministic order: grids by id, cases and rejects by file and row."""
    create_schema(con)
    insert_frame(con, "grids", grids)
    insert_frame(con, "cases", cases.drop(columns=["department_name"]))  # by column name
    insert_frame(con, "rejects", rejects)
    tables.write_reference(con, cases[["department", "department_name"]], rule_deadlines)


def _file_info(files, spec: ImportSpec) -> list[dict]:
    info = [{"role": "cases", "file": f.name, "sha256": f.sha256, "rows": f.rows_in} for f, _ in files]
    if spec.boundaries is not None:
        layers = [("grids", spec.boundaries.grids)] + list(spec.boundaries.parent_layers.items())
        info += [{"role": role, "file": layer.path.name, "sha256": sha256_of(layer.path)} for role, layer in layers]
    return info


def deadline_rules(mapping: Mapping) -> tuple[DeadlineRules, WorkCalendar]:
    """The deadline rules of the configuration and the mapping (the mapping's win), and the calendar."""
    cfg = load_config()
    try:
        cal = WorkCalendar.from_config(cfg)
    except ValueError as exc:
        raise IngestError(f"configuration: {exc}") from None
    rules = parse_rules(
        cfg.get("deadlines", {}),
        mapping.deadlines,
        window_hours=cal.window_minutes / 60,
        origins=("configuration", mapping.origin),
    )
    return rules, cal


def _load(con: duckdb.DuckDBPyConnection, spec: ImportSpec, mapping: Mapping, log) -> dict:
    """Everything inside the temporary database: read, validate, locate, write, report, meta."""
    rules, cal = deadline_rules(mapping)
    with ThreadPoolExecutor(max_workers=1) as pool:  # boundaries are prepared while the cases are read
        pending = pool.submit(build_grids, spec.boundaries, mapping.city_name) if spec.boundaries else None
        files = read_and_map(spec.cases, mapping)
        rows_in = sum(f.rows_in for f, _ in files)
        log(f"import: read {rows_in:,} rows from {len(files)} file(s)")
        mark_duplicates(files)
        rejects = pd.concat([file_rejects(f, m.reject_reason) for f, m in files], ignore_index=True)
        cases = _accepted(files)
        deadlines = apply_rules(cases, rules, cal)
        boundary = pending.result() if pending else None
        grids, repaired, grid_source = locate(spec, mapping, cases, boundary)
    if rows_in != len(cases) + len(rejects):
        raise IngestError(f"internal check failed: {rows_in} rows in but {len(cases)} cases + {len(rejects)} rejects")
    _write(con, cases, rejects, grids, deadlines["by_category"])
    log(f"import: {index_cases(con):,} terms of descriptions indexed")
    duplicates = boundary[3] if boundary else []
    notes = [note for _, m in files for note in m.notes] + [report_note(deadlines, mapping.origin)]
    report = build_report(con, rejects, repaired, notes, duplicates)
    store_report(con, report)
    meta = tables.import_meta(
        dataset=mapping.name,
        mapping_origin=mapping.origin,
        city_name=mapping.city_name,
        city_name_en=mapping.city_name_en,
        timezone=mapping.timezone,
        files=_file_info(files, spec),
        grid_source=grid_source,
        rows_in=rows_in,
        rows_loaded=len(cases),
        rows_rejected=len(rejects),
        reported=cases["reported_at"],
    )
    write_meta(con, meta)
    summary = {
        "dataset": mapping.name,
        "mapping": mapping.origin,
        "files": len(files),
        "rows_in": rows_in,
        "rows_loaded": len(cases),
        "rows_rejected": len(rejects),
        "grids": len(grids),
        "grid_source": grid_source,
    }
    return {"summary": summary, "report": report, "meta": meta}


def run_import(spec: ImportSpec, progress: Callable[[str], None] | None = None) -> ImportResult:
    """Import ``spec.cases`` into a new database at ``spec.db`` (replacing it only on success).

    Raises :class:`IngestError` with a clear message for any problem a user can cause.
    Only one import per database runs at a time (:class:`analytics.ingest.guard.ImportBusy` otherwise).
    """
    log = progress or (lambda line: None)
    started = time.perf_counter()
    mapping = resolve_mapping(spec)
    target = Path(spec.db)
    outcome: dict = {}
    with import_lock(target):
        build_atomically(target, lambda con: outcome.update(_load(con, spec, mapping, log)))
    seconds = round(time.perf_counter() - started, 3)
    summary = outcome["summary"]
    log(f"import: wrote {summary['rows_loaded']:,} cases to {target} in {seconds} s")
    return ImportResult(
        target,
        mapping.name,
        summary["rows_in"],
        summary["rows_loaded"],
        summary["rows_rejected"],
        summary["grids"],
        seconds,
        outcome["report"],
        outcome["meta"],
        summary,
    )


def preview(
    files,
    mapping: str | Path | Mapping = "canonical",
    rows: int = 20,
    timezone: str | None = None,
    coords: str | None = None,
) -> pd.DataFrame:
    """The first ``rows`` records of each file, mapped to canonical columns, with the reject reason
    (``reject_reason``) and the location flag each would get (before the grid join); ``file`` and
    ``row_number`` say where each came from. Nothing is written."""
    spec = ImportSpec(db="", cases=list(files), mapping=mapping, timezone=timezone, coords=coords)
    mapping_ = resolve_mapping(spec)
    parts = []
    files_ = read_and_map(spec.cases, mapping_, nrows=rows)
    mark_duplicates(files_)
    for case_file, mapped in files_:
        frame = mapped.cases.copy()
        lon, lat, flag = check_points(frame["lon"], frame["lat"], mapping_.coords, mapping_.placeholders)
        frame["lon"], frame["lat"], frame["location_flag"] = lon, lat, pd.Series(flag, dtype="str")
        frame.insert(0, "row_number", case_file.row_numbers.to_numpy())
        frame.insert(0, "file", case_file.name)
        frame["reject_reason"] = mapped.reject_reason
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)

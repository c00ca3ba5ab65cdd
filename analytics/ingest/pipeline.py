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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from analytics.casedays.build import build as build_case_days
from analytics.casedays.build import configured_dispute_days
from analytics.config import load_config
from analytics.ingest import hexgrid, tables
from analytics.ingest.boundaries import BoundarySpec, build_grids
from analytics.ingest.canonical import MappedFile, map_file
from analytics.ingest.deadlines import DeadlineRules, parse_rules, report_note
from analytics.ingest.errors import IngestError
from analytics.ingest.guard import import_lock
from analytics.ingest.load import build_atomically, insert_frame, row_group_size_for
from analytics.ingest.locate import check_points
from analytics.ingest.mapping import Mapping, load_mapping
from analytics.ingest.readers import CaseFile, read_case_file, sha256_of
from analytics.ingest.report import build_report, format_report, store_report
from analytics.ingest.staged_locate import derive_deadlines, insert_located
from analytics.ingest.staged_map import accept_in_place, map_staged, mark_duplicates_sql, rejects_frame
from analytics.ingest.staged_points import boundary_lookup, distinct_points, locate_chunked
from analytics.ingest.staging import StagedFile, drop_staged, stage_file
from analytics.ingest.times import check_timezone
from analytics.ingest.validate import mark_duplicates
from analytics.schema import create_schema, write_meta
from analytics.text.index import cut_texts, index_cases, staged_texts
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
    stages: list[tuple[str, float, float]] = field(default_factory=list)  # Stages.done

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


class Stages:
    """Wall and CPU seconds of each step of an import, in order (``done``), each logged as it ends
    (``import: stage NAME: W s, C CPU s``). CPU is the whole process's, every thread: work done beside a
    step (the boundaries read while the files are staged, the descriptions cut while the cases are written)
    counts in that step. What ``python -m analytics.bench.importbench`` reports per stage."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log
        self.done: list[tuple[str, float, float]] = []

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.add(name, time.perf_counter() - wall, time.process_time() - cpu)

    def add(self, name: str, wall: float, cpu: float) -> None:
        self.done.append((name, round(wall, 3), round(cpu, 3)))
        self.log(f"import: stage {name}: {wall:.3f} s, {cpu:.3f} CPU s")


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


def _file_info(files: list[StagedFile], spec: ImportSpec) -> list[dict]:
    info = [{"role": "cases", "file": f.name, "sha256": f.sha256, "rows": f.rows_in} for f in files]
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


def _stage_all(con: duckdb.DuckDBPyConnection, spec: ImportSpec, mapping: Mapping) -> list[StagedFile]:
    if not spec.cases:
        raise IngestError("no case files given")
    return [stage_file(con, path, mapping.encoding, mapping.delimiter) for path in spec.cases]


def _prepare(
    con: duckdb.DuckDBPyConnection, spec: ImportSpec, mapping: Mapping, log, stage: Stages, pool: ThreadPoolExecutor
) -> dict:
    """Outside the write transaction: stage the files, map them, judge every row (temporary tables only).
    The boundaries are read in ``pool``'s worker while the cases are staged, then the grid of each mapped
    point is looked up there (``lookup``, a future :func:`_load` waits for just before locating)."""
    pending = pool.submit(build_grids, spec.boundaries, mapping.city_name) if spec.boundaries else None
    with stage("stage the files"):
        staged = _stage_all(con, spec, mapping)
    rows_in = sum(f.rows_in for f in staged)
    log(f"import: read {rows_in:,} rows from {len(staged)} file(s)")
    with stage("map"):
        notes = map_staged(con, staged, mapping)
    with stage("duplicates and rejects"):
        # the boundary grid of every mapped point (a superset of the accepted ones) is looked up in the
        # worker while DuckDB judges the rows: shapely's and numpy's vectorised calls release the GIL
        points = distinct_points(con, "mapped") if pending else None
        looking = pool.submit(lambda: boundary_lookup(points, mapping, pending.result())) if pending else None
        mark_duplicates_sql(con)
        rejects = rejects_frame(con, staged)
        loaded = accept_in_place(con)
        drop_staged(con, staged)
    with stage("boundaries (rest)"):
        boundary = pending.result() if pending else None
    return {
        "staged": staged,
        "rows_in": rows_in,
        "notes": notes,
        "rejects": rejects,
        "loaded": loaded,
        "boundary": boundary,
        "lookup": looking,
    }


def _index_beside(cursor: duckdb.DuckDBPyConnection, database: str, terms) -> int:
    """``case_terms`` written on ``cursor`` (of the import's connection) in its own transaction, committed
    here (the cases are committed already), while the connection writes the report and ``case_days``."""
    try:
        cursor.execute(f'USE "{database}"')
        cursor.execute("BEGIN TRANSACTION")
        written = index_cases(cursor, terms=terms)
        cursor.execute("COMMIT")
        return written
    finally:
        cursor.close()


def _load(
    con: duckdb.DuckDBPyConnection, spec: ImportSpec, mapping: Mapping, log, prepared: dict, stage: Stages
) -> dict:
    """Inside the write transaction: deadlines, locations, the tables, the report and meta."""
    staged, rows_in, notes, rejects = (prepared[k] for k in ("staged", "rows_in", "notes", "rejects"))
    loaded, boundary = prepared["loaded"], prepared["boundary"]
    with stage("deadlines"):
        rules, cal = deadline_rules(mapping)
        deadlines = derive_deadlines(con, rules, cal)
    if rows_in != loaded + len(rejects):
        raise IngestError(f"internal check failed: {rows_in} rows in but {loaded} cases + {len(rejects)} rejects")
    name = spec.boundaries.grids.path.name if spec.boundaries else ""
    create_schema(con)
    if boundary is not None:  # the grids are the boundaries' (H3 grids come from locating)
        insert_frame(con, "grids", boundary[0])
    insert_frame(con, "rejects", rejects)  # while the points' grids are looked up (categories need the cases)
    with stage("locate"):
        lookup = prepared["lookup"].result() if prepared["lookup"] else None
        located, grids, repaired, grid_source = locate_chunked(
            con, mapping, boundary, spec.h3_resolution, name, lookup=lookup
        )
    if boundary is None:
        insert_frame(con, "grids", grids)
    with ThreadPoolExecutor(max_workers=1) as pool:  # the descriptions are cut while the cases are written
        with stage("write cases (descriptions cut beside)"):
            cutting = pool.submit(cut_texts, *staged_texts(con))
            insert_located(con, located)
            del located
        with stage("reference tables"):
            tables.write_reference(con, "SELECT department, department_name FROM accepted", deadlines["by_category"])
            con.execute("DROP TABLE accepted")
        with stage("cut descriptions (rest)"):
            terms = cutting.result()
    with stage("commit the cases"):  # so that a second cursor sees them: it writes case_terms meanwhile
        con.execute("COMMIT")
        con.execute("BEGIN TRANSACTION")
    # leaving the pool waits for the cursor, also when this side fails: it is never left working
    with ThreadPoolExecutor(max_workers=1) as pool:
        database = con.execute("SELECT current_database()").fetchone()[0]
        indexing = pool.submit(_index_beside, con.cursor(), database, terms)
        duplicates = boundary[3] if boundary else []
        with stage("report"):
            notes_ = notes + [report_note(deadlines, mapping.origin)]
            report = build_report(con, rejects, repaired, notes_, duplicates)
            store_report(con, report)
        first, last = con.execute("SELECT min(reported_at), max(reported_at) FROM cases").fetchone()
        meta = tables.import_meta(
            dataset=mapping.name,
            mapping_origin=mapping.origin,
            city_name=mapping.city_name,
            city_name_en=mapping.city_name_en,
            timezone=mapping.timezone,
            files=_file_info(staged, spec),
            grid_source=grid_source,
            rows_in=rows_in,
            rows_loaded=loaded,
            rows_rejected=len(rejects),
            reported=pd.Series([first, last]).dropna(),
        )
        write_meta(con, meta)
        with stage("case_days"):
            build_case_days(con, configured_dispute_days())  # analytics.casedays
        with stage("text index (rest)"):
            log(f"import: {indexing.result():,} terms of descriptions indexed")
    summary = {
        "dataset": mapping.name,
        "mapping": mapping.origin,
        "files": len(staged),
        "rows_in": rows_in,
        "rows_loaded": loaded,
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
    stage = Stages(log)
    mapping = resolve_mapping(spec)
    target = Path(spec.db)
    outcome: dict = {}
    config = {"memory_limit": str(load_config().get("import", {}).get("memory_limit", "2GB"))}
    prepared: dict = {}
    filled: list[float] = []

    def fill(con: duckdb.DuckDBPyConnection) -> None:
        outcome.update(_load(con, spec, mapping, log, prepared, stage))
        filled.extend([time.perf_counter(), time.process_time()])

    with import_lock(target), ThreadPoolExecutor(max_workers=1) as pool:  # boundaries, then the points' grids
        build_atomically(
            target,
            fill,
            config,
            prepare=lambda con: prepared.update(_prepare(con, spec, mapping, log, stage, pool)),
            row_group_size=lambda: row_group_size_for(prepared["loaded"]),
        )
    # the commit, DuckDB's checkpoint, the file's fsync and the rename
    stage.add("commit and replace", time.perf_counter() - filled[0], time.process_time() - filled[1])
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
        stage.done,
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

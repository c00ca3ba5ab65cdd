"""The Data page's import (administrators only): upload or path, preview, mapping, then the report.

The import itself is :func:`analytics.ingest.run_import`: it builds a new database file and replaces
the one the app serves only when everything succeeded, so a failed import leaves the app as it was.
What the browser may make the server read is limited (:mod:`analytics.ingest.guard`): uploads go to
the session's private folder (:mod:`ui.uploads`); typed server paths only when an administrator set
``[import] directory``, and only files inside it; boundary files are checked by content; one import
runs at a time.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from analytics import store
from analytics.privacy import mask_record, mask_text
from ui import auth, data, uploads
from ui.i18n import fmt_int, t
from ui.safe import md

PREVIEW_ROWS = 10


def _import_dir() -> str:
    return str(data.config()["import"].get("directory", "") or "")


def _inside(text: str) -> Path:
    """A typed path resolved inside the import directory (``PathRefused`` otherwise; audited)."""
    from analytics.ingest import PathRefused, resolve_inside

    try:
        return resolve_inside(text, _import_dir())
    except PathRefused as exc:
        auth.audit("import_refused", "data", path=text[:300], reason=str(exc))
        raise


def _typed_paths(text: str) -> list[Path]:
    return [_inside(p.strip()) for p in text.splitlines() if p.strip()]


def _layer_path(text: str, uploaded: list[Path]) -> Path | None:
    from analytics.ingest import boundary_format

    path = uploaded[0] if uploaded else (_inside(text) if text.strip() else None)
    if path is not None:
        try:
            boundary_format(path)
        except ValueError as exc:
            auth.audit("import_refused", "data", path=str(text or path.name)[:300], reason=str(exc))
            raise
    return path


def _boundaries(path: Path | None, id_field: str, name_field: str, parents_text: str):
    from analytics.ingest import BoundarySpec, Layer

    if path is None:
        return None
    if not id_field.strip():
        raise ValueError(t("import.need_id_field"))
    parents = {}
    for line in parents_text.splitlines():  # community=wards.geojson:WARD[:NAME], inside the import directory
        if line.strip():
            level, _, rest = line.partition("=")
            file, _, fields = rest.rpartition(":") if rest.count(":") else (rest, "", "")
            id_, _, name = fields.partition(":")
            parents[level.strip()] = Layer(
                _layer_path(file.strip(), []), id_.strip(), name.strip() or None, duplicates="merge"
            )
    return BoundarySpec(Layer(path, id_field.strip(), name_field.strip() or None), parent_layers=parents)


def _once(kind: str, files: list[Path], *args):
    """Inspect/preview each file once per session and arguments (not on every rerun)."""
    from analytics.ingest import inspect_file, preview

    stamp = tuple((str(p), p.stat().st_size, p.stat().st_mtime) for p in files)
    key = (kind, stamp, args)
    cache = st.session_state.setdefault("import_previews", {})
    if key not in cache:
        if kind == "inspect":
            cache[key] = inspect_file(files[0])
        else:
            cache[key] = preview(files, args[0], rows=PREVIEW_ROWS, timezone=args[1] or None)
    return cache[key]


def _case_files(directory: str) -> list[Path]:
    """Uploaded case files, then typed paths inside the import directory (when one is configured)."""
    files = uploads.saved(
        st.file_uploader(t("import.upload"), accept_multiple_files=True, key="import_uploads"), "cases"
    )
    if directory:
        typed = st.text_area(t("import.paths"), key="import_paths", height=70, placeholder="cases_2025.csv")
        st.caption(t("access.paths_inside", directory=md(directory)))
        files += _typed_paths(typed)
    else:
        st.caption(t("access.paths_off"))
    limit = int(data.config()["import"]["max_files"])
    if len(files) > limit:
        raise ValueError(t("access.too_many_files", n=limit))
    return files


def _mapping_inputs(info, directory: str) -> tuple[str, str, str]:
    from analytics.ingest import list_presets

    cols = st.columns(3)
    presets = list_presets() + (["file"] if directory else [])
    suggested = presets.index(info.suggested_preset) if info and info.suggested_preset in presets else 0
    mapping = cols[0].selectbox(
        t("import.preset"),
        presets,
        index=suggested,
        key=f"import_preset_{suggested}",
        format_func=lambda p: t("import.mapping_file") if p == "file" else p,
    )
    if mapping == "file":
        mapping = str(_inside(cols[0].text_input(t("import.mapping_path"), key="import_mapping_path") or "."))
    timezone = cols[1].text_input(t("import.timezone"), key="import_timezone", placeholder="Asia/Shanghai")
    city = cols[2].text_input(t("import.city"), key="import_city")
    return mapping, timezone, city


def _boundary_inputs(directory: str) -> tuple:
    with st.expander(t("import.boundaries")):
        uploaded = uploads.saved(
            st.file_uploader(t("access.boundary_upload"), key="import_b_upload", accept_multiple_files=True), "boundary"
        )
        typed = st.text_input(t("import.boundary_path"), key="import_b_path") if directory else ""
        cols = st.columns(2)
        id_field = cols[0].text_input(t("import.boundary_id"), key="import_b_id")
        name_field = cols[1].text_input(t("import.boundary_name"), key="import_b_name")
        parents = st.text_area(t("import.parents"), key="import_parents", height=70) if directory else ""
        h3 = st.number_input(t("import.h3"), 0, 15, value=None, key="import_h3")
    return uploaded, typed, id_field, name_field, parents, h3


def import_panel() -> None:
    from analytics.ingest import IngestError

    if not auth.current().can_administer:
        st.info(t("access.import_admin_only"))
        return
    directory = _import_dir()
    uploads.localize_widget()
    st.markdown(t("import.intro", db=md(store.db_path())))
    try:
        files = _case_files(directory)
        info = _once("inspect", files) if files else None
        mapping, timezone, city = _mapping_inputs(info, directory)
        b_upload, b_text, b_id, b_name, parents, h3 = _boundary_inputs(directory)
        boundary = _layer_path(b_text, b_upload)
        if not files:
            if not b_upload:
                uploads.remove()  # the session's uploads were cleared: nothing of them stays on the server
            st.info(t("import.no_files"))
            return
        _show_preview(info, files, mapping, timezone)
        if st.button(t("import.run"), type="primary", key="import_run", icon=":material/upload:"):
            spec = _spec(files, mapping, timezone, city, _boundaries(boundary, b_id, b_name, parents), h3)
            _run(spec)
    except (IngestError, ValueError, OSError) as exc:
        auth.audit("import_refused", "data", reason=str(exc)[:300])
        st.error(t("import.preview_failed", reason=md(exc)))


def _show_preview(info, files: list[Path], mapping: str, timezone: str) -> None:
    st.caption(
        t(
            "import.detected",
            name=md(info.name),
            encoding=md(info.encoding),
            delimiter=md(repr(info.delimiter)),
            columns=len(info.columns),
            preset=md(info.suggested_preset or "—"),
        )
    )
    rows = _once("preview", files, mapping, timezone)
    st.dataframe(
        rows.map(lambda v: mask_text(v) if isinstance(v, str) else v), hide_index=True, width="stretch", height=260
    )


def _spec(files, mapping, timezone, city, boundaries, h3):
    from analytics.ingest import ImportSpec

    return ImportSpec(
        db=store.db_path(),
        cases=files,
        mapping=mapping,
        timezone=timezone or None,
        city_name=city or None,
        city_name_en=city or None,
        h3_resolution=h3,
        boundaries=boundaries,
    )


def _run(spec) -> None:
    from analytics.ingest import ImportBusy, IngestError, run_import

    try:
        with st.spinner(t("import.running")):
            result = run_import(spec)
    except ImportBusy:
        auth.audit("import_busy", "data")
        st.warning(t("access.import_busy"))
        return
    except (IngestError, ValueError, OSError) as exc:
        auth.audit("import", "data", ok=False, reason=str(exc)[:300])
        st.error(t("import.failed", reason=md(exc)))
        return
    auth.audit(
        "import", "data", ok=True, files=len(spec.cases), loaded=result.rows_loaded, rejected=result.rows_rejected
    )
    uploads.remove()
    st.session_state.pop("import_previews", None)
    st.success(
        t(
            "import.done",
            loaded=fmt_int(result.rows_loaded),
            rejected=fmt_int(result.rows_rejected),
            seconds=f"{result.seconds:.1f}",
        )
    )
    st.cache_data.clear()


def report_panel(key) -> None:
    """The validation report of the loaded database (what was rejected or flagged, with masked samples)."""
    from analytics.ingest import load_report

    report = load_report(data.connection())
    meta = data.meta(key)
    if report.empty:
        st.info(t("import.no_report", dataset=md(meta.get("dataset", ""))))
        return
    cols = st.columns(3)
    for col, name in zip(cols, ("rows_in", "rows_loaded", "rows_rejected")):
        col.metric(t(f"import.{name}"), fmt_int(int(meta[name])) if meta.get(name) else "—", border=True)
    shown = report.assign(
        kind=[t(f"import.kind_{k}") for k in report["kind"]],
        sample=report["sample"].map(lambda v: mask_record(v) if isinstance(v, str) else v),
    )
    st.dataframe(
        shown.rename(columns={c: t(f"import.col_{c}") for c in shown.columns}), hide_index=True, width="stretch"
    )
    rejects = data.connection().cursor().execute("SELECT * FROM rejects ORDER BY source, row_number LIMIT 200").df()
    if not rejects.empty:
        st.caption(t("import.rejects_sample", n=len(rejects)))
        st.dataframe(rejects.assign(raw=rejects["raw"].map(mask_record)), hide_index=True, width="stretch")

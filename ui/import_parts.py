"""The Data page's import: upload or path, preview, mapping, then the validation report.

The import itself is :func:`analytics.ingest.run_import`: it builds a new database file and replaces
the one the app serves only when everything succeeded, so a failed import leaves the app as it was.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from analytics import store
from analytics.privacy import mask_text
from ui import data
from ui.i18n import fmt_int, t

UPLOAD_DIR = Path(tempfile.gettempdir()) / "gridscope-uploads"


def _saved(uploads) -> list[Path]:
    """Uploaded files written to a private temporary folder (the import reads paths)."""
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    paths = []
    for upload in uploads or []:
        path = UPLOAD_DIR / Path(upload.name).name
        path.write_bytes(upload.getbuffer())
        paths.append(path)
    return paths


def _paths(text: str) -> list[Path]:
    return [Path(p.strip()) for p in text.splitlines() if p.strip()]


def _boundaries(path_text: str, id_field: str, name_field: str, parents_text: str):
    from analytics.ingest import BoundarySpec, Layer

    if not path_text.strip():
        return None
    if not id_field.strip():
        raise ValueError(t("import.need_id_field"))
    parents = {}
    for line in parents_text.splitlines():  # community=/path/wards.geojson:WARD[:NAME]
        if line.strip():
            level, _, rest = line.partition("=")
            file, _, fields = rest.rpartition(":") if rest.count(":") else (rest, "", "")
            id_, _, name = fields.partition(":")
            parents[level.strip()] = Layer(Path(file.strip()), id_.strip(), name.strip() or None, duplicates="merge")
    return BoundarySpec(
        Layer(Path(path_text.strip()), id_field.strip(), name_field.strip() or None), parent_layers=parents
    )


def import_panel() -> None:
    from analytics.ingest import ImportSpec, IngestError, inspect_file, list_presets, preview, run_import

    st.markdown(t("import.intro", db=str(store.db_path())))
    uploads = st.file_uploader(t("import.upload"), accept_multiple_files=True, key="import_uploads")
    typed = st.text_area(t("import.paths"), key="import_paths", height=70, placeholder="/data/cases_2025.csv")
    files = _saved(uploads) + _paths(typed)
    info = None
    if files:
        try:
            info = inspect_file(files[0])
        except (IngestError, ValueError, OSError) as exc:
            st.error(t("import.preview_failed", reason=str(exc)))
            return
    cols = st.columns(3)
    presets = list_presets() + ["file"]
    suggested = presets.index(info.suggested_preset) if info and info.suggested_preset in presets else 0
    mapping = cols[0].selectbox(
        t("import.preset"),
        presets,
        index=suggested,
        key=f"import_preset_{suggested}",
        format_func=lambda p: t("import.mapping_file") if p == "file" else p,
    )
    if mapping == "file":
        mapping = cols[0].text_input(t("import.mapping_path"), key="import_mapping_path")
    timezone = cols[1].text_input(t("import.timezone"), key="import_timezone", placeholder="Asia/Shanghai")
    city = cols[2].text_input(t("import.city"), key="import_city")
    with st.expander(t("import.boundaries")):
        b_path = st.text_input(t("import.boundary_path"), key="import_b_path")
        b_cols = st.columns(2)
        b_id = b_cols[0].text_input(t("import.boundary_id"), key="import_b_id")
        b_name = b_cols[1].text_input(t("import.boundary_name"), key="import_b_name")
        parents = st.text_area(
            t("import.parents"), key="import_parents", height=70, placeholder="community=/data/wards.geojson:WARD"
        )
        h3 = st.number_input(t("import.h3"), 0, 15, value=None, key="import_h3")
    if not files:
        st.info(t("import.no_files"))
        return
    try:
        st.caption(
            t(
                "import.detected",
                name=info.name,
                encoding=info.encoding,
                delimiter=repr(info.delimiter),
                columns=len(info.columns),
                preset=info.suggested_preset or "—",
            )
        )
        st.dataframe(
            preview(files, mapping, rows=10, timezone=timezone or None).map(
                lambda v: mask_text(v) if isinstance(v, str) else v
            ),
            hide_index=True,
            width="stretch",
            height=260,
        )
    except (IngestError, ValueError, OSError) as exc:
        st.error(t("import.preview_failed", reason=str(exc)))
        return
    if st.button(t("import.run"), type="primary", key="import_run", icon=":material/upload:"):
        try:
            spec = ImportSpec(
                db=store.db_path(),
                cases=files,
                mapping=mapping,
                timezone=timezone or None,
                city_name=city or None,
                city_name_en=city or None,
                h3_resolution=h3,
                boundaries=_boundaries(b_path, b_id, b_name, parents),
            )
            with st.spinner(t("import.running")):
                result = run_import(spec)
        except (IngestError, ValueError, OSError) as exc:
            st.error(t("import.failed", reason=str(exc)))
            return
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
    """The validation report of the loaded database (what was rejected or flagged, with samples)."""
    from analytics.ingest import load_report

    report = load_report(data.connection())
    meta = data.meta(key)
    if report.empty:
        st.info(t("import.no_report", dataset=meta.get("dataset", "")))
        return
    cols = st.columns(3)
    for col, name in zip(cols, ("rows_in", "rows_loaded", "rows_rejected")):
        col.metric(t(f"import.{name}"), fmt_int(int(meta[name])) if meta.get(name) else "—", border=True)
    shown = report.assign(
        kind=[t(f"import.kind_{k}") for k in report["kind"]],
        sample=report["sample"].map(lambda v: mask_text(v) if isinstance(v, str) else v),
    )
    st.dataframe(
        shown.rename(columns={c: t(f"import.col_{c}") for c in shown.columns}), hide_index=True, width="stretch"
    )
    rejects = data.connection().cursor().execute("SELECT * FROM rejects ORDER BY source, row_number LIMIT 200").df()
    if not rejects.empty:
        st.caption(t("import.rejects_sample", n=len(rejects)))
        st.dataframe(rejects.assign(raw=rejects["raw"].map(mask_text)), hide_index=True, width="stretch")

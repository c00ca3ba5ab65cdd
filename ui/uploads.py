"""Uploaded files of one browser session, in a private folder removed after use.

Each session gets its own ``mkdtemp`` folder (mode 0700); files are written under generated names
(the browser's name is only shown, never used as a path), so two sessions or two same-name uploads
never meet, and nothing an upload is called can point anywhere else. The folder is removed after
an import, and whenever the session's upload list is emptied.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import streamlit as st

KEY = "upload_dir"
# where Streamlit writes why it refused a file: under the file's chip (for screen readers) and in the tooltip
# shown when the pointer is on the chip (the only error tooltip of the Data page)
CHIP_ERROR = '[data-testid="stFileChip"] [role="alert"], [data-testid="stTooltipErrorContent"]'
SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _folder() -> Path:
    folder = st.session_state.get(KEY)
    if folder is None or not Path(folder).is_dir():
        folder = tempfile.mkdtemp(prefix="gridscope-upload-")
        st.session_state[KEY] = folder
    return Path(folder)


def saved(uploads, role: str) -> list[Path]:
    """The uploads written once each into the session's private folder (``role``: cases, boundary…)."""
    if not uploads:
        return []
    folder = _folder()
    paths = []
    for index, upload in enumerate(uploads):
        suffix = SAFE.sub("", Path(upload.name).suffix.lower())[:12]
        path = folder / f"{role}-{index}-{SAFE.sub('', str(upload.file_id))[:16]}{suffix}"
        if not path.exists():
            with open(path, "wb") as fh:
                fh.write(upload.getbuffer())
        paths.append(path)
    return paths


def remove() -> None:
    """Delete the session's upload folder and everything in it."""
    folder = st.session_state.pop(KEY, None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def _css_text(text: str) -> str:
    """``text`` as a CSS string literal (quotes, backslashes and line breaks escaped)."""
    escaped = "".join(c if c.isalnum() or c in " ()（）,，.:：-" else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'


def localize_widget() -> None:
    """Write Streamlit's own file-uploader texts ("Upload", "100MB per file", and under a refused file "Error:
    File must be 100.0MB or smaller.") in the page's language.

    Streamlit draws them in English whatever the locale; CSS hides its words and shows the catalog's
    (the button keeps its icon). The size limit is the server's ``server.maxUploadSize``. A refused file's
    reason is one of three (too large, a type not accepted, a failed transfer) and CSS cannot tell which: the
    sentence names all three.
    """
    from ui.i18n import t

    limit = int(st.get_option("server.maxUploadSize"))
    button, note = _css_text(t("uploader.button")), _css_text(t("uploader.limit", mb=limit))
    refused = _css_text(t("uploader.refused", mb=limit))
    zone = '[data-testid="stFileUploaderDropzone"]'
    st.html(
        "<style>"
        f'{zone} button [data-testid="stMarkdownContainer"] p {{font-size: 0;}}'
        f'{zone} button [data-testid="stMarkdownContainer"] p::after {{content: {button}; font-size: 14px;}}'
        f'{zone} [data-testid="stFileUploaderDropzoneInstructions"] span {{font-size: 0;}}'
        f'{zone} [data-testid="stFileUploaderDropzoneInstructions"] span::after {{content: {note}; font-size: 14px;}}'
        f"{CHIP_ERROR} {{font-size: 0;}}"
        f"{CHIP_ERROR.replace(',', '::after,')}::after {{content: {refused}; font-size: 14px;}}"
        "</style>"
    )

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

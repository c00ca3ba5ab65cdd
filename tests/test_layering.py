"""``analytics`` stays free of Streamlit (the benchmark harness, which drives the app, is the one exception)."""

from __future__ import annotations

import re
from pathlib import Path

ANALYTICS = Path(__file__).resolve().parent.parent / "analytics"
STREAMLIT_IMPORT = re.compile(r"^\s*(import streamlit|from streamlit)", re.M)


def test_analytics_never_imports_streamlit():
    offenders = [
        p.relative_to(ANALYTICS).as_posix()
        for p in ANALYTICS.rglob("*.py")
        if "bench" not in p.relative_to(ANALYTICS).parts and STREAMLIT_IMPORT.search(p.read_text("utf-8"))
    ]
    assert not offenders
    assert len(list(ANALYTICS.rglob("*.py"))) > 30  # the scan saw the package

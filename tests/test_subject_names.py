"""ui.names.subject_names (one lookup for many alert subjects) equals ui.names.subject_name item by item, and the
catalogue's names by hand, in both languages."""

from __future__ import annotations

import duckdb
import pytest
from streamlit.testing.v1 import AppTest


def _script():
    import streamlit as st

    from ui import names

    st.session_state["lang"] = st.session_state["want_lang"]
    types, ids, fallbacks = st.session_state["subjects"]
    st.session_state["batch"] = names.subject_names(types, ids, fallbacks)
    st.session_state["one_by_one"] = [names.subject_name(*item) for item in zip(types, ids, fallbacks)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_subject_names_equal_one_by_one(demo_env, lang):
    con = duckdb.connect(str(demo_env), read_only=True)
    dept, dept_zh, dept_en = con.execute(
        "SELECT department, department_name, coalesce(department_name_en, department_name) FROM departments "
        "ORDER BY department LIMIT 1"
    ).fetchone()
    cat, cat_zh, cat_en = con.execute(
        "SELECT category_code, category_name, coalesce(category_name_en, category_name) FROM categories "
        "ORDER BY category_code LIMIT 1"
    ).fetchone()
    con.close()
    types = ["department", "category", "grid", "department", "category", "category"]
    ids = [dept, cat, "G-1", "no-such-department", "no-such-category", "no-such-either"]
    fallbacks = ["fallback d", "fallback c", "Grid one", "kept d", "kept c", None]
    at = AppTest.from_function(_script, default_timeout=60)
    at.session_state["want_lang"] = lang
    at.session_state["subjects"] = (types, ids, fallbacks)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    batch = at.session_state["batch"]
    assert batch == at.session_state["one_by_one"]
    # by hand: the catalogue's name in the language; a grid keeps its own name; an unknown code its fallback,
    # or the code itself without one
    assert batch == [dept_en if lang == "en" else dept_zh, cat_en if lang == "en" else cat_zh, "Grid one",
                     "kept d", "kept c", "no-such-either"]  # fmt: skip

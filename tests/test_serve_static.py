"""The page ``python -m ui.serve`` serves: Streamlit's own, with the server's base named for the app's page URLs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from streamlit import file_util

from ui.navigation import PAGES
from ui.serve import static_dir_with_base_hint


def test_the_served_folder_is_streamlits_with_the_hint_before_its_first_script():
    original = Path(file_util.get_static_dir())
    pages = [p.url_path for p in PAGES]
    folder = Path(static_dir_with_base_hint(str(original), pages))
    assert folder != original
    # every other file is Streamlit's own, linked
    entries = {e.name for e in original.iterdir()}
    assert {e.name for e in folder.iterdir()} == entries
    for name in entries - {"index.html"}:
        assert (folder / name).is_symlink() and (folder / name).resolve() == (original / name).resolve()
    ours, theirs = (folder / "index.html").read_text("utf-8"), (original / "index.html").read_text("utf-8")
    assert not (folder / "index.html").is_symlink()
    # Streamlit's page unchanged around one inserted script, which comes before any of Streamlit's
    inserted = ours[ours.index("<script") : ours.index("<script", ours.index("</script>"))]
    assert ours.replace(inserted, "", 1) == theirs
    assert "window.__streamlit" in inserted and "BACKEND_BASE_URL" in inserted
    listed = json.loads(re.search(r"var pages = (\[.*?\]);", inserted).group(1))
    assert listed == pages and "profile" in listed and "grid-map" in listed


def test_a_page_without_a_script_tag_is_served_as_it_is(tmp_path):
    (tmp_path / "index.html").write_text("<html><body>no scripts</body></html>", encoding="utf-8")
    assert static_dir_with_base_hint(str(tmp_path), ["profile"]) == str(tmp_path)

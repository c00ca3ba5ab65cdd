"""The zh and en catalogs have the same keys, and every literal key the code asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']""")
FSTRING_KEY = re.compile(r"""\bt\(\s*f["']([a-z_]+(?:\.[a-z0-9_]+)*)\.\{""")


def catalogs() -> dict[str, dict[str, str]]:
    from ui.i18n import load_catalog

    return {lang: load_catalog(lang) for lang in ("zh", "en")}


def sources() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").rglob("*.py"))]


def test_catalogs_have_the_same_keys_and_no_empty_strings():
    cats = catalogs()
    assert set(cats["zh"]) == set(cats["en"]), set(cats["zh"]) ^ set(cats["en"])
    for lang, cat in cats.items():
        assert all(value.strip() for value in cat.values()), lang


def test_every_literal_key_in_the_code_exists():
    keys = set(catalogs()["zh"])
    missing = {
        (path.name, key)
        for path in sources()
        for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8"))
        if key not in keys
    }
    assert not missing, sorted(missing)


def test_every_prefix_of_a_computed_key_exists():
    keys = set(catalogs()["zh"])
    prefixes = {prefix for path in sources() for prefix in FSTRING_KEY.findall(path.read_text(encoding="utf-8"))}
    assert prefixes, "the scan found no computed keys: the pattern is broken"
    for prefix in prefixes:
        assert any(k.startswith(prefix + ".") for k in keys), prefix


def test_chinese_catalog_is_chinese():
    cjk = re.compile(r"[\u4e00-\u9fff]")
    zh = catalogs()["zh"]
    for key in ("page.overview", "metric.closure_rate", "status.red", "app.demo_badge"):
        assert cjk.search(zh[key]), key


def test_every_canonical_table_has_a_name():
    # the Data page lists each table of analytics.schema with its name (case_terms once read "[table.case_terms]")
    from ui.data_parts import LISTED_TABLES

    assert "case_days" in LISTED_TABLES  # the derived daily counts are listed too
    for lang, cat in catalogs().items():
        missing = [name for name in LISTED_TABLES if f"table.{name}" not in cat]
        assert not missing, (lang, missing)

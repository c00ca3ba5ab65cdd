"""Streamlit's "magic" is off (``.streamlit/config.toml``): a bare expression in a page would silently draw
nothing, so no page or the frame may hold one (docstrings and calls are what they always were)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
STATEMENT_LISTS = ("body", "orelse", "finalbody")


def bare_expressions(source: str) -> list[int]:
    """Line numbers of the expression statements magic would have written (not calls, docstrings, yields)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        for field in STATEMENT_LISTS:
            statements = getattr(node, field, None)
            if not isinstance(statements, list):
                continue
            for i, statement in enumerate(statements):
                if not isinstance(statement, ast.Expr):
                    continue
                value = statement.value
                docstring = (
                    i == 0
                    and field == "body"
                    and isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef))
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                )
                if not docstring and not isinstance(value, (ast.Call, ast.Yield, ast.YieldFrom, ast.Await)):
                    lines.append(statement.lineno)
    return lines


def test_magic_is_off():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["magicEnabled"] is False


def test_the_scanner_finds_what_magic_would_write():
    source = '"""doc"""\nimport streamlit as st\nx = 1\nx\nst.write(x)\nif x:\n    "text"\nelse:\n    x, 2\n'
    assert bare_expressions(source) == [4, 7, 9]


def test_no_page_relies_on_magic():
    assert len(SCRIPTS) > 10
    found = {str(p.relative_to(ROOT)): bare_expressions(p.read_text(encoding="utf-8")) for p in SCRIPTS}
    assert {name: lines for name, lines in found.items() if lines} == {}

"""The compare page (AppTest): a link's cmp_* parameters reproduce the view; tiles show report numbers."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb

from tests.test_pages import run_page


def _report(*args) -> dict:
    out = subprocess.run([sys.executable, "-m", "analytics", "report", *args], capture_output=True, text=True)
    return json.loads(out.stdout)


def test_link_reproduces_two_areas_with_report_numbers(demo_env):
    con = duckdb.connect(str(demo_env), read_only=True)
    (a, name_a), (b, name_b) = con.execute(
        "SELECT street_id, any_value(street_name) FROM grids GROUP BY 1 ORDER BY 1 DESC LIMIT 2"
    ).fetchall()
    con.close()
    query = {"cmp_mode": "areas", "cmp_level": "street", "cmp_a": a, "cmp_b": b, "cmp_metric": "reported"}
    at = run_page("pages/compare.py", "en", query)
    assert not at.exception and not at.error, [e.value for e in at.exception]
    assert at.session_state["cmp_a"] == a and at.session_state["cmp_b"] == b
    assert any(f"**A** · {name_a}" in m.value and f"**B** · {name_b}" in m.value for m in at.markdown)
    f = at.session_state["filters"]
    report_b = _report("--start", str(f.start), "--end", str(f.end), "--level", "street", "--area", b)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Reported"] == f"{report_b['reported']:,}"
    assert tiles["Closure rate"] == f"{report_b['closure_rate'] * 100:.1f}%"


def test_bad_link_values_fall_back_to_defaults(demo_env):
    query = {"cmp_mode": "x'; DROP", "cmp_day": "2099-99-99", "cmp_days": "-3", "cmp_metric": "**x**"}
    at = run_page("pages/compare.py", "zh", query)
    assert not at.exception and not at.error
    assert at.session_state["cmp_mode"] == "periods"
    assert at.session_state["cmp_days"] == 30 and at.session_state["cmp_metric"] == "on_time_closure_rate"

"""The server warms itself before its first visitor (ui/warmup.py): the pages' code, jieba's model, the data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ui import warmup

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys
from ui import warmup
before = set(sys.modules)
timings = warmup.warm(warmup.modules() + ["ui.no_such_parts"])
from ui import data
print(json.dumps({
    "timings": timings,
    "imported": sorted(set(sys.modules) - before),
    "connection_open": data.LIVE._con is not None,
}))
"""


def _warm_in_a_fresh_process(db: Path) -> dict:
    env = {**os.environ, "GRIDSCOPE_DB": str(db), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_fresh_process_is_warmed_for_every_page(demo_db):
    out = _warm_in_a_fresh_process(demo_db)
    parts = sorted(f"ui.{p.stem}" for p in (ROOT / "ui").glob("*_parts.py"))
    assert "ui.overview_parts" in parts and "ui.hotspot_parts" in parts  # the glob finds the pages' parts
    for name in [*parts, "name masking model", "connection"]:
        assert name in out["timings"], name
    # the libraries the pages load late were loaded: PySAL for hotspots, scikit-learn for repeats,
    # jieba's part-of-speech model for name masking
    for module in ("esda", "libpysal", "sklearn", "jieba.posseg", "plotly.graph_objects", "pydeck"):
        assert module in out["imported"], module
    assert out["connection_open"]
    # a step that fails is skipped, not fatal
    assert "ui.no_such_parts" not in out["timings"]


def test_warm_up_is_off_unless_configured():
    assert warmup.start({"startup": {"warm_up": False}}) is None
    assert warmup.enabled({}) is False and warmup.enabled({"startup": {"warm_up": True}}) is True

"""``load_config`` hands out a fresh copy each call, built by ``fresh_copy`` (not ``copy.deepcopy``)."""

from __future__ import annotations

import copy
import datetime as dt

from analytics.config import DEFAULTS, fresh_copy, load_config


def test_fresh_copy_equals_deepcopy_and_shares_no_container():
    when = dt.datetime(2026, 11, 27, 8, 30)
    source = {
        "a": {"b": [1, 2.5, "x", True, None, [3, {"c": 4}]], "d": dt.date(2026, 1, 1)},
        "when": when,
        "t": dt.time(9, 0),
        "pair": (1, [2]),  # not a TOML type: handed to deepcopy
    }
    out = fresh_copy(source)
    assert out == copy.deepcopy(source)
    assert out["a"] is not source["a"] and out["a"]["b"] is not source["a"]["b"]
    assert out["a"]["b"][5] is not source["a"]["b"][5] and out["a"]["b"][5][1] is not source["a"]["b"][5][1]
    assert out["pair"][1] is not source["pair"][1]  # deepcopy copied the list inside the tuple
    out["a"]["b"][5][1]["c"] = 99
    out["a"]["b"].append("new")
    out["pair"][1].append(3)
    assert source["a"]["b"] == [1, 2.5, "x", True, None, [3, {"c": 4}]]
    assert source["pair"] == (1, [2])
    assert out["when"] is when  # immutable scalars are shared, as deepcopy shares them


def test_load_config_returns_independent_copies(tmp_path, monkeypatch):
    path = tmp_path / "g.toml"
    path.write_text("[status]\nmin_due_to_close = 7\n[alerts]\nmax_rows = 3\n", encoding="utf-8")
    first = load_config(path)
    assert first["status"]["min_due_to_close"] == 7 and first["alerts"]["max_rows"] == 3
    assert first == copy.deepcopy(load_config(path))
    first["status"]["min_due_to_close"] = 1000
    first["score"]["weights"].clear()
    second = load_config(path)
    assert second["status"]["min_due_to_close"] == 7
    assert second["score"]["weights"] == DEFAULTS["score"]["weights"] and second["score"]["weights"]
    missing = load_config(tmp_path / "absent.toml")  # no file: the defaults, copied
    assert missing == DEFAULTS and missing["score"] is not DEFAULTS["score"]

"""One TOML configuration file (``data/gridscope.toml``) with defaults in code.

``GRIDSCOPE_CONFIG`` points at another file. Unknown keys are kept; missing keys
fall back to :data:`DEFAULTS`.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from analytics.store import DATA_DIR

CONFIG_PATH = DATA_DIR / "gridscope.toml"

DEFAULTS: dict[str, Any] = {
    "city": {"name": "GridScope", "name_en": "GridScope", "timezone": "Asia/Shanghai"},
    "score": {
        "weights": {
            "on_time_closure_rate": 40,
            "closure_rate": 30,
            "satisfaction_rate": 20,
            "non_rework_rate": 10,
            "non_repeat_rate": 0,
        },
        "department_weights": {"on_time_handling_rate": 50, "handled_rate": 30, "non_rework_rate": 20},
        "worker_weights": {"report_volume": 30, "valid_report_rate": 30, "self_handled_rate": 40},
        "worker_reports_per_30_days": 20,
        "grades": {"A": 90, "B": 75, "C": 60, "D": 40},
    },
    "status": {"min_due_to_close": 5, "red_open_overdue_share": 0.20},
    "three_rates": {"weights": {"response_rate": 0.10, "solve_rate": 0.50, "satisfaction_rate": 0.40}},
    "city_index": {
        "targets": {
            "closure_rate": 0.95,
            "on_time_closure_rate": 0.90,
            "satisfaction_rate": 0.90,
            "response_rate": 0.95,
            "local_resolution_rate": 0.95,
            "median_handling_hours": 48.0,
        },
        "lower_is_better": ["median_handling_hours"],
        "cap": 1.2,
    },
    "metrics": {"exclude_suspended": True, "dispute_window_days": 30},
    "alerts": {
        "min_open_overdue": 5,
        "on_time_drop_points": 0.20,
        "rising_demand_ratio": 1.5,
        "rising_demand_min": 10,
        "max_rows": 12,
    },
    "spikes": {"robust_sd": 3.0, "min_excess": 10, "baseline_weeks": 8, "min_lags": 6},
    "calendar": {
        "work_start": "09:00",
        "work_end": "17:00",
        "official": "chinese-calendar",
        "holidays": [],
        "workdays": [],
        "years": [],
    },
    "deadlines": {},  # deadline rules for imports without due_at: see analytics/ingest/deadlines.py
    "map": {"tile_url": ""},
    "privacy": {"unmask": False},
    "compare": {"alpha": 0.05},
    "closed_loop": {"overdue_rows_shown": 500, "overdue_rows_listed": 5000},
    "presentation": {"rotate_seconds": 30, "refresh_seconds": 300},
    "dispatch": {
        "confidence_threshold": 0.6,
        "max_train_cases": 300_000,
        "max_text_chars": 1000,
        "similar_cases": 5,
        "similar_pool": 500,
        "seed": 42,
        "train_on_demand": True,
    },
    "text": {
        "top_terms": 30,
        "min_term_cases": 5,
        "emerging_baseline_periods": 3,
        "emerging_fdr": 0.05,
        "emerging_min_ratio": 2.0,
        "emerging_min_cases": 8,
        "search_max_rows": 200,
        "search_max_chars": 50,
    },
    "repeats": {
        "distance_m": 100.0,
        "window_hours": 72.0,
        "text_similarity": 0.3,
        "rebound_days": 30,
        "rebound_distance_m": 30.0,
    },
    "freshness": {"refresh_seconds": 30, "amber_minutes": 30},
    "startup": {"warm_up": False},
    "limits": {"heavy_analyses": 1, "wait_seconds": 5.0, "wait_max_cases": 200_000},
    "sync": {
        "batch_rows": 50_000,
        "overlap_seconds": 60,
        "reconcile_seconds": 900,
        "keep_generations": 3,
        "close_grace_seconds": 60,
        "connect_timeout_seconds": 10,
        "memory_limit": "1GB",
        "max_layers": 8,
        "copy_streams": 2,
        "split_rows": 100_000,
        "correction_rows": 100_000,
        "copy_client": "auto",
    },
    "auth": {
        "users_file": "",
        "max_failures": 5,
        "lockout_minutes": 15,
        "session_minutes": 480,
        "idle_minutes": 60,
    },
    "audit": {"path": "", "retention_days": 365},
    "import": {"directory": "", "max_files": 5, "memory_limit": "2GB"},
    "cube": {
        "bin_base_seconds": 60,
        "bins_per_decade": 50,
        "max_seconds": 1_000_000_000,
        "spark_master": "local[2]",
        "spark_driver_memory": "2g",
        "spark_shuffle_partitions": 8,
        "duckdb_memory_limit": "3GB",
        "duckdb_temp_directory": "",
        "duckdb_step_months": 1,
    },
}


class ConfigError(ValueError):
    """The configuration file is malformed; ``file``, ``line`` (or None) and ``key`` say where."""

    def __init__(self, file: Path, line: int | None, key: str, reason: str):
        self.file, self.line, self.key, self.reason = Path(file), line, key, reason
        where = f"{self.file}" + (f", line {line}" if line else "") + (f", key {key}" if key else "")
        super().__init__(f"configuration error in {where}: {reason}")


def _line_of(text: str, key: str) -> int | None:
    """The line where ``key`` (its last part) is set in the file text, or None."""
    name = key.rsplit(".", 1)[-1]
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(f"{name} ") or stripped.startswith(f"{name}=") or f" {name} =" in stripped:
            return number
    return None


def _kind(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, list):
        return "a list"
    return "a table"


def _check_types(defaults: dict, values: dict, prefix: str, text: str, path: Path) -> None:
    """Every key the file sets that has a default must have the default's type."""
    for key, value in values.items():
        if key not in defaults:
            continue
        default, name = defaults[key], f"{prefix}{key}"
        if isinstance(default, dict) and isinstance(value, dict):
            _check_types(default, value, f"{name}.", text, path)
            continue
        numeric = isinstance(default, (int, float)) and not isinstance(default, bool)
        ok = (
            isinstance(value, (int, float)) and not isinstance(value, bool)
            if numeric
            else isinstance(value, type(default))
        )
        if not ok:
            raise ConfigError(path, _line_of(text, name), name, f"expected {_kind(default)}, found {value!r}")


def _merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def config_path() -> Path:
    env = os.environ.get("GRIDSCOPE_CONFIG")
    return Path(env) if env else CONFIG_PATH


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> dict[str, Any]:
    with open(path, "rb") as fh:
        raw = fh.read()
    text = raw.decode("utf-8", errors="replace")
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = getattr(exc, "lineno", None) or (int(found.group(1)) if found else None)
        reason = getattr(exc, "msg", None) or re.sub(r"\s*\(at line .*\)$", "", str(exc))
        raise ConfigError(Path(path), line, _key_at(text, line), reason) from None
    _check_types(DEFAULTS, values, "", text, Path(path))
    return _merge(DEFAULTS, values)


def _key_at(text: str, line: int | None) -> str:
    """The ``section.key`` written on ``line`` (for a parse error), or the section, or ''."""
    if not line:
        return ""
    lines = text.splitlines()
    section = ""
    for current in lines[: line - 1]:
        if current.strip().startswith("[") and current.strip().endswith("]"):
            section = current.strip().strip("[]").strip()
    here = lines[line - 1] if line - 1 < len(lines) else ""
    key = here.split("=", 1)[0].strip() if "=" in here else ""
    return ".".join(p for p in (section, key) if p)


def load_config(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """The configuration as a nested dict: the file's values over :data:`DEFAULTS`.

    Raises :class:`ConfigError` (a ``ValueError``) naming the file, line and key when the TOML cannot be
    parsed or a value has the wrong type.
    """
    path = Path(path) if path else config_path()
    if not path.exists():
        return fresh_copy(DEFAULTS)
    return fresh_copy(_load(str(path), path.stat().st_mtime))


def fresh_copy(value: Any) -> Any:
    """``copy.deepcopy`` of a configuration value (nested dicts and lists of TOML scalars), without deepcopy's
    memo and dispatch: the caller may change the copy freely. A page run asks for the configuration ~30 times
    (0.5 ms a deepcopy, 10-15 ms a cold run); anything but a dict, list or immutable scalar goes to deepcopy.

    Examples
    --------
    >>> cfg = {"a": {"b": [1, 2.5, "x", True, None]}}
    >>> out = fresh_copy(cfg)
    >>> out == cfg, out["a"] is cfg["a"], out["a"]["b"] is cfg["a"]["b"]
    (True, False, False)
    """
    kind = type(value)
    if kind is dict:
        return {key: fresh_copy(item) for key, item in value.items()}
    if kind is list:
        return [fresh_copy(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)


_IMMUTABLE = frozenset({str, int, float, bool, type(None), dt.date, dt.datetime, dt.time})

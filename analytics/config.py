"""One TOML configuration file (``data/gridscope.toml``) with defaults in code.

``GRIDSCOPE_CONFIG`` points at another file. Unknown keys are kept; missing keys
fall back to :data:`DEFAULTS`.
"""

from __future__ import annotations

import copy
import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from analytics.store import DATA_DIR

CONFIG_PATH = DATA_DIR / "gridscope.toml"

DEFAULTS: dict[str, Any] = {
    "city": {"name": "GridScope", "name_en": "GridScope", "timezone": "Asia/Shanghai"},
    "score": {
        "weights": {"on_time_closure_rate": 40, "closure_rate": 30, "satisfaction_rate": 20, "non_rework_rate": 10},
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
    },
    "alerts": {
        "min_open_overdue": 5,
        "on_time_drop_points": 0.20,
        "rising_demand_ratio": 1.5,
        "rising_demand_min": 10,
        "max_rows": 12,
    },
    "spikes": {"robust_sd": 3.0, "min_excess": 10, "baseline_weeks": 8},
    "calendar": {"work_start": "09:00", "work_end": "17:00", "holidays": [], "workdays": []},
    "map": {"tile_url": ""},
    "privacy": {"unmask": False},
    "compare": {"alpha": 0.05},
    "presentation": {"rotate_seconds": 30, "refresh_seconds": 300},
}


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
        return _merge(DEFAULTS, tomllib.load(fh))


def load_config(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """The configuration as a nested dict: the file's values over :data:`DEFAULTS`.

    Raises ``ValueError`` with the file name when the TOML cannot be parsed.
    """
    path = Path(path) if path else config_path()
    if not path.exists():
        return copy.deepcopy(DEFAULTS)
    try:
        return copy.deepcopy(_load(str(path), path.stat().st_mtime))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"configuration file {path} is not valid TOML: {exc}") from exc

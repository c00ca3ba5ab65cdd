"""The cube's one SQL text (``sql/cube.sql``, DuckDB dialect) and its Spark transpilation by ``sqlglot``.

Everything engine-specific in the SQL sits here: the statements are written once and ``sqlglot`` rewrites
them for Spark (``epoch`` -> ``UNIX_TIMESTAMP``, ``log10`` -> ``LOG(10, x)``, interval and cast syntax).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from analytics.config import DEFAULTS

SQL_FILE = Path(__file__).with_name("sql") / "cube.sql"
ENGINES = ("duckdb", "spark")
CUBE_TABLES = (
    "daily", "open_changes", "suspended_spans", "self_handled", "handling_histogram",
    "department_daily", "department_histogram",
)  # fmt: skip


def cube_settings(cfg: dict | None = None) -> dict[str, int]:
    """The integers the SQL text needs, from the configuration (``[metrics]`` and ``[cube]``).

    Raises
    ------
    ValueError
        When a setting is not a positive integer.
    """
    cfg = cfg or {}
    cube = {**DEFAULTS["cube"], **cfg.get("cube", {})}
    metrics = {**DEFAULTS["metrics"], **cfg.get("metrics", {})}
    values = {
        "dispute_days": metrics["dispute_window_days"],
        "bin_base_seconds": cube["bin_base_seconds"],
        "bins_per_decade": cube["bins_per_decade"],
        "max_seconds": cube["max_seconds"],
    }
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"cube setting {key} must be a positive integer, not {value!r}")
    values["last_bin"] = last_bin(values)
    return values


def last_bin(settings: dict[str, int]) -> int:
    """The overflow bin: every duration at or beyond ``max_seconds`` falls in it."""
    decades = math.log10(settings["max_seconds"] / settings["bin_base_seconds"])
    return math.ceil(decades * settings["bins_per_decade"]) + 1


def statements(settings: dict[str, int], engine: str = "duckdb") -> dict[str, str]:
    """``{table: SELECT statement}`` of the cube for ``engine``, with the settings filled in.

    Examples
    --------
    >>> sql = statements(cube_settings(), "spark")
    >>> sorted(sql) == sorted(CUBE_TABLES)
    True
    >>> "UNIX_TIMESTAMP" in sql["handling_histogram"]
    True
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    text = SQL_FILE.read_text(encoding="utf-8")
    parts = re.split(r"^-- name: (\w+)\s*$", text, flags=re.M)
    out: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2]):
        sql = body.strip().rstrip(";").format(**{k: int(v) for k, v in settings.items()})
        if engine == "spark":
            import sqlglot

            sql = sqlglot.transpile(sql, read="duckdb", write="spark")[0]
        out[name] = sql
    if tuple(out) != CUBE_TABLES:
        raise ValueError(f"{SQL_FILE} must define {CUBE_TABLES}, found {tuple(out)}")
    return out


def bin_edges_seconds(settings: dict[str, int]) -> list[int]:
    """Lower edges of the bins in whole seconds, as the SQL computes them: bin 0 starts at 0, bin ``b >= 1`` at
    ``round(base * 10 ** ((b - 1) / per_decade))``; one more edge closes the last finite bin."""
    base, per = settings["bin_base_seconds"], settings["bins_per_decade"]
    return [0] + [round(base * 10 ** (k / per)) for k in range(settings["last_bin"] + 1)]

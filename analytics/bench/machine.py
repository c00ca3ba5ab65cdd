"""What the numbers were measured on: processor, cores, memory, versions and the commit."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        return None
    return None


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def _blas() -> list[dict]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    import numpy  # noqa: F401  (loads the BLAS threadpoolctl reports)

    return [
        {k: info.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
        for info in threadpool_info()
    ]


def machine_info() -> dict:
    """A JSON-ready description of this machine and checkout."""
    import duckdb
    import numpy
    import pandas
    import streamlit

    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "streamlit": streamlit.__version__,
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(dirty) if dirty is not None else None,
        "blas": _blas(),
        "blas_environment": {name: os.environ.get(name) for name in BLAS_VARIABLES},
        "load_average": load_average(),
    }


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: on a shared machine, how busy it was around the measurement."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def worker_environment() -> dict[str, str]:
    """The environment of the measuring processes: this one, less the OpenBLAS core-type overrides.

    Those variables work around old OpenBLAS builds on some processors and slow a current numpy,
    so a benchmark unsets both together (tests and CI keep them).
    """
    return {k: v for k, v in os.environ.items() if k not in BLAS_VARIABLES}

"""Resident memory of this process from ``/proc`` (Linux), standard library only.

``reset_peak`` writes ``5`` to ``/proc/self/clear_refs`` (Linux ≥ 4.0), which resets the
peak (``VmHWM``) to the current resident size, so a phase's own peak can be read after it.
Elsewhere the process-lifetime peak of ``resource.getrusage`` is reported.
"""

from __future__ import annotations

import resource
import sys


def _status(field: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def process_peak_rss_mb() -> float:
    """Peak resident memory of the whole process lifetime, MB (on Linux this includes the peak of the
    process that forked this one: prefer :func:`reset_peak` and :func:`peak_rss_mb`)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def current_rss_mb() -> float:
    value = _status("VmRSS")
    return value if value is not None else process_peak_rss_mb()


def reset_peak() -> bool:
    """Reset the peak to the current resident size; False where the system does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """Peak resident memory since the last :func:`reset_peak` (else since the process started), MB."""
    value = _status("VmHWM")
    return value if value is not None else process_peak_rss_mb()

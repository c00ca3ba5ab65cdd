"""The append-only audit log: who did what, when, on which page and with which filters.

One JSON object per line in ``audit.jsonl`` beside the database (``$GRIDSCOPE_AUDIT`` or
``[audit] path`` elsewhere), outside the database file because an import replaces that file.
The app only ever appends (``O_APPEND`` and an exclusive ``flock`` per record, so concurrent
sessions never interleave); :func:`prune` (the ``audit prune`` command) is the only thing that
removes lines, and only lines older than ``[audit] retention_days`` (at least
:data:`MIN_RETENTION_DAYS`).

Actions: ``login``, ``login_failed``, ``login_locked``, ``logout``, ``session_expired``, ``kiosk``,
``view`` (page and filters), ``export`` (file name), ``briefing``, ``unmask``, ``import``,
``import_refused``, ``import_busy``, ``denied``.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from pathlib import Path

import pandas as pd

MIN_RETENTION_DAYS = 180
COLUMNS = ("at", "actor", "role", "action", "page", "detail", "client")


class AuditError(OSError):
    """The audit log cannot be written or read."""


def audit_path(cfg: dict | None = None) -> Path:
    if os.environ.get("GRIDSCOPE_AUDIT"):
        return Path(os.environ["GRIDSCOPE_AUDIT"])
    configured = str(((cfg or {}).get("audit") or {}).get("path", "") or "")
    if configured:
        return Path(configured)
    from analytics.store import db_path

    return db_path().parent / "audit.jsonl"


def record(
    path: str | os.PathLike,
    actor: str,
    role: str,
    action: str,
    page: str = "",
    detail: dict | None = None,
    client: str | None = None,
    now: dt.datetime | None = None,
) -> dict:
    """Append one record and return it (``AuditError`` when the file cannot be written)."""
    entry = {
        "at": (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "actor": str(actor),
        "role": str(role),
        "action": str(action),
        "page": str(page or ""),
        "detail": detail or {},
        "client": client or "",
    }
    line = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError as exc:
        raise AuditError(f"cannot write the audit log {path}: {exc.strerror}") from None
    return entry


def read(path: str | os.PathLike, limit: int = 1000, action: str | None = None) -> pd.DataFrame:
    """The newest ``limit`` records (newest first), optionally of one action; empty when there is no log."""
    path = Path(path)
    if not path.exists():
        return pd.DataFrame(columns=list(COLUMNS))
    rows = []
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a torn last line after a crash; never stop the log being read
                if action is None or entry.get("action") == action:
                    rows.append(entry)
    except OSError as exc:
        raise AuditError(f"cannot read the audit log {path}: {exc.strerror}") from None
    frame = pd.DataFrame(rows[-limit:][::-1], columns=list(COLUMNS))
    frame["detail"] = frame["detail"].map(lambda d: json.dumps(d, ensure_ascii=False, sort_keys=True))
    return frame


def prune(path: str | os.PathLike, retention_days: int, now: dt.datetime | None = None) -> int:
    """Drop records older than ``retention_days`` (at least :data:`MIN_RETENTION_DAYS`); the count dropped."""
    if int(retention_days) < MIN_RETENTION_DAYS:
        raise ValueError(f"audit retention is at least {MIN_RETENTION_DAYS} days, not {retention_days}")
    path = Path(path)
    if not path.exists():
        return 0
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=int(retention_days))
    with open(path, "r+", encoding="utf-8") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        lines = fh.readlines()
        kept = [line for line in lines if _at(line) is None or _at(line) >= cutoff]
        fh.seek(0)
        fh.writelines(kept)
        fh.truncate()
    return len(lines) - len(kept)


def _at(line: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(json.loads(line)["at"])
    except (ValueError, KeyError, TypeError):
        return None

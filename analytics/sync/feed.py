"""``python -m analytics demo --feed``: a case system that lives, in a PostgreSQL table.

:func:`create_table` makes the upstream table (the canonical columns, ``updated_at`` with its index),
:func:`seed_from_db` copies every case of a GridScope database into it (so upstream holds the whole
truth, as a real case system does), and :class:`Feed` then writes new reports and status changes
(dispatch, closure, cancellation) in real time, each with ``updated_at = now()``. Deterministic for a
seed: the same seed makes the same sequence of changes.
"""

from __future__ import annotations

import datetime as dt
import io
import time
import zoneinfo
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psycopg
from psycopg import sql

from analytics.sync.errors import SyncError
from analytics.sync.live import open_live

COLUMNS = {
    "case_id": "text PRIMARY KEY",
    "kind": "text NOT NULL",
    "category_code": "text",
    "category_name": "text",
    "category_major": "text",
    "source": "text",
    "grid_id": "text",
    "lon": "double precision",
    "lat": "double precision",
    "location_flag": "text",
    "reported_at": "timestamp NOT NULL",
    "filed_at": "timestamp",
    "dispatched_at": "timestamp",
    "handled_at": "timestamp",
    "closed_at": "timestamp",
    "due_at": "timestamp",
    "status": "text",
    "department": "text",
    "reporter_worker_id": "text",
    "self_handled": "boolean",
    "rework_count": "integer",
    "resolution_level": "text",
    "callback_valid": "boolean",
    "callback_contacted": "boolean",
    "callback_solved": "boolean",
    "satisfaction": "text",
    "quality_flags": "text",
    "description": "text",
    "updated_at": "timestamptz NOT NULL DEFAULT now()",
}
TIMEZONE = "Asia/Shanghai"  # the demo city's


def _table(name: str) -> sql.Composable:
    return sql.SQL(".").join(sql.Identifier(p) for p in name.split("."))


def create_table(conn: psycopg.Connection, table: str) -> None:
    """The upstream case table and the index on its watermark column (if missing)."""
    items = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in COLUMNS.items())
    conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(_table(table), items))
    index = sql.Identifier(table.replace(".", "_") + "_updated_at")
    conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (updated_at)").format(index, _table(table)))
    conn.commit()


def seed_from_db(conn: psycopg.Connection, db: str | Path, table: str) -> int:
    """Copy every case of the database at ``db`` into an empty upstream ``table``; return the count."""
    create_table(conn, table)
    if conn.execute(sql.SQL("SELECT count(*) FROM {}").format(_table(table))).fetchone()[0]:
        return 0
    names = [c for c in COLUMNS if c != "updated_at"]
    stamp = "greatest(reported_at, filed_at, dispatched_at, handled_at, closed_at)"
    con = open_live(db)
    try:
        reader = con.sql(
            f"SELECT {', '.join(names)}, strftime({stamp}, '%Y-%m-%d %H:%M:%S.%f') AS updated_at FROM cases"
        ).to_arrow_reader(100_000)
        total = 0
        conn.execute("SELECT set_config('TimeZone', %s, false)", (TIMEZONE,))
        target = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
            _table(table), sql.SQL(", ").join(sql.Identifier(c) for c in [*names, "updated_at"])
        )
        with conn.cursor() as cur, cur.copy(target) as copy:
            import pyarrow.csv as pacsv

            for batch in reader:
                buffer = io.BytesIO()
                pacsv.write_csv(batch, buffer, pacsv.WriteOptions(include_header=False))
                copy.write(buffer.getvalue())
                total += batch.num_rows
        conn.commit()
    finally:
        con.close()
    return total


class Feed:
    """New reports and status changes in the upstream ``table``, one tick at a time."""

    def __init__(self, conn: psycopg.Connection, table: str, db: str | Path, seed: int = 42):
        self.conn, self.table, self.rng = conn, table, np.random.default_rng(seed)
        con = open_live(db)
        try:
            self.templates = con.execute(
                "SELECT kind, category_code, category_name, category_major, source, grid_id, lon, lat, department "
                "FROM cases WHERE grid_id IS NOT NULL USING SAMPLE 2000 ROWS (reservoir, 7) ORDER BY ALL"
            ).fetchall()
        finally:
            con.close()
        self.seq = 0
        conn.execute("SELECT set_config('TimeZone', %s, false)", (TIMEZONE,))
        conn.commit()

    def now(self) -> dt.datetime:
        return dt.datetime.now(zoneinfo.ZoneInfo(TIMEZONE)).replace(tzinfo=None, microsecond=0)

    def report(self, count: int) -> list[str]:
        """Insert ``count`` new cases reported now; return their ids."""
        now, ids = self.now(), []
        for _ in range(count):
            t = self.templates[int(self.rng.integers(len(self.templates)))]
            self.seq += 1
            case_id = f"F{now:%Y%m%d%H%M%S}{self.seq:05d}"
            self.conn.execute(
                sql.SQL(
                    "INSERT INTO {} (case_id, kind, category_code, category_name, category_major, source, grid_id, "
                    "lon, lat, department, reported_at, filed_at, status, rework_count, updated_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'filed', 0, now())"
                ).format(_table(self.table)),
                (case_id, *t, now, now),
            )
            ids.append(case_id)
        self.conn.commit()
        return ids

    def advance(self, count: int, cancel_share: float = 0.1) -> int:
        """Move ``count`` open cases one stage on (dispatched → handled → closed), some cancelled."""
        rows = self.conn.execute(
            sql.SQL(
                "SELECT case_id, status FROM {} WHERE status IN ('filed', 'dispatched', 'handled') "
                "ORDER BY reported_at DESC, case_id LIMIT %s"
            ).format(_table(self.table)),
            (count * 4,),
        ).fetchall()
        picked = [rows[i] for i in sorted(self.rng.choice(len(rows), min(count, len(rows)), replace=False))]
        now = self.now()
        for case_id, status in picked:
            if self.rng.random() < cancel_share:
                self.set_status(case_id, "cancelled", now, commit=False)
            else:
                nxt = {"filed": "dispatched", "dispatched": "handled", "handled": "closed"}[status]
                self.set_status(case_id, nxt, now, commit=False)
        self.conn.commit()
        return len(picked)

    def set_status(self, case_id: str, status: str, at: dt.datetime, commit: bool = True) -> None:
        """Set a case's status (and the stage time it implies) with ``updated_at = now()``."""
        stamp = {"dispatched": "dispatched_at", "handled": "handled_at", "closed": "closed_at"}.get(status)
        extra = sql.SQL(", {} = %s").format(sql.Identifier(stamp)) if stamp else sql.SQL("")
        self.conn.execute(
            sql.SQL("UPDATE {} SET status = %s{}, updated_at = now() WHERE case_id = %s").format(
                _table(self.table), extra
            ),
            (status, at, case_id) if stamp else (status, case_id),
        )
        if commit:
            self.conn.commit()


def run_feed(
    url: str,
    table: str,
    db: str | Path,
    seed: int,
    every: float,
    per_tick: int,
    ticks: int | None,
    log: Callable[[str], None],
) -> dict:
    """Seed ``table`` from ``db`` when empty, then report and advance cases every ``every`` seconds."""
    try:
        conn = psycopg.connect(url, connect_timeout=10)
    except psycopg.Error as exc:
        raise SyncError(f"cannot connect to {url.split('@')[-1]}: {str(exc).strip()}") from None
    with conn:
        seeded = seed_from_db(conn, db, table)
        log(f"feed: {seeded:,} cases copied into {table}" if seeded else f"feed: {table} already has cases")
        feed, done = Feed(conn, table, db, seed), 0
        while ticks is None or done < ticks:
            new = feed.report(per_tick)
            moved = feed.advance(per_tick)
            done += 1
            log(f"feed: tick {done}: {len(new)} new, {moved} moved on")
            time.sleep(every)
    return {"seeded": seeded, "ticks": done}

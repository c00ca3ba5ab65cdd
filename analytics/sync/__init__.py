"""Incremental sync from the case system's PostgreSQL into a delta beside the database, and live reading.

The database file (built by ``demo`` or ``import``) is the *base*; it is never written in place. A sync
writes a new *generation* of a small delta file (the cases changed since the base, the ids removed
upstream, the sync's rejects, ``sync_log`` and its watermark) under ``<db>.live/`` and switches an
atomic pointer to it. Readers (:mod:`analytics.sync.live`) open the base and the current delta
read-only and see ``cases`` = base cases replaced by the delta. See ``docs/sync.md``.
"""

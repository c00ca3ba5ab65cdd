"""Incremental sync from the case system's PostgreSQL into a delta beside the database, and live reading.

The database file (built by ``demo`` or ``import``) is the *base*; it is never written in place. A sync
writes a new *generation* under ``<db>.live/``: a status file (``sync_log``, the watermark) and, when it
changed something, one more small data *layer* (the cases it changed, the ids it removed, its rejects;
:mod:`analytics.sync.layers`, merged now and then by :mod:`analytics.sync.compact`), and switches an
atomic pointer to it. Readers (:mod:`analytics.sync.live`) open the base and the current delta
read-only and see ``cases`` = base cases replaced by the delta. See ``docs/sync.md``.
"""

"""The error a sync raises for anything a user or the source can cause."""

from __future__ import annotations


class SyncError(ValueError):
    """The sync cannot go on (no connection, schema drift, a bad mapping); the message says why."""

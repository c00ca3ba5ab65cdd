"""The one exception type a user of the import can cause."""

from __future__ import annotations


class IngestError(ValueError):
    """A file, mapping or option that cannot be imported; the message says what and where.

    It is a ``ValueError`` so that ``python -m analytics`` prints ``error: ...`` and exits 2.
    """

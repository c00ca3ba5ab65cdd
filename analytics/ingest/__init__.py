"""Real-data import: case files + a mapping (+ boundaries or an H3 grid) → a GridScope database.

The API the command line and the Data page use:

- :func:`run_import` (:class:`ImportSpec` → :class:`ImportResult`, with the validation report),
- :func:`preview` (the first rows of files mapped to canonical columns, nothing written),
- :func:`inspect_file` (columns, encoding, delimiter and a suggested preset of one file),
- :func:`load_report` (the validation report stored in a database),
- :func:`list_presets` / :func:`load_mapping` (shipped presets and mapping files).

Every problem a user can cause raises :class:`IngestError` (a ``ValueError``).
See ``docs/import.md`` for the mapping format and the command.
"""

from analytics.ingest.boundaries import BoundarySpec, Layer
from analytics.ingest.errors import IngestError
from analytics.ingest.inspect import FileInfo, inspect_file
from analytics.ingest.mapping import Mapping, list_presets, load_mapping, suggest_preset
from analytics.ingest.pipeline import ImportResult, ImportSpec, preview, run_import
from analytics.ingest.report import format_report, load_report

__all__ = ["BoundarySpec", "FileInfo", "ImportResult", "ImportSpec", "IngestError", "Layer", "Mapping",
           "format_report", "inspect_file", "list_presets", "load_mapping", "load_report", "preview",
           "run_import", "suggest_preset"]

"""Real-data import: case files + a mapping (+ boundaries or an H3 grid) → a GridScope database.

The API the command line and the Data page use:

- :func:`run_import` (:class:`ImportSpec` → :class:`ImportResult`, with the validation report),
- :func:`preview` (the first rows of files mapped to canonical columns, nothing written),
- :func:`inspect_file` (columns, encoding, delimiter and a suggested preset of one file),
- :func:`load_report` (the validation report stored in a database),
- :func:`list_presets` / :func:`load_mapping` (shipped presets and mapping files).

Every problem a user can cause raises :class:`IngestError` (a ``ValueError``).
See ``docs/import.md`` for the mapping format and the command. Names are imported
lazily so that ``python -m analytics`` starts without loading geopandas.
"""

from importlib import import_module

_HOME = {
    "BoundarySpec": "boundaries",
    "Layer": "boundaries",
    "IngestError": "errors",
    "ImportBusy": "guard",
    "PathRefused": "guard",
    "boundary_format": "guard",
    "resolve_inside": "guard",
    "FileInfo": "inspect",
    "inspect_file": "inspect",
    "Mapping": "mapping",
    "list_presets": "mapping",
    "load_mapping": "mapping",
    "suggest_preset": "mapping",
    "ImportResult": "pipeline",
    "ImportSpec": "pipeline",
    "preview": "pipeline",
    "run_import": "pipeline",
    "format_report": "report",
    "load_report": "report",
}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'analytics.ingest' has no attribute {name!r}")
    return getattr(import_module(f"analytics.ingest.{_HOME[name]}"), name)

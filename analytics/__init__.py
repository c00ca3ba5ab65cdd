"""GridScope analytics: the canonical store, the demo city and the metric core.

Nothing in this package imports Streamlit, so every function can be tested and
reused from scripts, notebooks and the command line (``python -m analytics``).
"""

import os as _os

# GDAL hardening, before anything imports pyogrio (drivers are registered once, at its import):
# no VRT driver (a VRT names any file or URL as its source), no /vsicurl/ fetches (no extension
# is allowed), and no directory listing on open. See analytics/ingest/guard.py for the rest.
_os.environ["GDAL_SKIP"] = " ".join(sorted({*_os.environ.get("GDAL_SKIP", "").split(), "VRT", "OGR_VRT"}))
_os.environ["CPL_VSIL_CURL_ALLOWED_EXTENSIONS"] = ".gridscope-no-remote-files"
_os.environ["GDAL_DISABLE_READDIR_ON_OPEN"] = "EMPTY_DIR"

__version__ = "0.1.0"

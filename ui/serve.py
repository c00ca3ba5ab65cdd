"""Start the GridScope app: ``python -m ui.serve [streamlit options]``.

The same as ``streamlit run app.py``, with three differences:

* Streamlit treats a ``pages/`` folder beside the entry script as a legacy (v1) multipage app until
  the frame has called ``st.navigation`` once in the process. If the first request after a start
  opens a page's URL directly (a bookmark, the presentation rotation, a browser test), that page
  would run without the frame. Declaring up front that the app uses ``st.navigation`` avoids it.
* It binds ``127.0.0.1`` unless ``--server.address`` says otherwise, and it refuses to start on any
  other address while there is no users file: a server reachable from the network never runs
  without sign-in (README, "Deploying on an office network"). The app enforces the same per request.
* Its page tells the browser where the server is. Opened at a page's own URL (``/profile``), Streamlit's
  browser code cannot tell the page from a base path and first asks ``/profile/_stcore/health``, which
  answers 404, before it tries ``/``: about 0.1 s of every new session on any page but the first
  (docs/performance.md, "A page's own URL"). The page served here names the base itself
  (``window.__streamlit.BACKEND_BASE_URL``, Streamlit's setting for a page served from elsewhere) when the
  URL ends in one of the app's pages; any other URL keeps Streamlit's own search.
"""

from __future__ import annotations

import atexit
import json
import shutil
import sys
import tempfile
from pathlib import Path

from streamlit import file_util
from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

from ui import warmup
from ui.navigation import PAGES

APP = Path(__file__).resolve().parent.parent / "app.py"
LOOPBACK_DEFAULT = "127.0.0.1"


def address_of(argv: list[str]) -> str | None:
    """The ``--server.address`` among Streamlit options (``--server.address X`` or ``--server.address=X``)."""
    for i, arg in enumerate(argv):
        if arg == "--server.address" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--server.address="):
            return arg.split("=", 1)[1]
    return None


def _config() -> dict:
    """The configuration, or ``SystemExit(2)`` with an ``error:`` line naming what is wrong in it."""
    from analytics.config import ConfigError, load_config

    try:
        return load_config()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def check_exposure(argv: list[str]) -> list[str]:
    """``argv`` with the loopback address added when none is given; ``SystemExit(2)`` with an ``error:``
    line when the address is not loopback and there is no users file."""
    from analytics.access.users import is_loopback, users_path

    cfg = _config()
    address = address_of(argv)
    if address is None:
        return ["--server.address", LOOPBACK_DEFAULT, *argv]
    users = users_path(cfg)
    if not is_loopback(address) and not users.exists():
        print(
            f"error: --server.address {address} is reachable from the network, and there is no users file "
            f"({users}); create one first: python -m analytics user add NAME --role admin",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return argv


# Run before Streamlit's own code: when the URL's last segment is one of the app's pages, the server is at the
# URL without it (a base path or a proxy's prefix included); otherwise Streamlit searches as it always does.
BASE_HINT = """<script>
      (function () {
        var pages = %s;
        var parts = window.location.pathname.split("/");
        if (pages.indexOf(parts[parts.length - 1]) < 0) return;
        parts.pop();
        window.__streamlit = {BACKEND_BASE_URL: window.location.origin + parts.join("/") + "/"};
      })();
    </script>
    """


def static_dir_with_base_hint(original: str, pages: list[str]) -> str:
    """A folder serving Streamlit's static files (linked, not copied) with an ``index.html`` that carries
    :data:`BASE_HINT` for ``pages`` (URL paths); removed when the process exits."""
    source = Path(original)
    html = (source / "index.html").read_text(encoding="utf-8")
    marker = "<script"
    if marker not in html:  # another Streamlit's page: leave it as it is
        return original
    folder = Path(tempfile.mkdtemp(prefix="gridscope-static-"))
    atexit.register(shutil.rmtree, folder, True)
    for entry in source.iterdir():
        if entry.name != "index.html":
            (folder / entry.name).symlink_to(entry)
    hint = BASE_HINT % json.dumps(pages)
    (folder / "index.html").write_text(html.replace(marker, hint + marker, 1), encoding="utf-8")
    return str(folder)


def main(argv: list[str]) -> None:
    argv = check_exposure(argv)
    warmup.start(_config())  # the first visitor should not wait for code and data to load (ui/warmup.py)
    PagesManager.uses_pages_directory = False
    static = static_dir_with_base_hint(file_util.get_static_dir(), [p.url_path for p in PAGES])
    file_util.get_static_dir = lambda: static
    sys.argv = ["streamlit", "run", str(APP), "--server.headless", "true", "--browser.gatherUsageStats", "false", *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])

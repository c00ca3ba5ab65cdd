"""Start the GridScope app: ``python -m ui.serve [streamlit options]``.

The same as ``streamlit run app.py``, with two differences:

* Streamlit treats a ``pages/`` folder beside the entry script as a legacy (v1) multipage app until
  the frame has called ``st.navigation`` once in the process. If the first request after a start
  opens a page's URL directly (a bookmark, the presentation rotation, a browser test), that page
  would run without the frame. Declaring up front that the app uses ``st.navigation`` avoids it.
* It binds ``127.0.0.1`` unless ``--server.address`` says otherwise, and it refuses to start on any
  other address while there is no users file: a server reachable from the network never runs
  without sign-in (README, "Deploying on an office network"). The app enforces the same per request.
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

from ui import warmup

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


def main(argv: list[str]) -> None:
    argv = check_exposure(argv)
    warmup.start(_config())  # the first visitor should not wait for code and data to load (ui/warmup.py)
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), "--server.headless", "true", "--browser.gatherUsageStats", "false", *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])

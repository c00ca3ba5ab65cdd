"""Start the GridScope app: ``python -m ui.serve [streamlit options]``.

The same as ``streamlit run app.py``, with one difference: Streamlit treats a
``pages/`` folder beside the entry script as a legacy (v1) multipage app until the
frame has called ``st.navigation`` once in the process. If the first request after
a start opens a page's URL directly (a bookmark, the presentation rotation, a
browser test), that page would run without the frame. Declaring up front that the
app uses ``st.navigation`` avoids it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

APP = Path(__file__).resolve().parent.parent / "app.py"


def main(argv: list[str]) -> None:
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), "--server.headless", "true", "--browser.gatherUsageStats", "false", *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])

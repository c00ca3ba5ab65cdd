"""Start the app and a headless Chromium: shared by ``tests/e2e`` and ``scripts/screenshots.py``.

Nothing here knows about a particular page; page addresses come from ``ui.navigation.PAGES``
through :func:`page_url`.

Examples
--------
>>> from playwright.sync_api import sync_playwright
>>> process, base_url = start_app("data/gridscope.duckdb")          # doctest: +SKIP
>>> with sync_playwright() as pw:                                    # doctest: +SKIP
...     browser = launch_browser(pw)
...     requests = []
...     page = open_page(browser, page_url(base_url, "overview", "en"), requests=requests)
...     assert external_requests(requests) == []
>>> stop_app(process)                                                # doctest: +SKIP
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
from analytics.chromium import CHROMIUM  # noqa: E402 (the one place the flags live)
from analytics.chromium import CHROMIUM_FLAGS as CHROMIUM_ARGS  # noqa: E402

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
NETWORK_SCHEMES = frozenset({"http", "https", "ws", "wss"})
# Query parameters per display mode; "present" is reserved for the presentation mode.
# The presentation URL carries Streamlit's dark-theme option (a URL without it is reloaded with it).
MODES = {"normal": {}, "present": {"present": "1", "embed_options": "dark_theme"}}

PHONE = (390, 844)  # an iPhone 12-15 viewport in CSS pixels
SCRIPT_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# Something the script drew: a page title, or the boxes a failing run leaves instead of one.
RENDERED = '[data-testid="stMainBlockContainer"] h1, [data-testid="stException"], [data-testid="stAlertContentError"]'
EXCEPTION = '[data-testid="stException"]'
ERROR_BOX = '[data-testid="stAlertContentError"]'


# --- the Streamlit server -----------------------------------------------------------------


def free_port() -> int:
    """A TCP port that was free a moment ago (bind to port 0 and let the OS choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server output)"


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def start_app(
    db_path,
    port: int | None = None,
    env: dict | None = None,
    timeout: float = 60.0,
    script: str = "app.py",
    root: Path | None = None,
    launcher: str | None = None,
    base_path: str = "",
) -> tuple[subprocess.Popen, str]:
    """Serve ``app.py`` (or ``script``) on ``db_path`` and wait until it answers its health check.

    Returns the process and the base URL (``http://127.0.0.1:PORT``). The server's output goes to
    a temporary log file (``process.log_path``) whose tail is shown if the server never comes up. ``root``
    serves another checkout of the project (the browser benchmark's ``--before``), this one by default.
    The app (``app.py``) starts the way ``scripts/run.sh`` starts it, ``python -m ui.serve`` (``launcher="serve"``,
    the default for it): under plain ``streamlit run app.py`` the first visit after a start to a page's own URL
    opens an English "Page not found" box over the page, because Streamlit takes the ``pages/`` folder for a
    legacy multipage app until ``st.navigation`` has run once (``ui/serve.py``). Another ``script`` (the
    benchmark's trivial page) runs with ``streamlit run`` (``launcher="streamlit"``). ``base_path`` serves the app
    under that path (Streamlit's ``server.baseUrlPath``, as behind a proxy); the URL returned includes it.
    """
    launcher = launcher or ("serve" if script == "app.py" else "streamlit")
    port = port or free_port()
    base_path = base_path.strip("/")
    environ = {**os.environ, **(env or {}), "GRIDSCOPE_DB": str(db_path)}
    log = tempfile.NamedTemporaryFile(prefix="gridscope-server-", suffix=".log", delete=False)
    start = ["ui.serve"] if launcher == "serve" else ["streamlit", "run", script]
    command = [
        sys.executable,
        "-m",
        *start,
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        *(["--server.baseUrlPath", base_path] if base_path else []),
    ]
    process = subprocess.Popen(command, cwd=root or PROJECT_ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    process.log_path = Path(log.name)
    base_url = f"http://127.0.0.1:{port}" + (f"/{base_path}" if base_path else "")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with code {process.returncode} before answering on "
                f"{base_url}; its output ends with:\n{_tail(process.log_path)}"
            )
        if _healthy(f"{base_url}/_stcore/health"):
            return process, base_url
        time.sleep(0.25)
    stop_app(process)
    raise RuntimeError(
        f"streamlit did not answer {base_url}/_stcore/health within {timeout:.0f} s; "
        f"its output ends with:\n{_tail(process.log_path)}"
    )


def stop_app(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Terminate the server started by :func:`start_app`; kill it if it does not stop in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    log_path = getattr(process, "log_path", None)
    if log_path is not None:
        log_path.unlink(missing_ok=True)


# --- addresses ----------------------------------------------------------------------------


def page_url(base_url: str, url_path: str, lang: str, mode: str = "normal", **params) -> str:
    """``BASE/url_path?lang=..`` plus the query parameters of ``mode`` and any extra ``params``."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    query = urlencode({"lang": lang, **MODES[mode], **params}, quote_via=quote)  # spaces as %20
    return f"{base_url.rstrip('/')}/{url_path.strip('/')}?{query}"


# --- the browser --------------------------------------------------------------------------


def launch_browser(playwright):
    """Headless Debian Chromium (never a Playwright-downloaded one) with the network chatter off."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS))


def record_requests(page, into: list | None = None) -> list:
    """Collect the URL of every request and web socket the page opens, from now on."""
    urls = [] if into is None else into
    page.on("request", lambda request: urls.append(request.url))
    page.on("websocket", lambda websocket: urls.append(websocket.url))
    return urls


def external_requests(urls) -> list[str]:
    """The URLs that went over the network to a host other than this machine (data:/blob: are local)."""
    external = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in NETWORK_SCHEMES and (parts.hostname or "") not in LOCAL_HOSTS:
            external.append(url)
    return external


_STABLE_DONE = """([selector, quietMs]) => {
    const done = document.querySelector(selector) !== null;
    const now = performance.now();
    if (!done) { window.__gsDoneSince = undefined; return false; }
    if (window.__gsDoneSince === undefined) window.__gsDoneSince = now;
    return now - window.__gsDoneSince >= quietMs;
}"""

_CHARTS_DRAWN = """() => {
    const decks = [...document.querySelectorAll('[data-testid="stDeckGlJsonChart"]')];
    const plots = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    const vegas = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
    // a skeleton is an element whose message the browser has not drawn yet (it can lag the script's end)
    return decks.every(d => d.querySelector('canvas')) && plots.every(p => p.querySelector('.js-plotly-plot'))
        && vegas.every(v => v.querySelector('canvas, svg'))
        && document.querySelector('[data-testid="stSkeleton"]') === null;
}"""


def wait_until_settled(page, timeout: float = 60_000, quiet_ms: int = 750, chart_timeout: float = 30_000) -> None:
    """Wait for the script run to finish and stay finished, then (briefly) for charts to draw and every
    skeleton placeholder to be replaced by its element.

    Right after navigation ``data-test-script-state`` can read ``notRunning`` before the first run
    starts, so first wait for something the script drew, then for ``notRunning`` to hold for
    ``quiet_ms`` (a widget's first run can trigger a rerun). Charts that do not draw within
    ``chart_timeout`` are left to the caller's assertions.
    """
    page.wait_for_selector(RENDERED, state="attached", timeout=timeout)
    page.wait_for_function(_STABLE_DONE, arg=[SCRIPT_DONE, quiet_ms], timeout=timeout, polling=100)
    try:
        page.wait_for_function(_CHARTS_DRAWN, timeout=chart_timeout, polling=200)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError; absence is for the caller to judge
        pass
    page.wait_for_timeout(500)  # let plotly and deck.gl finish their first paint


def new_page(target, viewport: tuple[int, int] = (1920, 1080)):
    """A new page of the given size from a Browser (own context) or a BrowserContext."""
    width, height = viewport
    if hasattr(target, "new_context"):  # a Browser
        return target.new_page(viewport={"width": width, "height": height})
    page = target.new_page()
    page.set_viewport_size({"width": width, "height": height})
    return page


def open_page(
    target, url: str, viewport: tuple[int, int] = (1920, 1080), requests: list | None = None, timeout: float = 60_000
):
    """Open ``url`` in a new page and wait until Streamlit has finished drawing it.

    Pass a list as ``requests`` to have every request URL (from before navigation on) appended to it.
    """
    page = new_page(target, viewport)
    if requests is not None:
        record_requests(page, requests)
    page.goto(url, wait_until="domcontentloaded", timeout=timeout)
    wait_until_settled(page, timeout=timeout)
    return page


# --- what is on the page ------------------------------------------------------------------


def error_texts(page) -> list[str]:
    """The text of every exception box and error box on the page (empty when there is none)."""
    return [
        element.inner_text().strip() or "(empty box)"
        for element in page.query_selector_all(f"{EXCEPTION}, {ERROR_BOX}")
    ]


_OVERFLOW = """() => {
    const width = window.innerWidth;
    const scrollers = [document.documentElement, document.querySelector('[data-testid="stMain"]')]
        .filter(Boolean).map(e => e.scrollWidth);
    return {innerWidth: width, scrollWidth: Math.max(...scrollers)};
}"""


def horizontal_overflow(page) -> dict | None:
    """``{"innerWidth", "scrollWidth"}`` when the page (or Streamlit's main container, which scrolls
    on its own) is wider than the window — a sideways scroll on a phone — else None."""
    sizes = page.evaluate(_OVERFLOW)
    return sizes if sizes["scrollWidth"] > sizes["innerWidth"] else None


def full_page_screenshot(page, path) -> None:
    """Screenshot the whole page. Streamlit scrolls inside its own container, not the document,
    so the viewport is stretched to the content height for the shot and then restored."""
    size = page.viewport_size
    height = page.evaluate("""() => Math.max(
        document.documentElement.scrollHeight,
        ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebarContent"]')]
            .map(e => e.scrollHeight))""")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(height))})
    page.wait_for_timeout(750)  # charts re-layout on resize
    page.screenshot(path=str(path))
    page.set_viewport_size(size)

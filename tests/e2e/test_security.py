"""Safe on the office network, in real Chromium against a real server with a users file: sign-in and
lockout, a street-scoped user confined to their street on every page, deep link, map click, export
and briefing, a viewer who cannot import, import paths and payloads refused, the compression bomb
refused with the server's memory measured, markdown payloads shown as text, formula cells defused,
a kiosk link that is revocable, a malformed configuration named on every page, and the audit row of
each action. The second-import-waits test has its own server (its import replaces the database)."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics.access.users import Kiosk, User, UsersFile, hash_password, token_digest, write_users
from scripts.browser import (
    ERROR_BOX,
    EXCEPTION,
    error_texts,
    external_requests,
    new_page,
    page_url,
    start_app,
    stop_app,
    wait_until_settled,
)

pytestmark = pytest.mark.e2e

MINE, OTHER = "330191001", "330191002"  # 枫桥街道 (the analyst's street) and 杉塘街道
FORMULA_GRID, MARKDOWN_GRID = "330191001001001", "330191001001002"
FORMULA = '=HYPERLINK("http://evil.example/f","click")'
MD_PAYLOAD = "**notice** [log in here](http://evil.example/login) ![x](http://evil.example/p.png)"
PASSWORDS = {"admin": "admin-pass-1", "wang": "wang-pass-1", "li": "li-pass-123", "zhao": "zhao-pass-1"}
KIOSK_TOKEN = "hall-screen-token-1"
INFO_BOX = '[data-testid="stAlertContentInfo"]'
WARNING_BOX = '[data-testid="stAlertContentWarning"]'


def _users(folder: Path, revoked: bool = False) -> None:
    roles = {"admin": ("admin", ()), "wang": ("analyst", (f"street:{MINE}",)), "li": ("viewer", (f"street:{MINE}",))}
    roles["zhao"] = ("viewer", (f"street:{MINE}",))
    users = {n: User(n, r, a, hash_password(PASSWORDS[n])) for n, (r, a) in roles.items()}
    kiosks = {"hall": Kiosk("hall", token_digest(KIOSK_TOKEN), (f"street:{MINE}",), revoked)}
    write_users(UsersFile(folder / "users.toml", users, kiosks))


CONFIG = """[auth]
max_failures = 3
lockout_minutes = 10
[import]
directory = "{inbox}"
[presentation]
refresh_seconds = 3600
"""


def _prepare(folder: Path, e2e_db: Path) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "served.duckdb"
    shutil.copy(e2e_db, db)
    with duckdb.connect(str(db)) as con:  # data-controlled payloads in the analyst's own street
        con.execute("UPDATE grids SET grid_name = ? WHERE grid_id = ?", [FORMULA, FORMULA_GRID])
        con.execute("UPDATE grids SET grid_name = ? WHERE grid_id = ?", [MD_PAYLOAD, MARKDOWN_GRID])
        con.execute("UPDATE meta SET value = ? WHERE key IN ('city_name', 'city_name_en')", [MD_PAYLOAD])
    inbox = folder / "inbox"
    inbox.mkdir()
    _users(folder)
    (folder / "gridscope.toml").write_text(CONFIG.format(inbox=inbox), encoding="utf-8")
    env = {
        "GRIDSCOPE_USERS": str(folder / "users.toml"),
        "GRIDSCOPE_AUDIT": str(folder / "audit.jsonl"),
        "GRIDSCOPE_CONFIG": str(folder / "gridscope.toml"),
    }
    return {"db": db, "inbox": inbox, "folder": folder, "env": env}


@pytest.fixture(scope="module")
def secure(e2e_db, tmp_path_factory):
    setup = _prepare(tmp_path_factory.mktemp("secure"), e2e_db)
    process, url = start_app(setup["db"], env=setup["env"])
    with duckdb.connect(str(setup["db"]), read_only=True) as con:
        mine = {r[0] for r in con.execute("SELECT grid_name FROM grids WHERE street_id = ?", [MINE]).fetchall()}
        other = {r[0] for r in con.execute("SELECT grid_name FROM grids WHERE street_id = ?", [OTHER]).fetchall()}
        setup["other_names"] = sorted((other - mine) | {"杉塘街道"})
        setup["other_grid"] = con.execute("SELECT min(grid_id) FROM grids WHERE street_id = ?", [OTHER]).fetchone()[0]
    setup.update(url=url, process=process)
    try:
        yield setup
    finally:
        stop_app(process)


def audit_rows(setup: dict, action: str | None = None) -> list[dict]:
    path = Path(setup["env"]["GRIDSCOPE_AUDIT"])
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    return [r for r in rows if action is None or r["action"] == action]


def open_as(browser, setup: dict, url_path: str, user: str | None, frames: list | None = None, **params):
    """A new page at ``url_path`` (English), signed in as ``user`` (None: stay at the sign-in form)."""
    page = new_page(browser)
    page.set_default_timeout(120_000)  # a shared, busy machine
    if frames is not None:  # everything the server sends to this browser
        page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(payload)))
    # the overview is the default page: its address is the root (Streamlit answers /overview with a
    # "page not found" dialog before the frame has registered the pages in that session)
    page.goto(page_url(setup["url"], "" if url_path == "overview" else url_path, "en", **params))
    wait_until_settled(page)
    if user is not None:
        sign_in(page, user, PASSWORDS[user])
        # a right password reruns the page without the form; under load that rerun can start after the
        # settle-wait has already seen a finished run, so wait for the form to go, then settle again
        page.get_by_role("button", name="Sign in").wait_for(state="detached")
        wait_until_settled(page)
    return page


def sign_in(page, user: str, password: str) -> None:
    page.get_by_role("textbox", name="User name").fill(user)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_timeout(300)
    wait_until_settled(page)


def go(page, title: str) -> None:
    """Move to another page through the sidebar (the same session)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
    page.wait_for_timeout(300)
    wait_until_settled(page)


def no_errors(page) -> None:
    assert page.locator(f"{EXCEPTION}, {ERROR_BOX}").count() == 0, error_texts(page)


def sent_text(frames: list) -> str:
    return "".join(f.decode("utf-8", "replace") if isinstance(f, bytes) else f for f in frames)


def test_sign_in_is_required_and_repeated_failures_lock_the_name(browser, secure):
    page = open_as(browser, secure, "overview", None)
    assert page.get_by_role("button", name="Sign in").count() == 1
    assert page.locator('[data-testid="stMetric"]').count() == 0, "data shown before sign-in"
    for _ in range(2):
        sign_in(page, "zhao", "wrong password")
        page.get_by_text("Wrong user name or password.").wait_for(timeout=30_000)
        assert page.get_by_text("Wrong user name or password.").count() == 1
    sign_in(page, "zhao", "wrong again")
    page.get_by_text("this user name is locked for 10 minutes").wait_for(timeout=30_000)
    assert page.get_by_text("this user name is locked for 10 minutes").count() == 1
    sign_in(page, "zhao", PASSWORDS["zhao"])  # the right password while locked
    assert page.get_by_text("this user name is locked").count() == 1
    assert page.locator('[data-testid="stMetric"]').count() == 0
    page.close()
    assert [r["actor"] for r in audit_rows(secure, "login_failed")].count("zhao") == 2
    assert [r["actor"] for r in audit_rows(secure, "login_locked")].count("zhao") == 2
    page = open_as(browser, secure, "overview", "li")
    assert page.locator('[data-testid="stMetric"]').count() >= 8
    no_errors(page)
    page.close()
    assert any(r["actor"] == "li" and r["role"] == "viewer" for r in audit_rows(secure, "login"))


def test_a_street_scoped_user_sees_only_their_street_on_every_page(browser, secure):
    frames: list = []
    page = open_as(browser, secure, "overview", "wang", frames)
    reported = page.locator('[data-testid="stMetric"]').filter(has_text="Reported").first
    with duckdb.connect(str(secure["db"]), read_only=True) as con:
        expected = con.execute(
            "SELECT count(*) FROM cases c JOIN grids g USING (grid_id) WHERE g.street_id = ? "
            "AND c.reported_at >= '2025-12-01' AND c.reported_at < '2026-01-01'",
            [MINE],
        ).fetchone()[0]
    assert reported.locator('[data-testid="stMetricValue"]').inner_text().replace(",", "") == str(expected)
    for title in ("Grid map", "Area profile", "Trends", "Demand hotspots", "Closed loop", "Assessment", "Data"):
        go(page, title)
        no_errors(page)
    text = sent_text(frames)
    assert OTHER not in text, "an id of the other street reached the browser"
    leaked = [name for name in secure["other_names"] if name in text]
    assert not leaked, leaked[:5]
    assert MINE in text  # the analyst's own areas did arrive
    page.close()
    views = {r["page"] for r in audit_rows(secure, "view") if r["actor"] == "wang"}
    assert {"overview", "grid-map", "profile", "trends", "hotspots", "closed-loop", "assessment", "data"} <= views


def test_the_other_street_is_not_reachable_by_url_or_map_selection(browser, secure):
    frames: list = []
    page = open_as(browser, secure, "overview", "wang", frames, level="street", area=OTHER)
    value = page.locator('[data-testid="stMetric"]').filter(has_text="Reported").first
    assert value.locator('[data-testid="stMetricValue"]').inner_text() == "0"
    page.close()
    map_page = open_as(browser, secure, "grid-map", "wang", frames)
    canvas = map_page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    box = canvas.bounding_box()
    map_page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.6)  # a click on an area
    map_page.wait_for_timeout(500)
    wait_until_settled(map_page)
    no_errors(map_page)
    linked = open_as(browser, secure, "grid-map", "wang", frames, level="grid", area=secure["other_grid"])
    no_errors(linked)
    assert "杉塘街道" not in linked.inner_text("body")
    linked.close()
    profile = open_as(browser, secure, "profile", "wang", frames, level="street", area=OTHER)
    no_errors(profile)
    text = sent_text(frames)
    leaked = [name for name in secure["other_names"] if name in text]
    assert not leaked, leaked[:5]
    body = map_page.inner_text("body") + profile.inner_text("body")
    assert "杉塘街道" not in body
    map_page.close()
    profile.close()


def test_exports_and_the_briefing_hold_only_the_users_street_with_formulas_defused(browser, secure):
    page = open_as(browser, secure, "overview", "wang")
    with page.expect_download() as briefing:
        page.get_by_role("button", name="Download the one-page briefing (HTML, printable)").click()
    html = Path(briefing.value.path()).read_text(encoding="utf-8")
    assert "<svg" in html and not [n for n in secure["other_names"] if n in html]
    go(page, "Assessment")
    with page.expect_download() as exported:
        page.get_by_role("button", name="Download CSV").first.click()
    csv_text = Path(exported.value.path()).read_text(encoding="utf-8-sig")
    assert not [n for n in secure["other_names"] if n in csv_text] and OTHER not in csv_text
    cells = [cell for line in csv_text.splitlines() for cell in line.split(",")]
    assert any(cell.startswith("'=HYPERLINK") or cell.startswith("\"'=HYPERLINK") for cell in cells), csv_text[:400]
    assert not any(cell.lstrip('"').startswith("=") for cell in cells)
    page.close()
    exports = [r for r in audit_rows(secure, "export") if r["actor"] == "wang"]
    assert exports and exports[-1]["detail"]["file"].startswith("scorecard_")
    assert any(r["actor"] == "wang" for r in audit_rows(secure, "briefing"))


def test_markdown_payloads_from_the_url_and_the_data_appear_as_text(browser, secure):
    requests: list[str] = []
    pages = []
    for url_path, area, level in (("overview", MD_PAYLOAD, "street"), ("profile", MARKDOWN_GRID, "grid")):
        page = new_page(browser)
        page.set_default_timeout(120_000)
        page.on("request", lambda request: requests.append(request.url))
        page.goto(page_url(secure["url"], url_path.replace("overview", ""), "en", level=level, area=area))
        wait_until_settled(page)
        sign_in(page, "wang", PASSWORDS["wang"])
        pages.append(page)
        assert page.locator('a[href*="evil.example"]').count() == 0
        assert page.locator('img[src*="evil.example"]').count() == 0
        assert page.locator('[data-testid="stMainBlockContainer"] strong').filter(has_text="notice").count() == 0
        shown = page.inner_text("body").replace("\u200b", "")
        assert shown.count("**notice** [log in here](http://evil.example/login)") >= 2, shown[:600]  # badge + title
        no_errors(page)
    assert external_requests(requests) == []
    for page in pages:
        page.close()


def test_a_viewer_cannot_import_or_export(browser, secure):
    page = open_as(browser, secure, "data", "li")
    page.get_by_role("tab", name="Import data").click()
    assert page.get_by_text("Only administrators can import data.").count() == 1
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    assert page.get_by_role("tab", name="Audit log").count() == 0
    go(page, "Overview")
    assert page.get_by_role("button", name="Download the one-page briefing (HTML, printable)").count() == 0
    go(page, "Assessment")
    assert page.get_by_role("button", name="Download CSV").count() == 0
    page.close()


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):  # noqa: N802 - the http.server API
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"type": "FeatureCollection", "features": []}')

    def log_message(self, *args):
        pass


def _import_tab(browser, setup):
    page = open_as(browser, setup, "data", "admin")
    page.get_by_role("tab", name="Import data").click()
    page.wait_for_timeout(300)
    return page


def _type_paths(page, text: str) -> None:
    page.locator("textarea").first.fill(text)
    page.keyboard.press("Control+Enter")
    page.wait_for_timeout(500)
    wait_until_settled(page)


def test_paths_outside_the_import_directory_vrt_and_vsicurl_are_refused(browser, secure, tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    outside = tmp_path / "secret.csv"
    outside.write_text("Unique Key,Created Date\n1,05/01/2022 12:00:03 AM\n", encoding="utf-8")
    (secure["inbox"] / "escape.csv").symlink_to(outside)
    page = _import_tab(browser, secure)
    try:
        for text, message in (
            (str(outside), "outside the import directory"),
            ("escape.csv", "outside the import directory"),
            ("/etc/passwd", "outside the import directory"),
            (f"/vsicurl/http://127.0.0.1:{server.server_port}/grids.geojson", "virtual file systems"),
        ):
            _type_paths(page, text)
            assert page.get_by_text(message).count() >= 1, (text, error_texts(page))
        _type_paths(page, "")
        vrt = tmp_path / "grids.geojson"
        vrt.write_text(
            f'<OGRVRTDataSource><OGRVRTLayer name="g"><SrcDataSource>/vsicurl/http://127.0.0.1:{server.server_port}/x'
            "</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>",
            encoding="utf-8",
        )
        page.get_by_text("Boundaries and grids (optional)").click()
        page.locator('[data-testid="stFileUploader"] input[type="file"]').nth(1).set_input_files(str(vrt))
        page.wait_for_timeout(1000)
        wait_until_settled(page)
        assert page.get_by_text("not a boundary file GridScope reads").count() == 1, error_texts(page)
    finally:
        server.shutdown()
        page.close()
    assert _Recorder.hits == [], "the server fetched a URL it was given"
    refused = [r["detail"].get("reason", "") for r in audit_rows(secure, "import_refused")]
    assert any("outside the import directory" in r for r in refused)
    assert any("virtual file systems" in r for r in refused)
    assert any("not a boundary file" in r for r in refused)


def _high_water_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_the_compression_bomb_upload_is_refused_and_the_server_stays_small(browser, secure, tmp_path):
    rows = 20_000_000  # read whole and turned into text, this would take well over 1 GB
    column = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array(["噪声扰民" * 8]))
    bomb = tmp_path / "cases.parquet"
    pq.write_table(pa.table({"case_id": column, "description": column}), bomb, compression="zstd")
    del column
    page = _import_tab(browser, secure)
    before = _high_water_mb(secure["process"].pid)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(bomb))
    page.get_by_text("compression bomb").wait_for(timeout=30_000)
    wait_until_settled(page)
    grown = _high_water_mb(secure["process"].pid) - before
    print(f"\ncompression bomb: {bomb.stat().st_size:,} bytes, {rows:,} rows; server peak RSS grew {grown:.1f} MB")
    assert grown < 200
    page.close()
    assert any("compression bomb" in r["detail"].get("reason", "") for r in audit_rows(secure, "import_refused"))


def test_a_kiosk_link_shows_the_scoped_big_screen_until_revoked(browser, secure):
    frames: list = []
    page = new_page(browser)
    page.set_default_timeout(120_000)
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(payload)))
    page.goto(
        page_url(secure["url"], "overview", "en", mode="present", kiosk=KIOSK_TOKEN), wait_until="domcontentloaded"
    )
    wait_until_settled(page)
    assert page.locator('[data-testid="stMetric"]').count() >= 8
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert page.get_by_role("button", name="Download the one-page briefing (HTML, printable)").count() == 0
    no_errors(page)
    assert OTHER not in sent_text(frames)
    page.close()
    assert any(r["actor"] == "kiosk:hall" for r in audit_rows(secure, "kiosk"))
    _users(secure["folder"], revoked=True)
    try:
        page = open_as(browser, secure, "overview", None, kiosk=KIOSK_TOKEN, present="1")
        assert page.get_by_text("unknown or has been revoked").count() == 1
        assert page.locator('[data-testid="stMetric"]').count() == 0
        page.close()
    finally:
        _users(secure["folder"])
    assert audit_rows(secure, "denied")


def test_a_malformed_configuration_is_named_on_every_page_and_the_big_screen(browser, secure):
    config = Path(secure["env"]["GRIDSCOPE_CONFIG"])
    good = config.read_text(encoding="utf-8")
    config.write_text(good + '\n[alerts]\nmax_rows = "twelve"\n', encoding="utf-8")
    try:
        for params in ({}, {"present": "1"}):
            page = open_as(browser, secure, "trends", None, **params)
            message = page.locator(ERROR_BOX).inner_text()
            assert "gridscope.toml" in message and "line 10" in message and "alerts.max_rows" in message, message
            assert page.locator(EXCEPTION).count() == 0
            page.close()
    finally:
        config.write_text(good, encoding="utf-8")


def test_an_admin_unmask_switch_is_audited(browser, secure):
    page = open_as(browser, secure, "closed-loop", "admin")
    page.get_by_text("Show personal data").click()
    page.wait_for_timeout(300)
    wait_until_settled(page)
    no_errors(page)
    page.close()
    assert any(r["actor"] == "admin" and r["detail"] == {"on": True} for r in audit_rows(secure, "unmask"))


def test_a_second_concurrent_import_is_told_to_wait(browser, e2e_db, tmp_path):
    setup = _prepare(tmp_path / "imports", e2e_db)
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "nyc311_style.csv"
    header, *lines = fixture.read_text(encoding="utf-8-sig").splitlines()
    rows = [
        f"{n}{line[line.index(',') :]}"
        for n in range(1, 400_001)
        for line in lines[(n % len(lines)) : (n % len(lines)) + 1]
    ]
    (setup["inbox"] / "big.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    process, url = start_app(setup["db"], env=setup["env"])
    setup.update(url=url, process=process)
    try:
        first, second = _import_tab(browser, setup), _import_tab(browser, setup)
        for page in (first, second):
            _type_paths(page, "big.csv")
            page.get_by_text("The first rows as mapped").wait_for(timeout=60_000)
        first.get_by_role("button", name="Import").click()
        first.wait_for_timeout(700)
        second.get_by_role("button", name="Import").click()
        second.get_by_text("Another import is running").wait_for(timeout=60_000)
        first.get_by_text("Import done").wait_for(timeout=180_000)
        no_errors(first)
        first.close()
        second.close()
    finally:
        stop_app(process)
    assert audit_rows(setup, "import_busy") and audit_rows(setup, "import")[-1]["detail"]["ok"] is True

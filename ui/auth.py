"""Sign-in: who is looking, before any page runs (the frame calls :func:`gate` first).

Rules (decided in :func:`analytics.access.users.auth_mode`): with a users file, everyone signs in
(or opens a kiosk link); without one, the app serves clients on this machine as the local demo
administrator and refuses everyone else. Sessions expire after ``[auth] session_minutes`` or
``idle_minutes`` without a run; a user removed from the file, or a revoked kiosk link, is signed
out on the next run. Optional OpenID Connect: see README ("Deploying on an office network").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from analytics.access import audit as audit_log
from analytics.access.roles import LOCAL_DEMO, Principal
from analytics.access.scope import Scope
from analytics.access.users import (
    Lockout,
    UsersFile,
    UsersFileError,
    auth_mode,
    authenticate,
    kiosk_principal,
    read_users,
    users_path,
)
from ui import data
from ui.i18n import t
from ui.safe import md

LOG = logging.getLogger("gridscope")
NOBODY = Principal("anonymous", "viewer", ())
KEY = "auth_principal"


@st.cache_resource(show_spinner=False)
def _lockout(max_failures: int, lock_seconds: float) -> Lockout:
    """One lockout table per server process (shared by every session)."""
    return Lockout(max_failures, lock_seconds, lock_seconds)


def client_address() -> str | None:
    try:
        address = st.context.ip_address
    except Exception:  # no request context (bare script runs)
        return None
    return address if isinstance(address, str) else None  # page tests have no network client


def current() -> Principal:
    """The signed-in principal of this session; nobody (no areas at all) before :func:`gate` let one in.

    Outside any Streamlit session (a script or test calling the loaders in-process, like the command
    line) there is no user to confine: the caller has the files already.
    """
    if get_script_run_ctx(suppress_warning=True) is None:
        return LOCAL_DEMO
    return st.session_state.get(KEY) or NOBODY


def scope() -> Scope:
    return current().scope


def audit_recorder(action: str, page: str = "", principal: Principal | None = None) -> Callable[..., None]:
    """A writer of ``action``'s audit record bound now to this session (user, address, log file): callable later,
    off the script thread too (a download generated on click). A failed write is a log line, never an error."""
    who = principal or current()
    path, address = audit_log.audit_path(data.config()), client_address()

    def record(**detail) -> None:
        try:
            audit_log.record(path, who.name, who.role, action, page, detail, address)
        except OSError as exc:
            LOG.warning("audit record %s of %s not written: %s", action, who.name, exc)

    return record


def audit(action: str, page: str = "", principal: Principal | None = None, **detail) -> None:
    """Append an audit record for this session (a log line, never an error on screen, if it fails)."""
    audit_recorder(action, page, principal)(**detail)


def _auth_settings() -> dict:
    return data.config()["auth"]


def _expired(settings: dict) -> bool:
    now = time.time()
    login_at = st.session_state.get("auth_login_at", now)
    seen_at = st.session_state.get("auth_seen_at", now)
    return (now - login_at > 60 * float(settings["session_minutes"])) or (
        now - seen_at > 60 * float(settings["idle_minutes"])
    )


def _sign_out(reason: str) -> None:
    who = current()
    for key in (KEY, "auth_login_at", "auth_seen_at", "auth_kiosk_token"):
        st.session_state.pop(key, None)
    audit(reason, principal=who)


def _still_valid(users: UsersFile, who: Principal) -> Principal | None:
    """The session's principal as the users file says now (role or areas may have changed), or None."""
    if who.read_only_screen:
        return kiosk_principal(users, st.session_state.get("auth_kiosk_token"))
    user = users.users.get(who.name)
    return Principal(user.name, user.role, user.areas) if user else None


def _oidc_configured() -> bool:
    """Whether ``.streamlit/secrets.toml`` configures Streamlit's OpenID Connect sign-in (``[auth]``)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _oidc_principal(users: UsersFile) -> Principal | None:
    """The users-file entry of the identity provider's signed-in user (by e-mail, else user name), or None."""
    if not _oidc_configured() or not getattr(st.user, "is_logged_in", False):
        return None
    for claim in ("email", "preferred_username", "name"):
        user = users.users.get(str(st.user.get(claim, "") or ""))
        if user is not None:
            return Principal(user.name, user.role, user.areas)
    audit("denied", principal=Principal(str(st.user.get("email", "?"))[:64], "unknown"), reason="not in users file")
    return None


def _login_form(users: UsersFile) -> None:
    settings = _auth_settings()
    principal = _oidc_principal(users)
    if principal is not None:
        now = time.time()
        st.session_state.update({KEY: principal, "auth_login_at": now, "auth_seen_at": now})
        audit("login", principal=principal, via="oidc")
        st.rerun()
    lockout = _lockout(int(settings["max_failures"]), 60 * float(settings["lockout_minutes"]))
    st.title(t("access.login_title"))
    with st.form("login", border=True):
        name = st.text_input(t("access.user"), key="login_user")
        password = st.text_input(t("access.password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("access.login"), type="primary")
    if _oidc_configured():
        st.button(t("access.login_oidc"), on_click=st.login, icon=":material/badge:")
    if not submitted:
        return
    outcome, principal = authenticate(users, name, password, lockout)
    if outcome == "ok":
        now = time.time()
        st.session_state.update({KEY: principal, "auth_login_at": now, "auth_seen_at": now})
        audit("login", principal=principal)
        st.rerun()
    who = Principal(str(name)[:64] or "?", "unknown")
    if outcome == "locked":
        audit("login_locked", principal=who)
        st.error(t("access.locked", minutes=int(settings["lockout_minutes"])))
    else:
        audit("login_failed", principal=who)
        st.error(t("access.failed"))


def _kiosk(users: UsersFile, token: str) -> Principal | None:
    principal = kiosk_principal(users, token)
    if principal is None:
        audit("denied", principal=Principal("kiosk:?", "kiosk"), reason="unknown or revoked kiosk link")
        return None
    if st.session_state.get(KEY) != principal:
        now = time.time()
        st.session_state.update({KEY: principal, "auth_login_at": now, "auth_kiosk_token": token})
        audit("kiosk", principal=principal)
    return principal


def gate() -> Principal | None:
    """The principal of this run, or None when someone must sign in (the frame then registers the pages,
    so the address asked for is kept through the sign-in, draws :func:`sign_in_form` and stops)."""
    path = users_path(data.config())
    mode = auth_mode(path.exists(), client_address())
    if mode == "open":
        st.session_state[KEY] = LOCAL_DEMO
        return LOCAL_DEMO
    if mode == "refuse":
        st.error(t("access.refused"))
        st.stop()
    try:
        users = read_users(path)
    except UsersFileError as exc:
        st.error(t("access.users_file_error", reason=md(exc)))
        st.stop()
    token = st.query_params.get("kiosk")
    if token:
        if _kiosk(users, str(token)) is None:
            st.session_state.pop(KEY, None)
            st.error(t("access.kiosk_invalid"))
            st.stop()
        st.session_state["auth_seen_at"] = time.time()
        return current()
    who = st.session_state.get(KEY)
    if who is not None and who is not LOCAL_DEMO:
        if _expired(_auth_settings()):
            _sign_out("session_expired")
            st.info(t("access.expired"))
        else:
            fresh = _still_valid(users, who)
            if fresh is None:
                _sign_out("logout")
            else:
                st.session_state.update({KEY: fresh, "auth_seen_at": time.time()})
                return fresh
    st.session_state.pop(KEY, None)
    return None


def sign_in_form() -> None:
    """The sign-in form (drawn by the frame after it registered the pages, when :func:`gate` gave None)."""
    _login_form(read_users(users_path(data.config())))


def account_panel(principal: Principal) -> None:
    """Who is signed in, with the sign-out button (nothing for the local demo or a kiosk screen)."""
    if principal is LOCAL_DEMO or principal.read_only_screen:
        return
    st.sidebar.caption(t("access.signed_in", user=md(principal.name), role=t(f"access.role_{principal.role}")))
    if st.sidebar.button(t("access.logout"), key="logout", icon=":material/logout:"):
        _sign_out("logout")
        st.rerun()


def record_view(page: str, filters) -> None:
    """One ``view`` record per page and filter set in a session (not per rerun)."""
    detail = {} if filters is None else {k: str(v) for k, v in filters.__dict__.items() if v is not None}
    detail.pop("scope", None)
    marker = (page, tuple(sorted(detail.items())))
    if st.session_state.get("auth_last_view") != marker:
        st.session_state["auth_last_view"] = marker
        audit("view", page, **detail)


def unmask_toggle(principal: Principal) -> None:
    """Administrators may show personal data in clear for this session; each switch is audited."""
    if not principal.can_administer:
        st.session_state.pop("unmask_toggle", None)
        return
    st.sidebar.toggle(
        t("access.unmask"),
        key="unmask_toggle",
        help=t("access.unmask_help"),
        on_change=lambda: audit("unmask", on=bool(st.session_state.get("unmask_toggle"))),
    )


def unmasked() -> bool:
    """Personal data in clear: only for administrators, by the session switch or ``[privacy] unmask``."""
    if not current().can_administer:
        return False
    return bool(st.session_state.get("unmask_toggle")) or bool(data.config()["privacy"]["unmask"])

"""The local users file: argon2 password hashes, roles, granted areas, kiosk links; sign-in with lockout.

The file is TOML (``$GRIDSCOPE_USERS``, else ``[auth] users_file``, else ``users.toml`` beside the
database)::

    [users.wang]
    role = "leader"
    areas = ["street:330191001"]
    password_hash = "$argon2id$v=19$m=65536,t=3,p=4$..."

    [kiosks.meeting-room]
    token_sha256 = "…"          # the link carries the token; only its hash is stored
    areas = ["district:330191"]
    revoked = false

``python -m analytics user add|passwd|remove|kiosk|revoke|list`` edits it (see :mod:`analytics.access.cli`).
Whether sign-in is needed at all is :func:`auth_mode`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from analytics.access.roles import KIOSK, Principal, check_role
from analytics.access.scope import Scope

USER_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_HASHER = PasswordHasher()


# What an unknown name is checked against, so that it costs the same as a known one: the argon2 hash (the
# hasher's parameters) of a phrase nobody uses, written out rather than made at import, where argon2's
# deliberate cost (0.1-0.8 s) would delay every process start.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$Tgh5lqGn7l4i+uL+hku7gQ$sdtc69OoTAyWYg1ktwIPQtsoS6vREESLBnPEm+8M8GE"


class UsersFileError(ValueError):
    """The users file cannot be read or holds something invalid (the message names file and key)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    areas: tuple[str, ...]
    password_hash: str


@dataclass(frozen=True)
class Kiosk:
    kiosk_id: str
    token_sha256: str
    areas: tuple[str, ...]
    revoked: bool = False


@dataclass(frozen=True)
class UsersFile:
    path: Path
    users: dict[str, User] = field(default_factory=dict)
    kiosks: dict[str, Kiosk] = field(default_factory=dict)


def users_path(cfg: dict | None = None) -> Path:
    """Where the users file is (it need not exist: no file means no sign-in, see :func:`auth_mode`)."""
    if os.environ.get("GRIDSCOPE_USERS"):
        return Path(os.environ["GRIDSCOPE_USERS"])
    configured = str(((cfg or {}).get("auth") or {}).get("users_file", "") or "")
    if configured:
        return Path(configured)
    from analytics.store import db_path

    return db_path().parent / "users.toml"


def is_loopback(address: str | None) -> bool:
    return bool(address) and (address in LOOPBACK or address.startswith("127."))


def auth_mode(users_file_exists: bool, client_address: str | None) -> str:
    """``"login"`` when a users file exists; else ``"open"`` (the local demo, no sign-in) for a client on
    this machine (or no network client at all, as in page tests); else ``"refuse"``: a server reachable
    from the network never serves without sign-in."""
    if users_file_exists:
        return "login"
    if client_address is None or is_loopback(client_address):
        return "open"
    return "refuse"


def _grants(value, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsersFileError(f"{where}: 'areas' must be a list of strings such as \"street:330191001\"")
    try:
        Scope.parse(value)
    except ValueError as exc:
        raise UsersFileError(f"{where}: {exc}") from None
    return tuple(value)


def read_users(path: str | os.PathLike) -> UsersFile:
    """Parse and check the users file (``UsersFileError`` naming the file, line or key on any fault)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise UsersFileError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise UsersFileError(f"{path}: cannot read: {exc.strerror}") from None
    users, kiosks = {}, {}
    for name, entry in (data.get("users") or {}).items():
        where = f"{path} [users.{name}]"
        if not USER_NAME.match(name) or not isinstance(entry, dict):
            raise UsersFileError(f"{where}: a user name is letters, digits and _ . @ - (at most 64)")
        try:
            role = check_role(str(entry.get("role", "")))
        except ValueError as exc:
            raise UsersFileError(f"{where} role: {exc}") from None
        hashed = entry.get("password_hash")
        if not isinstance(hashed, str) or not hashed.startswith("$argon2"):
            raise UsersFileError(
                f"{where} password_hash: not an argon2 hash (set it with: python -m analytics user passwd)"
            )
        users[name] = User(name, role, _grants(entry.get("areas", []), where), hashed)
    for kiosk_id, entry in (data.get("kiosks") or {}).items():
        where = f"{path} [kiosks.{kiosk_id}]"
        token = entry.get("token_sha256") if isinstance(entry, dict) else None
        if not isinstance(token, str) or not re.fullmatch(r"[0-9a-f]{64}", token):
            raise UsersFileError(f"{where} token_sha256: expected 64 hex digits")
        kiosks[kiosk_id] = Kiosk(
            kiosk_id, token, _grants(entry.get("areas", []), where), bool(entry.get("revoked", False))
        )
    return UsersFile(path, users, kiosks)


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ValueError("a password has at least 8 characters")
    return _HASHER.hash(password)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def kiosk_principal(users: UsersFile, token: str | None) -> Principal | None:
    """The read-only principal of a kiosk link's token, or None (unknown, revoked or empty)."""
    if not token:
        return None
    digest = token_digest(str(token))
    for kiosk in users.kiosks.values():
        if hmac.compare_digest(kiosk.token_sha256, digest) and not kiosk.revoked:
            return Principal(f"kiosk:{kiosk.kiosk_id}", KIOSK, kiosk.areas)
    return None


class Lockout:
    """Failed sign-ins per user name in this server process: after ``max_failures`` within
    ``window_seconds`` the name is locked for ``lock_seconds`` (even a right password is refused)."""

    def __init__(self, max_failures: int = 5, lock_seconds: float = 900, window_seconds: float = 900):
        self.max_failures, self.lock_seconds, self.window_seconds = max_failures, lock_seconds, window_seconds
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def locked(self, name: str, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        with self._lock:
            return self._locked_until.get(name, 0.0) > now

    def failed(self, name: str, now: float | None = None) -> bool:
        """Record a failure; True when it locked the name."""
        now = time.time() if now is None else now
        with self._lock:
            recent = [t for t in self._failures.get(name, []) if now - t < self.window_seconds] + [now]
            self._failures[name] = recent
            if len(recent) >= self.max_failures:
                self._locked_until[name] = now + self.lock_seconds
                self._failures[name] = []
                return True
            return False

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)


def authenticate(users: UsersFile, name: str, password: str, lockout: Lockout) -> tuple[str, Principal | None]:
    """``("ok", principal)``, ``("locked", None)`` or ``("failed", None)``.

    An unknown name costs the same hash check as a known one, and counts towards its own lockout.
    """
    name = str(name or "").strip()
    if lockout.locked(name):
        return "locked", None
    user = users.users.get(name)
    try:
        ok = _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password or "") and user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        return ("locked" if lockout.failed(name) else "failed"), None
    lockout.succeeded(name)
    return "ok", Principal(user.name, user.role, user.areas)


def write_users(users: UsersFile) -> None:
    """Write the file atomically (a temporary file beside it, then a rename), readable by its owner only."""
    lines = ["# GridScope users and kiosk links; edit with: python -m analytics user ...", ""]
    for user in users.users.values():
        lines += [
            f"[users.{json.dumps(user.name)}]",
            f"role = {json.dumps(user.role)}",
            f"areas = {json.dumps(list(user.areas), ensure_ascii=False)}",
            f"password_hash = {json.dumps(user.password_hash)}",
            "",
        ]
    for kiosk in users.kiosks.values():
        lines += [
            f"[kiosks.{json.dumps(kiosk.kiosk_id)}]",
            f"token_sha256 = {json.dumps(kiosk.token_sha256)}",
            f"areas = {json.dumps(list(kiosk.areas), ensure_ascii=False)}",
            f"revoked = {'true' if kiosk.revoked else 'false'}",
            "",
        ]
    path = Path(users.path)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    os.replace(tmp, path)

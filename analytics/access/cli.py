"""``python -m analytics user ...`` and ``python -m analytics audit prune``: the users file and the log.

``user add NAME --role ROLE [--areas street:330191001 ...]`` (password from ``--password-stdin`` or a
prompt), ``user passwd NAME``, ``user remove NAME``, ``user list``, ``user kiosk ID --areas ...``
(prints the link's token once; only its hash is stored), ``user revoke ID``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from dataclasses import replace
from pathlib import Path

from analytics.access import audit
from analytics.access.roles import ROLES
from analytics.access.scope import Scope
from analytics.access.users import (
    Kiosk,
    User,
    UsersFile,
    hash_password,
    new_token,
    read_users,
    token_digest,
    users_path,
    write_users,
)
from analytics.config import load_config


def add_user_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("add", "passwd", "remove", "list", "kiosk", "revoke"))
    parser.add_argument("name", nargs="?", help="user name, or the kiosk link's id")
    parser.add_argument("--role", choices=ROLES, help="role of a new user")
    parser.add_argument("--areas", nargs="*", default=[], help="granted areas: city or LEVEL:AREA_ID ...")
    parser.add_argument("--users", help="the users file (default: $GRIDSCOPE_USERS or users.toml beside the db)")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise ValueError("the two passwords differ")
    return first


def _load(args) -> UsersFile:
    if args.users:
        path = Path(args.users)
    elif getattr(args, "db", None):
        path = Path(args.db).parent / "users.toml"
    else:
        path = users_path(load_config())
    return read_users(path) if path.exists() else UsersFile(path)


def run_user(args) -> list[dict] | dict | None:
    users = _load(args)
    if args.action == "list":
        rows = [{"user": u.name, "role": u.role, "areas": " ".join(u.areas)} for u in users.users.values()]
        rows += [
            {"user": f"kiosk:{k.kiosk_id}", "role": "kiosk", "areas": " ".join(k.areas), "revoked": k.revoked}
            for k in users.kiosks.values()
        ]
        return rows
    if not args.name:
        raise ValueError(f"user {args.action} needs a name")
    Scope.parse(args.areas)  # ValueError on a malformed grant
    if args.action == "add":
        if args.name in users.users or not args.role:
            raise ValueError(f"user {args.name!r} exists already" if args.role else "user add needs --role")
        users.users[args.name] = User(args.name, args.role, tuple(args.areas), hash_password(_password(args)))
    elif args.action == "passwd":
        user = users.users.get(args.name) or _missing(args.name)
        users.users[args.name] = replace(user, password_hash=hash_password(_password(args)))
    elif args.action == "remove":
        users.users.pop(args.name, None) or _missing(args.name)
    elif args.action == "kiosk":
        token = new_token()
        users.kiosks[args.name] = Kiosk(args.name, token_digest(token), tuple(args.areas))
        write_users(users)
        return {"kiosk": args.name, "link": f"/?kiosk={token}&present=1", "areas": args.areas}
    elif args.action == "revoke":
        kiosk = users.kiosks.get(args.name) or _missing(args.name)
        users.kiosks[args.name] = replace(kiosk, revoked=True)
    write_users(users)
    return {"users_file": str(users.path), "done": f"{args.action} {args.name}"}


def _missing(name: str):
    raise ValueError(f"no user or kiosk link named {name!r}")


def run_audit_prune(args) -> dict:
    cfg = load_config()
    days = args.keep_days or int(cfg["audit"]["retention_days"])
    path = Path(args.db).parent / "audit.jsonl" if getattr(args, "db", None) else audit.audit_path(cfg)
    return {"audit_log": str(path), "kept_days": days, "removed": audit.prune(path, days)}

"""What a new server process does before its first page (issue 16, server side): no deliberate slowness at import."""

from __future__ import annotations

import subprocess
import sys

from argon2 import PasswordHasher

from analytics.access import users
from analytics.bench.fresh import import_seconds


def test_unknown_names_are_checked_against_a_hash_with_the_hashers_parameters():
    """The written-out hash costs what a user's hash costs (same argon2 parameters), and is not a password."""
    assert not users._HASHER.check_needs_rehash(users._DUMMY_HASH)
    assert PasswordHasher().verify(users._DUMMY_HASH, "not a password of anyone")


def test_importing_the_users_module_hashes_nothing():
    code = (
        "import argon2._password_hasher as hasher, sys\n"
        "calls = []\n"
        "real = hasher.hash_secret\n"
        "hasher.hash_secret = lambda *a, **k: calls.append(1) or real(*a, **k)\n"
        "{body}\n"
        "sys.exit(len(calls))\n"
    )
    run = [sys.executable, "-c"]
    assert subprocess.run([*run, code.format(body="import analytics.access.users")], check=False).returncode == 0
    # the probe sees a hash when there is one
    assert subprocess.run([*run, code.format(body="hasher.PasswordHasher().hash('x')")], check=False).returncode == 1


def test_import_seconds_adds_up_the_outermost_imports_between_the_markers():
    lines = [
        "import time:       100 |        100 |   before.marker",
        "gridscope-bench-run-start",
        "import time:       200 |        200 |     pkg.inner",
        "import time:       300 |        500 |   pkg",
        "import time:     1_000 |       1000 |   broken line ignored",
        "import time:        50 |         50 |   other",
        "gridscope-bench-run-end",
        "import time:       900 |        900 |   after.marker",
    ]
    assert import_seconds("\n".join(lines)) == (500 + 50) / 1e6


def test_default_period_is_the_latest_complete_month_with_data():
    """Hand-built: reports in January-March 2025 and one on 20 July; coverage to 15 September. August is
    empty and September incomplete, so the pages open on July; without any report in a complete month after
    the first, on the whole coverage."""
    import datetime as dt

    import duckdb

    from analytics.coverage import Coverage, default_period

    con = duckdb.connect()
    days = ["2025-01-03", "2025-02-11", "2025-03-30", "2025-07-20 23:59:59", "2025-09-02"]
    con.execute("CREATE TABLE cases AS SELECT UNNEST($d)::TIMESTAMP AS reported_at", {"d": days})
    cov = Coverage(dt.date(2025, 1, 3), dt.date(2025, 9, 15))
    assert default_period(con, cov) == (dt.date(2025, 7, 1), dt.date(2025, 8, 1))
    con.execute("DELETE FROM cases WHERE reported_at >= '2025-02-01' AND reported_at < '2025-09-01'")
    assert default_period(con, cov) == (cov.start, cov.end)

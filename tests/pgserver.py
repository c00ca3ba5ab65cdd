"""The PostgreSQL fixture of the sync tests: a private cluster (:mod:`analytics.bench.pgcluster`).

Without PostgreSQL the tests skip with the reason, except under ``CI=true`` where that is a failure
(``scripts/test.sh`` installs Debian's ``postgresql``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from analytics.bench.pgcluster import PgServer, free_port, pg_bindir

__all__ = ["PgServer", "free_port", "pg_bindir", "postgres_fixture", "require_postgres"]


def require_postgres() -> Path:
    """Debian's PostgreSQL bin folder; skip with the reason when missing, fail under ``CI=true``."""
    import pytest

    bindir = pg_bindir()
    if bindir is not None and (os.geteuid() != 0 or shutil.which("runuser")):
        return bindir
    reason = "PostgreSQL not found in /usr/lib/postgresql/*/bin (scripts/test.sh installs Debian's postgresql)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
    print(f"skipping PostgreSQL tests: {reason}")
    pytest.skip(reason)


def postgres_fixture():
    """A session fixture factory: ``pg_server = postgres_fixture()`` in a test module or conftest."""
    import pytest

    @pytest.fixture(scope="session")
    def pg_server():
        server = PgServer(require_postgres()).start()
        try:
            server.wait_ready()
            yield server
        finally:
            server.stop()

    return pg_server

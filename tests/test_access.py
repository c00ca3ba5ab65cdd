"""Access control without a browser: scopes in the query layer, the comparison rule, users and lockout,
kiosk links, the audit log, and when sign-in is required."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from analytics import metrics, profile, queries
from analytics.access import audit
from analytics.access.roles import Principal
from analytics.access.scope import Scope
from analytics.access.users import (
    Kiosk,
    Lockout,
    User,
    UsersFile,
    UsersFileError,
    auth_mode,
    authenticate,
    hash_password,
    kiosk_principal,
    read_users,
    token_digest,
    write_users,
)
from analytics.filters import Filters, enforce_scope

YEAR = (dt.date(2025, 1, 1), dt.date(2026, 1, 1))


def streets(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT street_id FROM grids ORDER BY 1").fetchall()]


def reported_in_street(con, street: str) -> int:
    """Worked out directly: cases reported in 2025 in the grids of one street."""
    return con.execute(
        "SELECT count(*) FROM cases c JOIN grids g USING (grid_id) WHERE g.street_id = ? "
        "AND c.reported_at >= '2025-01-01' AND c.reported_at < '2026-01-01'",
        [street],
    ).fetchone()[0]


def test_a_street_scope_limits_summary_areas_and_geometries(demo_con):
    mine, other = streets(demo_con)[:2]
    scoped = Filters(*YEAR, scope=Scope.parse([f"street:{mine}"]))
    assert metrics.summary(demo_con, scoped)["reported"] == reported_in_street(demo_con, mine) > 0
    assert list(metrics.by_area(demo_con, scoped, "street")["area_id"]) == [mine]
    assert set(queries.areas(demo_con, "grid", scope=scoped.scope)["area_id"]) == {
        r[0] for r in demo_con.execute("SELECT grid_id FROM grids WHERE street_id = ?", [mine]).fetchall()
    }
    assert set(queries.area_geometries(demo_con, "street", scoped.scope)["area_id"]) == {mine}
    # the other street through the area filter (a URL parameter) gives nothing, not the other street
    probing = Filters(*YEAR, level="street", area=other, scope=scoped.scope)
    assert metrics.summary(demo_con, probing)["reported"] == 0
    assert profile.area_info(demo_con, "street", other, scoped.scope) is None
    assert profile.area_info(demo_con, "street", mine, scoped.scope)["grids"] > 0


def test_an_empty_scope_sees_nothing_and_the_whole_city_everything(demo_con):
    everything = metrics.summary(demo_con, Filters(*YEAR))["reported"]
    assert metrics.summary(demo_con, Filters(*YEAR, scope=Scope.city()))["reported"] == everything
    assert metrics.summary(demo_con, Filters(*YEAR, scope=Scope.nothing()))["reported"] == 0
    assert queries.areas(demo_con, "district", scope=Scope.nothing()).empty


def test_enforced_scope_denies_a_filter_set_without_one(demo_con):
    """In an app run (enforcement on), a query that forgot the scope reads nothing (deny by default)."""
    seen = {}

    def run():
        enforce_scope()
        seen["reported"] = metrics.summary(demo_con, Filters(*YEAR))["reported"]
        seen["areas"] = len(queries.areas(demo_con, "grid"))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen == {"reported": 0, "areas": 0}
    assert metrics.summary(demo_con, Filters(*YEAR))["reported"] > 0  # this thread is not enforced


def test_comparisons_rank_among_visible_areas_and_city_medians_only_for_leaders(demo_con):
    two = streets(demo_con)[:2]
    grants = [f"street:{s}" for s in two]
    analyst = Principal("a", "analyst", tuple(grants)).scope
    leader = Principal("l", "leader", tuple(grants)).scope
    f = Filters(*YEAR, scope=analyst)
    peers = profile.peers(demo_con, f, "street")
    assert sorted(peers["area_id"]) == sorted(two)
    context = profile.kpi_context(peers, two[0])
    assert set(context["ranked"]) <= {2} and context["rank"].dropna().isin([1, 2]).all()
    assert profile.city_medians(demo_con, f, "street") is None
    medians = profile.city_medians(demo_con, Filters(*YEAR, scope=leader), "street")
    city = metrics.by_area(demo_con, Filters(*YEAR), "street")
    assert medians["reported"] == pytest.approx(float(city["reported"].median()))


def test_grants_are_checked():
    with pytest.raises(ValueError, match="unknown area level"):
        Scope.parse(["block:1"])
    with pytest.raises(ValueError, match="characters"):
        Scope.parse(["street:1' OR 1=1--"])
    with pytest.raises(ValueError, match="is not 'city'"):
        Scope.parse(["330191001"])
    assert Scope.parse(["city"]).whole_city


def test_roles():
    assert Principal("x", "admin").scope.whole_city
    assert Principal("x", "viewer").scope == Scope.nothing()  # no grant, no rows
    assert not Principal("x", "viewer", ("city",)).can_export
    assert Principal("x", "analyst", ("city",)).can_export and not Principal("x", "analyst").can_administer
    assert Principal("k", "kiosk", ("city",)).read_only_screen


def users_file(tmp_path) -> UsersFile:
    users = UsersFile(
        tmp_path / "users.toml",
        {"wang": User("wang", "leader", ("street:330191001",), hash_password("correct horse"))},
        {"hall": Kiosk("hall", token_digest("tok-123"), ("district:330191",))},
    )
    write_users(users)
    return read_users(users.path)


def test_users_file_round_trip_sign_in_and_lockout(tmp_path):
    users = users_file(tmp_path)
    assert (users.path.stat().st_mode & 0o777) == 0o600
    lockout = Lockout(max_failures=3, lock_seconds=60, window_seconds=60)
    outcome, who = authenticate(users, "wang", "correct horse", lockout)
    assert outcome == "ok" and who == Principal("wang", "leader", ("street:330191001",))
    assert [authenticate(users, "wang", "wrong", lockout)[0] for _ in range(3)] == ["failed", "failed", "locked"]
    assert authenticate(users, "wang", "correct horse", lockout) == ("locked", None)
    assert authenticate(users, "nobody", "x", lockout) == ("failed", None)
    assert lockout.locked("wang", now=10**12) is False  # the lock ends


def test_kiosk_links_work_until_revoked(tmp_path):
    users = users_file(tmp_path)
    assert kiosk_principal(users, "tok-123") == Principal("kiosk:hall", "kiosk", ("district:330191",))
    assert kiosk_principal(users, "tok-999") is None and kiosk_principal(users, "") is None
    users.kiosks["hall"] = Kiosk("hall", token_digest("tok-123"), ("district:330191",), revoked=True)
    write_users(users)
    assert kiosk_principal(read_users(users.path), "tok-123") is None


def test_a_malformed_users_file_names_file_and_key(tmp_path):
    path = tmp_path / "users.toml"
    path.write_text('[users.li]\nrole = "boss"\npassword_hash = "$argon2id$x"\n', encoding="utf-8")
    with pytest.raises(UsersFileError, match=r"users.toml \[users.li\] role: unknown role 'boss'"):
        read_users(path)
    path.write_text('[users.li]\nrole = "viewer"\npassword_hash = "plain"\n', encoding="utf-8")
    with pytest.raises(UsersFileError, match="password_hash: not an argon2 hash"):
        read_users(path)


@pytest.mark.parametrize(
    "exists, client, mode",
    [
        (False, "127.0.0.1", "open"),
        (False, "::1", "open"),
        (False, None, "open"),
        (False, "10.0.0.7", "refuse"),
        (True, "127.0.0.1", "login"),
        (True, "10.0.0.7", "login"),
    ],
)
def test_when_sign_in_is_required(exists, client, mode):
    assert auth_mode(exists, client) == mode


def test_audit_log_appends_reads_newest_first_and_prunes_only_past_retention(tmp_path):
    path = tmp_path / "audit.jsonl"
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    audit.record(path, "wang", "leader", "login", now=now - dt.timedelta(days=400))
    audit.record(path, "wang", "leader", "export", "overview", {"file": "a.csv"}, now=now - dt.timedelta(days=179))
    audit.record(path, "li", "viewer", "login_failed", now=now)
    frame = audit.read(path)
    assert list(frame["action"]) == ["login_failed", "export", "login"]
    assert frame.loc[1, "detail"] == '{"file": "a.csv"}'
    with pytest.raises(ValueError, match="at least 180"):
        audit.prune(path, 90, now=now)
    assert audit.prune(path, 180, now=now) == 1
    assert list(audit.read(path)["action"]) == ["login_failed", "export"]

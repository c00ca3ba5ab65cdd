"""Roles and what each may do; a principal is who is looking (a user, a kiosk link, or the local demo).

| role    | areas                    | export | import, configuration, unmask, users, audit | city medians |
|---------|--------------------------|--------|---------------------------------------------|--------------|
| admin   | the whole city           | yes    | yes                                         | yes          |
| leader  | granted areas (any level)| yes    | no                                          | yes          |
| analyst | granted areas (any level)| yes    | no                                          | no           |
| viewer  | granted areas (any level)| no     | no                                          | no           |
| kiosk   | the link's areas         | no     | no (read-only big screen)                   | no           |

Anything not listed is denied; a role name not in :data:`ROLES` is refused when the users file is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from analytics.access.scope import Scope

ROLES = ("admin", "leader", "analyst", "viewer")
KIOSK = "kiosk"
CAN_EXPORT = frozenset({"admin", "leader", "analyst"})
CAN_ADMINISTER = frozenset({"admin"})
CITY_COMPARISON = frozenset({"admin", "leader"})


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    return role


@dataclass(frozen=True)
class Principal:
    """Who is looking: ``name`` (a user name, ``kiosk:<id>`` or ``local``), role and granted areas."""

    name: str
    role: str
    grants: tuple[str, ...] = ()

    @property
    def scope(self) -> Scope:
        """The rows this principal may read (admins: the whole city; anyone else: the grants, or nothing)."""
        compare = self.role in CITY_COMPARISON
        if self.role == "admin":
            return Scope.city()
        return Scope.parse(self.grants, city_comparison=compare)

    @property
    def can_export(self) -> bool:
        return self.role in CAN_EXPORT

    @property
    def can_administer(self) -> bool:
        """Import, configuration, unmasking, users and the audit log."""
        return self.role in CAN_ADMINISTER

    @property
    def read_only_screen(self) -> bool:
        return self.role == KIOSK


LOCAL_DEMO = Principal("local", "admin", ("city",))

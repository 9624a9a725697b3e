"""Roles and what each may see. Pure rules: no request, no database."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """What a user does. Stored in `users.role` as the value."""

    ADMIN = "admin"            # runs the server: every federation, users, roles
    LEADER = "leader"          # a federation leader: their federation's people, devices, data
    ENUMERATOR = "enumerator"  # collects data in the settlements assigned to them
    OFFICIAL = "official"      # a city official: aggregate profiles only, never records


ALL_ROLES = tuple(Role)

#: Which roles may look at record-level (household, person) data at all.
_RECORD_ROLES = frozenset({Role.ADMIN, Role.LEADER, Role.ENUMERATOR})


def role_of(user: Any) -> Role | None:
    """The Role of a user object (None for anonymous or an unknown stored value)."""
    if user is None:
        return None
    try:
        return Role(user.role)
    except ValueError:
        return None


def visible_federation_ids(user: Any) -> set[str] | None:
    """Federations whose data `user` may see: None means all (an admin), an empty set
    nothing (anonymous, or a user without a federation who is not an admin)."""
    role = role_of(user)
    if role is None:
        return set()
    if role is Role.ADMIN:
        return None
    return {user.federation_id} if user.federation_id else set()


def can_see_household_data(user: Any) -> bool:
    """True if `user` may see record-level data (names, households, structures).

    Officials never may: they get aggregates with small counts suppressed. Enumerators
    may, but only in their assigned settlements (services/scoping.visible_settlement_ids).
    """
    return role_of(user) in _RECORD_ROLES


def can_manage_federation(user: Any, federation_id: str | None) -> bool:
    """Admins manage every federation, leaders their own."""
    role = role_of(user)
    if role is Role.ADMIN:
        return True
    return role is Role.LEADER and federation_id is not None \
        and user.federation_id == federation_id

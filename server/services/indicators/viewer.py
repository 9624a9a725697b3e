"""Who is looking: a user (server.auth) as the `Viewer` the indicator services take."""

from __future__ import annotations

from typing import Any

from flask import current_app

from server.auth.roles import Role, can_see_household_data, role_of, visible_federation_ids
from server.services.indicators import privacy
from server.services.indicators.profiles import Viewer

#: Who sees profiles: enumerators work on devices and see none.
PROFILE_ROLES = (Role.ADMIN, Role.LEADER, Role.OFFICIAL)
#: Who downloads record-level tables (names, households) of their federation.
RECORD_EXPORT_ROLES = (Role.ADMIN, Role.LEADER)


def threshold() -> int:
    """HESABU_SMALL_COUNT_THRESHOLD (default 5): counts below it are hidden from officials."""
    return int(current_app.config.get("HESABU_SMALL_COUNT_THRESHOLD",
                                      privacy.DEFAULT_THRESHOLD))


def viewer_for(user: Any) -> Viewer:
    ids = visible_federation_ids(user)
    return Viewer(federation_ids=None if ids is None else frozenset(ids),
                  aggregates_only=not can_see_household_data(user), threshold=threshold())


def can_export_records(user: Any) -> bool:
    return role_of(user) in RECORD_EXPORT_ROLES

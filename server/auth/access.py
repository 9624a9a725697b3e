"""Every endpoint declares who may call it; a test walks `app.url_map` and fails on any
endpoint without a declaration (tests/server/test_roles_matrix.py).

The decorators in server.auth (and `require_device` for the devices' sync endpoints)
declare as they wrap: they `mark` the view with its rule. Endpoints that cannot be
decorated are declared here by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server.auth.roles import Role

#: Kinds of access rule.
PUBLIC = "public"    # anyone, logged in or not (login page, enrolment, static files)
WEB = "web"          # a logged-in user in a browser session; roles below
API = "api"          # a user by session or API token (JSON errors); roles below
DEVICE = "device"    # an enrolled device's bearer token
COLLECT = "collect"  # a person's ODK Collect/Enketo access: Basic, Digest or a URL token


@dataclass(frozen=True)
class AccessRule:
    kind: str
    roles: frozenset[Role] = frozenset()  # empty: any logged-in user (WEB/API)

    def allows(self, role: Role | None) -> bool:
        if self.kind == PUBLIC:
            return True
        if self.kind in (DEVICE, COLLECT) or role is None:
            return False
        return not self.roles or role in self.roles


#: Endpoint name -> rule, for views that are not wrapped by server.auth decorators.
DECLARED: dict[str, AccessRule] = {
    "static": AccessRule(PUBLIC),
    "devices.enrol": AccessRule(PUBLIC),  # spends a one-time code: the code is the secret
    # The hub's link status: no personal data, an office screen polls it (docs/bundles-and-hub.md).
    "hub.status": AccessRule(PUBLIC),
}

_ATTR = "hesabu_access"


def mark(view: Callable[..., Any], rule: AccessRule) -> Callable[..., Any]:
    setattr(view, _ATTR, rule)
    return view


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Declare a view open to everyone (it must check nothing itself)."""
    return mark(view, AccessRule(PUBLIC))


def declare(endpoint: str, rule: AccessRule) -> None:
    """Declare the rule of an endpoint by name (for views you cannot decorate)."""
    DECLARED[endpoint] = rule


def rule_for(endpoint: str, view: Callable[..., Any]) -> AccessRule | None:
    """The declared rule of an endpoint, or None if it declares none."""
    rule = getattr(view, _ATTR, None)
    if rule is not None:
        return rule
    if endpoint in DECLARED:
        return DECLARED[endpoint]
    if endpoint.endswith(".static"):  # a blueprint's static files
        return AccessRule(PUBLIC)
    return None

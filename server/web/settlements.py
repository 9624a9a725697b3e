"""The settlements list: filters, an offline map of points and boundaries, a table."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from server.auth import Role, current_user, role_of, roles_required
from server.schemas.profiles import SettlementFilterSchema
from server.services.account_admin import list_federations
from server.services.indicators.profiles import Filters, list_cities, list_settlements
from server.services.indicators.viewer import PROFILE_ROLES, viewer_for
from server.web.profile_charts import code_label, number_text, settlement_map
from server.web.profiles import place_of

bp = Blueprint("settlements", __name__)

LEGAL_STATUSES = ("declared_legal_protected", "undeclared_illegal_unprotected", "resettled")
#: What a refused filter says on the page, in the reader's language (the schema's own
#: messages, in English, are for the API).
FILTER_PROBLEMS = {"city": _l("City: 1 to 200 characters."),
                   "q": _l("Name: 1 to 200 characters."),
                   "federation_id": _l("Federation: not a federation of this server."),
                   "eviction_threat": _l("Eviction threat: choose one of the list."),
                   "legal_status": _l("Legal status: choose one of the list.")}


def problem_lines(messages: dict[str, object]) -> list[str]:
    """One sentence per refused filter."""
    return [str(FILTER_PROBLEMS[field]) if field in FILTER_PROBLEMS
            else _("%(field)s: not a filter of this page.", field=field)
            for field in messages]


@bp.get("/settlements")
@roles_required(*PROFILE_ROLES)
def index() -> tuple[str, int] | str:
    """Settlements you may see, filtered by city, eviction threat, legal status, name."""
    viewer = viewer_for(current_user())
    show_federation = role_of(current_user()) is Role.ADMIN  # others see one federation
    raw = {k: v for k, v in request.args.items() if v.strip()}
    problems: list[str] = []
    try:
        args = SettlementFilterSchema().load(raw)
    except ValidationError as exc:
        problems = problem_lines(exc.messages)  # type: ignore[arg-type]
        args = {}
    rows = list_settlements(viewer, Filters.from_args(args)) if not problems else []
    page = render_template(
        "settlements/index.html", rows=rows, chosen=raw, problems=problems,
        cities=list_cities(viewer), statuses=LEGAL_STATUSES,
        settlement_map=settlement_map([place_of(r) for r in rows]),
        map_query={} if problems else raw,
        fmt=number_text, code_label=code_label,
        show_federation=show_federation,
        federations=list_federations(current_user()) if show_federation else [],
    )
    return (page, 400) if problems else page

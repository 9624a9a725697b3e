"""Choice codes of the SDI forms as their labels, in each of the form's own languages.

The profile pages and charts show codes the indicators count ("declared_legal_protected",
"communal_toilet", "short"): this reads their labels from the newest published version
of the SDI forms, so a page in Swahili shows the form's Swahili label. Codes no form
lists (age bands, "unknown") get None, and the caller words them itself.
"""

from __future__ import annotations

import functools

from sqlalchemy import func, select

from forms.record_messages import language_code
from forms.spec import FormSpec
from server.extensions import db
from server.models import FormVersion
from server.services.indicators.facts import (
    CITY_FORM,
    HOUSEHOLD_FORM,
    SETTLEMENT_FORM,
    STRUCTURE_FORM,
)

#: Forms whose choices the profile pages show, the first listing a code wins.
PROFILE_FORMS = (SETTLEMENT_FORM, HOUSEHOLD_FORM, CITY_FORM, STRUCTURE_FORM)


def _newest_versions() -> tuple[tuple[str, int], ...]:
    """(form_id, server_seq) of the newest published version of each profile form."""
    rows = db.session.execute(
        select(FormVersion.form_id, func.max(FormVersion.server_seq))
        .where(FormVersion.form_id.in_(PROFILE_FORMS))
        .group_by(FormVersion.form_id)).all()
    found = {form_id: int(seq) for form_id, seq in rows}
    return tuple((form_id, found[form_id]) for form_id in PROFILE_FORMS if form_id in found)


@functools.lru_cache(maxsize=8)
def _labels(versions: tuple[tuple[str, int], ...]) -> dict[str, dict[str, str]]:
    """code -> {language code: label} over the given form versions (cached: a published
    version never changes, a new one has a new sequence number)."""
    out: dict[str, dict[str, str]] = {}
    for form_id, seq in versions:
        raw = db.session.execute(select(FormVersion.spec).where(
            FormVersion.form_id == form_id, FormVersion.server_seq == seq)).scalar_one()
        spec = FormSpec.from_dict(raw)
        for choices in spec.choices.values():
            for choice in choices:
                if choice.name in out:
                    continue
                labels = {}
                for language, text in (choice.label or {}).items():
                    code = language_code(language)
                    if code and text:
                        labels[code] = str(text)
                default = (choice.label or {}).get(spec.default_language)
                if default:
                    labels.setdefault("", str(default))
                if labels:
                    out[choice.name] = labels
    return out


def choice_labels(language: str) -> dict[str, str]:
    """code -> its label in `language` ("sw"), else in the form's default language, for
    every choice of the profile forms (a code no form lists is not there)."""
    found = {code: labels.get(language) or labels.get("") or code
             for code, labels in _labels(_newest_versions()).items()}
    db.session.rollback()  # a read: the caller's next write starts its own transaction
    return found

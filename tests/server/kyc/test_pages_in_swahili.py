"""Every page each role opens, read in Swahili, holds no English sentence of the code:
a text a view builds in Python and forgets to translate shows up here (the template
scan of tests/server/test_web_languages.py sees only the templates)."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po
from flask import Flask
from kyc_data import MASHIMONI
from personas import People
from sqlalchemy import select
from test_web_languages import texts_of

from server.extensions import db
from server.i18n import TRANSLATIONS
from server.models import ApiToken, Device, Federation, User

#: Words of the English texts that are the same in Swahili or are names.
SAME_IN_SWAHILI = {"hesabu", "kiswahili", "english", "français", "português", "geojson",
                   "xlsx", "nairobi", "lusaka", "tablet", "tablets", "pointi"}


def english_words() -> set[str]:
    """Words of the English texts the catalogs translate, less those their Swahili
    translations also use."""
    with (TRANSLATIONS / "sw" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="sw")
    english: set[str] = set()
    swahili: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in ids:
            english |= _words(text)
        for text in strings:
            swahili |= _words(text or "")
    return english - swahili - SAME_IN_SWAHILI


def _words(text: str) -> set[str]:
    """Words of five letters or more, outside HTML tags, placeholders and identifiers
    (`suppressed_small`, `headers=names`: names for programs, the same in every
    language)."""
    text = re.sub(r"<[^>]*>|%\([a-z_]+\)[a-z]|\S*[_=]\S*", " ", text)
    return {w.lower() for w in re.findall(r"[A-Za-z]{5,}", text)}


def english_left(html: str, words: set[str], data: tuple[str, ...] = ()) -> list[str]:
    """Texts of the page with an English word, once what people typed (`data`: names,
    device and token names) is taken out."""
    found = []
    for text in texts_of(html):
        for typed in data:
            text = text.replace(typed, " ")
        if _words(text) & words:
            found.append(text)
    return found


def typed_names(app: Flask) -> tuple[str, ...]:
    """Names people gave: users, federations, devices, API tokens (longest first)."""
    with app.app_context():
        names = {*db.session.execute(select(User.username)).scalars(),
                 *db.session.execute(select(User.display_name)).scalars(),
                 *db.session.execute(select(Federation.name)).scalars(),
                 *db.session.execute(select(Device.name)).scalars(),
                 *db.session.execute(select(Device.id)).scalars(),
                 *db.session.execute(select(ApiToken.name)).scalars()}
        db.session.remove()
    return tuple(sorted((n for n in names if n), key=len, reverse=True))


def test_every_page_of_every_role_reads_in_swahili(app: Flask, people: People) -> None:
    words = english_words()
    data = typed_names(app)
    assert {"settlement", "households", "download"} <= words
    pages = [
        (people.admin, ["/", "/dashboard/", "/settlements", f"/settlements/{MASHIMONI}",
                       "/cities/Nairobi", "/downloads", "/records/", "/conflicts/",
                       "/forms/", "/users", "/devices", "/assignments", "/audit",
                       "/tokens", "/hub", "/account/password"]),
        (people.official_a, ["/", f"/settlements/{MASHIMONI}", "/cities/Nairobi",
                             "/downloads", "/dashboard/"]),
        (people.enumerator_a, ["/", "/records/"]),
    ]
    left = {}
    for persona, paths in pages:
        for path in paths:
            response = persona.client.get(path, headers={"Accept-Language": "sw",
                                                         "Accept": "text/html"})
            html = response.get_data(as_text=True)
            assert '<html lang="sw">' in html, (persona.username, path)
            if found := english_left(html, words, data):
                left[f"{persona.username} {path}"] = found
    assert left == {}, "\n".join(f"{k}: {v}" for k, v in left.items())


def test_the_check_sees_an_english_sentence() -> None:
    words = english_words()
    assert english_left("<p>No settlement profile matches.</p><p>Makazi</p>", words) == [
        "No settlement profile matches."]


def test_download_headings_use_the_forms_labels_in_the_readers_language(
        people: People) -> None:
    """The readable headings of a settlement download (?headers=labels) are words in the
    reader's language: indicator keys from the catalogs, choices by the SDI forms' own
    labels ('Dénombrement: Statut d'occupation: Propriétaire' in French)."""
    csv = people.admin.api.get("/api/exports/settlements.csv?headers=labels",
                               headers={"Accept-Language": "fr"}).get_data(as_text=True)
    header = csv.lstrip("\ufeff").splitlines()[0]
    assert "Identifiant du quartier" in header
    assert "Dénombrement: Statut d'occupation: Propriétaire" in header  # key, choice
    assert "Dénombrement: Statut d'occupation: Locataire (paie un loyer)" in header
    assert "Profil du quartier: Priorité 1 : échéance" in header
    english = people.admin.api.get("/api/exports/settlements.csv?headers=labels"
                                   ).get_data(as_text=True).lstrip("\ufeff").splitlines()[0]
    assert "Enumeration: Tenure: Owner" in english and "Propriétaire" not in english

"""The web in English, French, Portuguese and Swahili (issue 16): every text of the pages
is wrapped for translation and translated, the language follows the person's choice, then
their browser, and flash messages and error pages speak it too."""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask, request
from personas import People, browser, csrf_from

from forms import load_form
from server.errors import ApiError
from server.extensions import db
from server.i18n import LANGUAGES, TRANSLATIONS, language
from server.models import User
from server.services.forms import publish_form
from server.services.resolution import edit_record, resolve_conflict

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "server" / "web" / "templates"
#: Words a template may show as they are, in every language.
AS_IS = {"Hesabu", "CSV", "XLSX", "GeoJSON", "PNG", "UTC", "English", "Français",
         "Português", "Kiswahili"}
#: Attributes people read (a screen reader says aria-label, a tooltip shows title).
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class _Texts(HTMLParser):
    """Text nodes and read attributes of HTML, outside <code>, <pre>, <script>, <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("code", "pre", "script", "style"):
            self._skip += 1
        self.texts += [value for name, value in attrs if name in READ_ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre", "script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def texts_of(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


def literal_texts(source: str) -> list[str]:
    """Words a template shows that are not inside `{{ ... }}` or `{% ... %}`: each is
    text no translation reaches."""
    source = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "§", source, flags=re.S)
    found = []
    for text in texts_of(source):
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z'.-]+", text.replace("§", " "))
                 if w not in AS_IS and not text.strip().startswith("/")]
        if words:
            found.append(text)
    return found


def test_every_template_text_is_wrapped_for_translation() -> None:
    """A text typed straight into a template stays English on a Swahili page: every
    template's words go through _() or ngettext()."""
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 20
    unwrapped = {str(path.relative_to(TEMPLATES)): found for path in templates
                 if (found := literal_texts(path.read_text(encoding="utf-8")))}
    assert unwrapped == {}


def test_the_scan_finds_an_unwrapped_text() -> None:
    """The scan above is not vacuous: it sees text, titles and placeholders, and lets
    expressions, codes and the language names pass."""
    assert literal_texts('<h1>Records</h1><input placeholder="name">') == ["Records", "name"]
    assert literal_texts('<h1>{{ _("Records") }}</h1><code>record_id</code> '
                         '<a href="/x">/api/hub/status</a> · Kiswahili ({{ n }})') == []


def test_catalogs_are_complete_translated_and_compiled() -> None:
    """tools/web_i18n.py --check: every text of the code is in each catalog, translated,
    and the .mo files are compiled from the current .po files; translations keep the
    placeholders of the English text."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import web_i18n
    finally:
        sys.path.remove(str(ROOT / "tools"))
    assert web_i18n.main(["--check"]) == 0
    for code in LANGUAGES:
        if code == "en":
            continue
        with (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").open("rb") as source:
            catalog = read_po(source, locale=code)
        broken = {message.id: [str(e) for e in message.check(catalog)]
                  for message in catalog if message.id and message.check(catalog)}
        assert broken == {}, code


def test_a_logged_out_visitor_gets_the_browsers_language(app: Flask) -> None:
    client = browser(app)
    cases = {"sw,en;q=0.5": ("sw", "Ingia"), "fr-CA,fr;q=0.9": ("fr", "Se connecter"),
             "pt-MZ": ("pt", "Entrar"), "de-DE": ("en", "Log in"), "": ("en", "Log in")}
    for header, (code, title) in cases.items():
        html = client.get("/login", headers={"Accept-Language": header}).get_data(True)
        assert f'<html lang="{code}">' in html and f"<h1>{title}</h1>" in html, header
        assert 'id="language-picker"' in html  # the picker is on the login page too
    # The picker's choice (a cookie when logged out) wins over the browser.
    html = client.get("/login").get_data(True)
    response = client.post("/language", data={"language": "pt", "next": "/login",
                                              "csrf_token": csrf_from(html)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    html = client.get("/login", headers={"Accept-Language": "sw"}).get_data(True)
    assert '<html lang="pt">' in html and "Nome de utilizador" in html
    # An unknown language changes nothing.
    client.post("/language", data={"language": "xx", "csrf_token": csrf_from(html)})
    assert '<html lang="pt">' in client.get("/login").get_data(True)


def test_a_persons_choice_follows_them_into_messages_and_error_pages(
        app: Flask, people: People) -> None:
    leader = people.leader_a.client
    html = leader.get("/", headers={"Accept-Language": "sw"}).get_data(True)
    assert '<html lang="sw">' in html and "Toka" in html  # the browser's, until a choice
    response = leader.post("/language", data={"language": "fr", "next": "/users"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/users")
    with app.app_context():
        assert db.session.get(User, people.leader_a.user_id).language == "fr"
    # Kept with the person: another session with a Swahili browser still reads French.
    other = browser(app)
    login = other.get("/login", headers={"Accept-Language": "sw"}).get_data(True)
    other.post("/login", data={"username": people.leader_a.username,
                               "password": "correct horse battery",
                               "csrf_token": csrf_from(login)})
    html = other.get("/", headers={"Accept-Language": "sw"}).get_data(True)
    assert '<html lang="fr">' in html and "Se déconnecter" in html
    assert '<span class="role role-leader">responsable</span>' in html  # translated
    # A refused form, a flash message and an error page, in French.
    html = leader.post("/account/password", data={
        "current_password": "wrong password", "new_password": "a new password 1",
        "confirm_password": "a new password 1"}).get_data(True)
    assert "Non modifié : le mot de passe actuel est faux." in html
    assert 'name="next" value="/"' in html  # a POST's page: the picker goes home ...
    html = leader.post("/account/password", data={"current_password": "wrong"},
                       headers={"Referer": "http://localhost/account/password?x=1"}
                       ).get_data(True)
    assert 'name="next" value="/account/password?x=1"' in html  # ... or where it came from
    leader.post("/users", data={"username": "new.one", "password": "short",
                                "role": "enumerator"})
    html = leader.get("/users").get_data(True)
    assert "un mot de passe doit avoir au moins 10 caractères" in html
    response = leader.get("/no/such/page", headers={"Accept": "text/html"})
    assert response.status_code == 404 and "Page introuvable" in response.get_data(True)
    # The JSON API follows only the request's Accept-Language (scripts get English),
    # not the language the person chose for the pages.
    taken = {"username": people.enumerator_a.username, "password": "a long password 1",
             "role": "enumerator"}
    answer = people.leader_a.api.post("/api/users", json=taken)
    assert answer.status_code == 409, answer.get_json()
    assert "is taken" in answer.get_json()["error"]["message"]
    answer = people.leader_a.api.post("/api/users", json=taken,
                                      headers={"Accept-Language": "pt"})
    assert "já está em uso" in answer.get_json()["error"]["message"]
    # A download the downloads page links to (/api/, in the browser session) has its
    # headings in the person's language.
    csv = leader.get("/api/exports/settlements.csv?headers=labels").get_data(True)
    assert csv.lstrip("\ufeff").startswith("Identifiant du quartier,Quartier,Ville,Pays")
    csv = people.leader_a.api.get("/api/exports/settlements.csv?headers=labels"
                                  ).get_data(True)
    assert csv.lstrip("\ufeff").startswith("Settlement ID,Settlement,City,Country")


def test_form_titles_are_shown_in_the_forms_own_language(app: Flask, people: People) -> None:
    with app.app_context():
        publish_form(load_form(ROOT / "forms" / "definitions"
                               / "sdi_household_enumeration.xlsx"))
    titles = {"pt": "Recenseamento de agregados SDI", "sw": "Uhesabuji wa kaya wa SDI",
              "en": "SDI household enumeration"}
    for code, title in titles.items():
        html = people.admin.client.get("/forms/", headers={"Accept-Language": code}
                                       ).get_data(True)
        assert f"<td>{title}</td>" in html, code


def test_refusals_of_the_services_shown_on_pages_are_translated(app: Flask) -> None:
    """A correction or a resolution refused by the services reads in the page's language
    (they are flashed on the record and conflict pages)."""
    with app.test_request_context("/records/", headers={"Accept-Language": "fr"}):
        with pytest.raises(ApiError) as refused:
            edit_record("no-such-record", {"household/head_name": "x"}, "leader_a")
        assert refused.value.message == "aucune fiche no-such-record"
        with pytest.raises(ApiError) as refused:
            resolve_conflict(123456, 0, "leader_a")
        assert refused.value.message == "aucun conflit 123456"
    with app.test_request_context("/records/"):
        with pytest.raises(ApiError) as refused:
            edit_record("no-such-record", {"household/head_name": "x"}, "leader_a")
        assert refused.value.message == "no record no-such-record"


def test_choosing_the_language_looks_up_only_a_browser_sessions_user(app: Flask) -> None:
    """Without a session (ODK Collect with Digest, a script) the language comes from the
    request alone: the caller is not looked up (and so not cached as nobody) before the
    endpoint's own authentication runs."""
    with app.test_request_context("/formList", headers={"Accept-Language": "sw"}):
        assert language() == "sw"
        assert not hasattr(request, "_hesabu_user")

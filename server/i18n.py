"""The web in English, French, Portuguese and Swahili (Flask-Babel, gettext catalogs).

The language of a page is, in order: the logged-in person's choice (`users.language`),
the `hesabu_lang` cookie (the choice of someone not logged in), the browser's
Accept-Language, English. The JSON API (/api/) called by a script or a tablet (a token,
no browser session) follows only Accept-Language, else English. Catalogs are
`server/translations/<code>/LC_MESSAGES/messages.po`, compiled to `.mo` beside them
(`tools/web_i18n.py`; a test checks that every text of the pages and messages is
translated and that the `.mo` files are current).

Form labels are not here: they come from each form's own translations
(`form_language`), and CLDR (through Babel) names countries and currencies.
"""

from __future__ import annotations

from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, get_territory_currencies
from flask import Flask, g, has_request_context, request, session
from flask_babel import Babel, get_locale
from flask_babel import lazy_gettext as _l

from forms.record_messages import language_code
from forms.spec import FormSpec
from server.auth import current_user

#: Languages of the web: code -> the language's own name.
LANGUAGES = {"en": "English", "fr": "Français", "pt": "Português", "sw": "Kiswahili"}
DEFAULT_LANGUAGE = "en"
COOKIE = "hesabu_lang"
#: Roles (server.auth.Role values) as people read them (short: the top bar shows one).
ROLE_NAMES = {"admin": _l("admin"), "leader": _l("leader"), "enumerator": _l("enumerator"),
              "official": _l("official")}
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def chosen_language(code: object) -> str | None:
    """`code` if it is a language of the web, else None."""
    return code if isinstance(code, str) and code in LANGUAGES else None


def _select_language() -> str:
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if "hesabu_language" in g:
        return str(g.hesabu_language)
    if request.path.startswith("/api/") and (
            "Authorization" in request.headers or "user_id" not in session):
        # Scripts and tablets (a token, a device, no session): what the request asks
        # for, else English, so their messages stay stable. A browser session (the
        # downloads page's files) reads like the pages.
        code = request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE
        g.hesabu_language = code
        return code
    user = None
    # Only a browser session has a chosen language: other callers (OpenRosa clients with
    # Digest, scripts) are not looked up here, so their own authentication comes first.
    if "user_id" in session and not request.path.startswith("/assets/"):
        try:
            user = current_user()
        except Exception:
            user = None
    code = (chosen_language(getattr(user, "language", None))
            or chosen_language(request.cookies.get(COOKIE))
            or request.accept_languages.best_match(list(LANGUAGES))
            or DEFAULT_LANGUAGE)
    g.hesabu_language = code
    return code


def language() -> str:
    """The language code of the current request ("en" outside one)."""
    return str(get_locale() or DEFAULT_LANGUAGE) if has_request_context() else \
        DEFAULT_LANGUAGE


def init_i18n(app: Flask) -> None:
    """Flask-Babel with Hesabu's locale selector; `_`, `ngettext`, `role_name` and the
    language picker's `languages` in every template."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=_select_language)
    app.jinja_env.globals.update(languages=LANGUAGES, current_language=language,
                                 role_name=role_name)


def role_name(role: object) -> str:
    """A role in the reader's language ("leader" -> "federation leader")."""
    found = ROLE_NAMES.get(str(role))
    return str(found) if found is not None else str(role)


# -- forms, countries and money in the reader's language ----------------------------------
def form_language(spec: FormSpec | None, code: str | None = None) -> str | None:
    """The form's own language matching `code` (the request's by default): "French (fr)"
    for "fr"; the form's default language when it has no such translation."""
    if spec is None:
        return None
    code = code or language()
    for name in spec.languages:
        if language_code(name) == code:
            return name
    return spec.default_language


def country_code(value: object) -> str | None:
    """The ISO 3166 code in a country answer ("KE_Kenya", "KE", "Kenya") or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    head = value.strip().split("_", 1)[0].split(" ", 1)[0]
    if len(head) == 2 and head.isalpha() and head.upper() in Locale("en").territories:
        return head.upper()
    wanted = value.strip().replace("_", " ").lower()
    for code, name in Locale("en").territories.items():
        if len(code) == 2 and name.lower() == wanted:
            return code
    return None


def country_name(value: object) -> str:
    """A country answer as the country's name in the reader's language: "KE_Kenya" ->
    "Kenya"; text that names no country is shown as it is (underscores as spaces)."""
    code = country_code(value)
    if code is not None:
        return str(Locale.parse(language()).territories.get(code, code))
    return "" if value is None else str(value).replace("_", " ").strip()


def currency_of(country: object) -> str | None:
    """The ISO 4217 code of the country's money today ("KE_Kenya" -> "KES")."""
    code = country_code(country)
    if code is None:
        return None
    found = get_territory_currencies(code)
    return found[0] if found else None


def money_text(value: float | None, country: object) -> str | None:
    """An amount with the country's currency in the reader's language ("KES 1,500"),
    None when there is no amount; without a known currency, the number alone."""
    if value is None:
        return None
    currency = currency_of(country)
    locale = language()
    if currency is None:
        return format_decimal(value, format="#,##0.##", locale=locale)
    return format_currency(value, currency, format="¤ #,##0.##", locale=locale,
                           currency_digits=False)


# -- compiling the catalogs --------------------------------------------------------------
def catalogs() -> list[Path]:
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def mo_bytes(po: Path) -> bytes:
    import io

    with po.open("rb") as source:
        catalog = read_po(source)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_catalogs() -> list[Path]:
    """Write each stale `.mo` from its `.po`; returns the files written."""
    written = []
    for po in catalogs():
        mo = po.with_suffix(".mo")
        data = mo_bytes(po)
        if not mo.exists() or mo.read_bytes() != data:
            mo.write_bytes(data)
            written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_catalogs():
        print(f"wrote {path}")

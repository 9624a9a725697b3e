"""Built-in messages for problems in a record, in the languages federations use most.

A form's own `constraint_message` / `required_message` always wins; these are for the
rest. Languages are matched by their code, so "fr", "French (fr)" and "Français (fr)"
all find French; anything unknown falls back to English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from forms.spec import DEFAULT_LANG

_NAMES = {
    "english": "en", "french": "fr", "français": "fr", "francais": "fr",
    "portuguese": "pt", "português": "pt", "portugues": "pt",
    "swahili": "sw", "kiswahili": "sw",
}

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "required": "This question needs an answer.",
        "constraint": "This answer is not allowed.",
        "not_relevant": "This question does not apply here but has an answer.",
        "repeat_count": "There should be {expected} entries here, not {found}.",
        "unknown_choice": "'{value}' is not one of the choices.",
        "duplicate_choice": "'{value}' is chosen more than once.",
        "type.integer": "Enter a whole number.",
        "type.decimal": "Enter a number.",
        "type.date": "Enter a date (year-month-day).",
        "type.time": "Enter a time (hours:minutes).",
        "type.dateTime": "Enter a date and time.",
        "type.select_one": "Choose one of the options.",
        "type.select_multiple": "Choose from the options.",
        "type.geopoint": "Enter a location: latitude -90 to 90, longitude -180 to 180.",
        "type.geotrace": "Enter a line of at least 2 valid points.",
        "type.geoshape": "Enter a closed shape of at least 4 valid points, ending where it starts.",
        "type.range": "Enter a number from {start} to {end} in steps of {step}.",
        "type.acknowledge": "The only answer here is OK.",
        "type.text": "Enter text.",
        "too_long": "At most {limit} characters, not {length}.",
        "type.file": "Attach a file.",
        "type.group": "This section holds the wrong kind of data.",
    },
    "fr": {
        "required": "Cette question exige une réponse.",
        "constraint": "Cette réponse n'est pas acceptée.",
        "not_relevant": "Cette question ne s'applique pas ici mais a une réponse.",
        "repeat_count": "Il devrait y avoir {expected} entrées ici, et non {found}.",
        "unknown_choice": "« {value} » ne fait pas partie des choix.",
        "duplicate_choice": "« {value} » est choisi plus d'une fois.",
        "type.integer": "Saisissez un nombre entier.",
        "type.decimal": "Saisissez un nombre.",
        "type.date": "Saisissez une date (année-mois-jour).",
        "type.time": "Saisissez une heure (heures:minutes).",
        "type.dateTime": "Saisissez une date et une heure.",
        "type.select_one": "Choisissez une des options.",
        "type.select_multiple": "Choisissez parmi les options.",
        "type.geopoint": "Saisissez un lieu : latitude de -90 à 90, longitude de -180 à 180.",
        "type.geotrace": "Saisissez une ligne d'au moins 2 points valides.",
        "type.geoshape": "Saisissez une forme fermée d'au moins 4 points valides, "
                         "qui finit où elle commence.",
        "type.range": "Saisissez un nombre de {start} à {end} par pas de {step}.",
        "type.acknowledge": "La seule réponse possible ici est OK.",
        "type.text": "Saisissez du texte.",
        "too_long": "{limit} caractères au plus, et non {length}.",
        "type.file": "Joignez un fichier.",
        "type.group": "Cette section contient des données d'un mauvais type.",
    },
    "pt": {
        "required": "Esta pergunta precisa de uma resposta.",
        "constraint": "Esta resposta não é permitida.",
        "not_relevant": "Esta pergunta não se aplica aqui, mas tem uma resposta.",
        "repeat_count": "Deveria haver {expected} entradas aqui, não {found}.",
        "unknown_choice": "'{value}' não é uma das opções.",
        "duplicate_choice": "'{value}' foi escolhido mais de uma vez.",
        "type.integer": "Introduza um número inteiro.",
        "type.decimal": "Introduza um número.",
        "type.date": "Introduza uma data (ano-mês-dia).",
        "type.time": "Introduza uma hora (horas:minutos).",
        "type.dateTime": "Introduza uma data e hora.",
        "type.select_one": "Escolha uma das opções.",
        "type.select_multiple": "Escolha entre as opções.",
        "type.geopoint": "Introduza um local: latitude de -90 a 90, longitude de -180 a 180.",
        "type.geotrace": "Introduza uma linha com pelo menos 2 pontos válidos.",
        "type.geoshape": "Introduza uma forma fechada com pelo menos 4 pontos válidos, "
                         "que termine onde começa.",
        "type.range": "Introduza um número de {start} a {end} em passos de {step}.",
        "type.acknowledge": "A única resposta aqui é OK.",
        "type.text": "Introduza texto.",
        "too_long": "No máximo {limit} caracteres, não {length}.",
        "type.file": "Anexe um ficheiro.",
        "type.group": "Esta secção contém dados do tipo errado.",
    },
    "sw": {
        "required": "Swali hili linahitaji jibu.",
        "constraint": "Jibu hili haliruhusiwi.",
        "not_relevant": "Swali hili halihusiki hapa lakini lina jibu.",
        "repeat_count": "Panapaswa kuwa na maingizo {expected} hapa, si {found}.",
        "unknown_choice": "'{value}' si mojawapo ya machaguo.",
        "duplicate_choice": "'{value}' imechaguliwa zaidi ya mara moja.",
        "type.integer": "Weka namba kamili.",
        "type.decimal": "Weka namba.",
        "type.date": "Weka tarehe (mwaka-mwezi-siku).",
        "type.time": "Weka saa (saa:dakika).",
        "type.dateTime": "Weka tarehe na saa.",
        "type.select_one": "Chagua moja ya machaguo.",
        "type.select_multiple": "Chagua kutoka kwenye machaguo.",
        "type.geopoint": "Weka mahali: latitudo -90 hadi 90, longitudo -180 hadi 180.",
        "type.geotrace": "Weka mstari wenye angalau pointi 2 sahihi.",
        "type.geoshape": "Weka umbo lililofungwa lenye angalau pointi 4 sahihi, "
                         "linaloishia lilipoanzia.",
        "type.range": "Weka namba kutoka {start} hadi {end} kwa hatua za {step}.",
        "type.acknowledge": "Jibu pekee hapa ni OK.",
        "type.text": "Weka maandishi.",
        "too_long": "Herufi zisizozidi {limit}, si {length}.",
        "type.file": "Ambatisha faili.",
        "type.group": "Sehemu hii ina data ya aina isiyo sahihi.",
    },
}


def language_code(language: str | None) -> str | None:
    """"fr", "French (fr)", "Français" -> "fr"; None when it says nothing usable."""
    if not language:
        return None
    text = language.strip()
    match = re.search(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)\)\s*$", text)
    if match:
        return match.group(1).split("-")[0].lower()
    lowered = text.lower()
    if lowered in _NAMES:
        return _NAMES[lowered]
    if re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]+)?", lowered):
        return lowered.split("-")[0]
    return None


def pick_text(texts: Mapping[str, str], language: str | None,
              fallback: str | None = None) -> str | None:
    """The text for `language` from a {language: text} column, matching by code too."""
    if not texts:
        return None
    for wanted in (language, fallback):
        if not wanted:
            continue
        if texts.get(wanted):
            return texts[wanted]
        code = language_code(wanted)
        if code:
            for key, text in texts.items():
                if text and language_code(key) == code:
                    return text
    if texts.get(DEFAULT_LANG):
        return texts[DEFAULT_LANG]
    return next((t for t in texts.values() if t), None)


def builtin(key: str, language: str | None, fallback: str | None = None, **values: object
            ) -> str:
    """A built-in message in `language` (else `fallback`, else English)."""
    for wanted in (language, fallback):
        table = MESSAGES.get(language_code(wanted) or "")
        if table and key in table:
            return table[key].format(**values)
    return MESSAGES["en"][key].format(**values)

"""The leaders' record search ignores case and accents ("joao" finds "João"), on SQLite
and on PostgreSQL, whether the answers are stored as UTF-8 or as JSON escapes."""

from __future__ import annotations

import json
import unicodedata

import pytest
from flask import Flask
from personas import People, make_personas
from server_harness import Device
from server_harness import push_ok as push
from sqlalchemy import Text, select, text

from forms.spec import FormSpec, Node
from server.extensions import db
from server.models import Record
from server.services.forms import publish_form
from server.services.review import list_records
from server.services.scoping import STRUCTURE_FORM
from server.services.text_fold import PAIRS, fold, folds_to, search_regex


@pytest.fixture
def records(app: Flask, form: tuple[str, str], tablet: Device) -> dict[str, str]:
    """name -> record id of a few records whose answers need folding."""
    joao = tablet.op(fields={"name": "João Conceição", "structure": "KSE-0001"})
    # Created, then edited; its stored fields are then rewritten with JSON escapes
    # (H\u00e9l...), as edits were stored before the server wrote UTF-8 JSON: records
    # from then must be found too.
    helene = tablet.op(fields={"name": "draft"})
    percent = tablet.op(fields={"name": "Amina", "note": "100% done", "code": "a_b"})
    strasse = tablet.op(fields={"name": "Straße", "note": "x\u0000y",
                                "relatives": ["Mãe", "pai"]})
    decomposed = tablet.op(fields={"name": unicodedata.normalize("NFD", "Sebastião")})
    push(app, tablet, [joao, helene, percent, strasse, decomposed])
    heads = {"name": [helene.op_id], "__deleted__": [helene.op_id]}
    push(app, tablet, [tablet.op(helene.record_id, {"name": "Hélène Zoé", "age": 34}, heads)])
    with app.app_context():
        fields = db.session.get(Record, helene.record_id).fields
        escaped = json.dumps(fields)  # ensure_ascii: the old form
        cast = "CAST(:v AS JSON)" if db.engine.dialect.name == "postgresql" else ":v"
        db.session.execute(text(f"UPDATE records SET fields = {cast} WHERE record_id = :r"),
                           {"v": escaped, "r": helene.record_id})
        db.session.commit()
        stored = db.session.execute(select(Record.fields.cast(Text)).where(
            Record.record_id == helene.record_id)).scalar_one()
        db.session.rollback()
    assert "\\u00e9" in stored  # so this test covers escaped answers
    return {"joao": joao.record_id, "helene": helene.record_id, "percent": percent.record_id,
            "strasse": strasse.record_id, "decomposed": decomposed.record_id}


def found(app: Flask, query: str) -> set[str]:
    with app.app_context():
        rows, total = list_records(visible=None, text=query)
        db.session.rollback()
    assert total == len(rows)
    return {row.record_id for row in rows}


@pytest.mark.parametrize(("query", "expected"), [
    ("joao", {"joao"}), ("JOÃO", {"joao"}), ("João", {"joao"}), ("conceicao", {"joao"}),
    ("CONCEIÇÃO", {"joao"}), ("o conc", {"joao"}),
    ("helene", {"helene"}), ("HÉLÈNE", {"helene"}), ("zoe", {"helene"}), ("34", {"helene"}),
    ("kse-0001", {"joao"}), ("Amina", {"percent"}),
    ("%", {"percent"}), ("0% d", {"percent"}), ("_", {"percent"}), ("a_b", {"percent"}),
    ("a%b", set()), ("a/b", set()), ("a.b", set()), ("d|x", set()), ("(", set()),
    ("strasse", {"strasse"}), ("STRASSE", {"strasse"}), ("straße", {"strasse"}),
    ("mae", {"strasse"}), ("x", {"strasse"}),  # x\u0000y breaks no search
    ("sebastiao", {"decomposed"}), ("Sebastião", {"decomposed"}),
    ("nobody here", set()), ("name", set()),  # the field names are not searched
])
def test_search_ignores_case_and_accents(app: Flask, records: dict[str, str], query: str,
                                         expected: set[str]) -> None:
    assert found(app, query) == {records[name] for name in expected}


def test_the_records_page_search_box_folds_accents(app: Flask) -> None:
    with app.app_context():
        publish_form(FormSpec(id=STRUCTURE_FORM, version="1", title="Structures", children=(
            Node("question", "text", "settlement_id", ("settlement_id",),
                 label={"default": "Settlement"}),
            Node("question", "text", "owner", ("owner",), label={"default": "Owner"}),
            Node("question", "text", "structure_number", ("structure_number",),
                 label={"default": "Structure number"}))))
    people: People = make_personas(app)
    push(app, people.tablet_a, [people.tablet_a.op(
        fields={"settlement_id": people.s1, "structure_number": "MAS-0012",
                "owner": "Conceição Hélène"}, form_id=STRUCTURE_FORM, form_version="1")])
    leader = people.leader_a.client
    page = leader.get("/records/?q=CONCEICAO helene").get_data(as_text=True)
    assert "MAS-0012" in page and "data-total>1<" in page
    assert "data-total>0<" in leader.get("/records/?q=conceicao%25").get_data(as_text=True)


def test_the_database_folds_as_python_does(app: Flask) -> None:
    """Every accented letter of Latin-1 and Latin Extended-A/B, in either case: on SQLite
    the registered function is `fold`; on PostgreSQL the regular expression of
    fold(letter), and of the letter itself, finds it. (Letters that fold to two, such as
    Ĳ -> ij, PostgreSQL knows only for ß: see services/text_fold.)"""
    letters = [chr(code) for code in range(0xC0, 0x250)
               if fold(chr(code)) != chr(code) and len(fold(chr(code))) == 1]
    assert {"Ã", "ã", "Õ", "õ", "Ç", "ç", "Ñ", "ñ", "É", "è", "ÿ", "Ÿ"} <= set(letters)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            got = [db.session.execute(text("SELECT hesabu_fold(:t)"), {"t": c}).scalar_one()
                   for c in letters]
            assert got == [fold(c) for c in letters]
        else:
            query = text("SELECT array_agg(t) FROM unnest(CAST(:texts AS text[]), "
                         "CAST(:patterns AS text[])) AS x(t, p) WHERE NOT t ~ p")
            texts = [f"«{c}»" for c in letters] * 2
            patterns = ([search_regex(f"«{fold(c)}»") for c in letters]
                        + [search_regex(f"«{c}»") for c in letters])
            assert db.session.execute(query, {"texts": texts,
                                              "patterns": patterns}).scalar_one() is None
            # and a letter does not match another letter
            assert not db.session.execute(text("SELECT 'Joõo' ~ :p"),
                                          {"p": search_regex("joao")}).scalar_one()
        db.session.rollback()


def test_the_regular_expression_classes_are_consistent() -> None:
    classes = folds_to()
    for key, members in classes.items():
        assert key in members
        assert all(fold(member) == key for member in members), key
    assert set("ãÃàÀáÁâÂäÄåÅ") <= set(classes["a"])
    assert set("çÇ") <= set(classes["c"]) and set("ñÑ") <= set(classes["n"])
    for pair, letters in PAIRS.items():
        assert all(fold(letter) == pair for letter in letters)

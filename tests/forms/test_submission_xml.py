"""Reading an XForm submission into a record's answers: typed answers, repeats, geo
values tidied, files named; templates and client metadata skipped; anything the form
does not have, or that does not fit it, refused with its path; no DOCTYPE or entities."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forms import load_form
from forms.spec import FormSpec
from forms.submission import (
    FIELD_UNKNOWN,
    INSTANCE_ID_MISSING,
    NOT_XML,
    ROOT_MISMATCH,
    VALUE_INVALID,
    SubmissionError,
    instance_header,
    parse_xml,
    read_submission,
    write_instance,
)

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "forms" / "definitions"


def form(name: str) -> FormSpec:
    return load_form(FORMS / f"{name}.xlsx")


def read(spec: FormSpec, xml: str | bytes):
    return read_submission(parse_xml(xml.encode() if isinstance(xml, str) else xml), spec)


@pytest.mark.parametrize("example", sorted((ROOT / "forms" / "examples").glob("*/*.json")),
                         ids=lambda p: p.stem)
def test_an_example_record_written_as_a_submission_reads_back_the_same(example: Path) -> None:
    spec = form(example.parent.name)
    answers = json.loads(example.read_text())
    submission = read(spec, write_instance(spec, answers, "uuid:x", "uuid:w"))
    assert submission.answers == answers
    assert (submission.instance_id, submission.deprecated_id) == ("uuid:x", "uuid:w")
    assert instance_header(parse_xml(write_instance(spec, answers, "uuid:x"))) == (
        spec.id, spec.id, spec.version)


def test_values_are_typed_and_tidied_as_enketo_writes_them() -> None:
    spec = form("sdi_structure_numbering")
    xml = ('<sdi_structure_numbering xmlns="http://www.w3.org/2002/xforms" '
           'xmlns:orx="http://openrosa.org/xforms" id="sdi_structure_numbering" '
           'version="2026120601"><settlement_name>Mashimoni</settlement_name>'
           '<gps>-1.3134  36.789 1701 3.8</gps>'
           '<footprint>-1.1 36.1 0 0; -1.1 36.2 0 0; -1.2 36.2 0 0; -1.1 36.1 0 0</footprint>'
           '<storeys> 2 </storeys><photo>front-12.jpg</photo><comments>  two  spaces </comments>'
           '<orx:meta><orx:instanceID>uuid:e1</orx:instanceID><orx:timeStart>x</orx:timeStart>'
           '</orx:meta></sdi_structure_numbering>')
    sub = read(spec, xml)
    assert sub.answers == {"settlement_name": "Mashimoni", "gps": "-1.3134 36.789 1701 3.8",
                           "footprint": "-1.1 36.1 0 0;-1.1 36.2 0 0;-1.2 36.2 0 0;-1.1 36.1 0 0",
                           "storeys": 2, "photo": "front-12.jpg",
                           "comments": "  two  spaces "}
    assert sub.files == ("front-12.jpg",) and sub.instance_id == "uuid:e1"


def test_repeat_templates_and_empty_elements_are_not_answers() -> None:
    spec = form("sdi_household_enumeration")
    xml = ('<sdi_household_enumeration id="sdi_household_enumeration" version="2026120601" '
           'xmlns:jr="http://openrosa.org/javarosa"><consent>yes</consent><household>'
           '<members jr:template=""><member_name/></members>'
           '<members><member_name>Amina</member_name><member_age>34</member_age></members>'
           '<members><member_name>Ali</member_name><member_age/></members>'
           '<disasters>floods  fires</disasters></household>'
           '<meta><instanceID>uuid:r1</instanceID></meta></sdi_household_enumeration>')
    assert read(spec, xml).answers == {"consent": "yes", "household": {
        "members": [{"member_name": "Amina", "member_age": 34}, {"member_name": "Ali"}],
        "disasters": ["floods", "fires"]}}


BASE = ('<sdi_household_enumeration id="sdi_household_enumeration" version="2026120601">'
        '{body}<meta><instanceID>uuid:r2</instanceID></meta></sdi_household_enumeration>')


@pytest.mark.parametrize(("body", "code", "words"), [
    ("<household><pets>2</pets></household>", FIELD_UNKNOWN,
     "/sdi_household_enumeration/household/pets: form 'sdi_household_enumeration'"),
    ("<household_in_structure>two</household_in_structure>", VALUE_INVALID,
     "'two' is not a whole number"),
    ("<consent>maybe</consent>", VALUE_INVALID, "'maybe' is not a choice of consent"),
    ("<household><members><member_age>x</member_age></members></household>", VALUE_INVALID,
     "/household/members[1]/member_age"),
    ("<consent>yes</consent><consent>no</consent>", FIELD_UNKNOWN, "appears twice"),
    ("<household><head_name><b>x</b></head_name></household>", FIELD_UNKNOWN,
     "holds elements"),
])
def test_what_the_form_does_not_have_is_refused_with_its_path(body: str, code: str,
                                                              words: str) -> None:
    with pytest.raises(SubmissionError) as caught:
        read(form("sdi_household_enumeration"), BASE.format(body=body))
    assert caught.value.code == code and words in caught.value.message


def test_instance_id_root_and_xml_problems() -> None:
    spec = form("sdi_household_enumeration")
    with pytest.raises(SubmissionError) as no_id:
        read(spec, BASE.replace("uuid:r2", ""))
    assert no_id.value.code == INSTANCE_ID_MISSING
    with pytest.raises(SubmissionError) as root:
        read(spec, BASE.format(body="").replace("sdi_household_enumeration id", "data id")
             .replace("</sdi_household_enumeration>", "</data>"))
    assert root.value.code == ROOT_MISMATCH
    for bad in (b"<a><b></a>", b"", b'<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                                     b"<a>&e;</a>"):
        with pytest.raises(SubmissionError) as caught:
            parse_xml(bad)
        assert caught.value.code == NOT_XML
    with pytest.raises(SubmissionError, match="nested more than"):
        parse_xml(b"<a>" * 100 + b"</a>" * 100)

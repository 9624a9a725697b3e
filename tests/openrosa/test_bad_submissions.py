"""Submissions that cannot become records get the OpenRosa error envelope with a message
a person can act on, the status of the error registry, and nothing is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from collect import Collect, Reply, multipart
from openrosa_site import ROOT, Site, running_site, sdi_form
from server_harness import table_counts

from forms.submission import write_instance

HOUSEHOLD = "sdi_household_enumeration"
ANSWERS = json.loads((ROOT / "forms" / "examples" / HOUSEHOLD / "msh_0142_tenant_family.json"
                      ).read_text())


@pytest.fixture(scope="module")
def site(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One server for the module: every test compares the tables before and after."""
    with running_site(db_url, tmp_path_factory.mktemp("site"),
                      MAX_CONTENT_LENGTH=512 * 1024) as live:
        yield live


def xml(instance_id: str = "uuid:bad-1", **changes: Any) -> bytes:
    answers = json.loads(json.dumps(ANSWERS))
    answers["household"].update(changes)
    return write_instance(sdi_form(HOUSEHOLD), answers, instance_id)


def post(site: Site, body: bytes, content_type: str) -> Reply:
    collect = Collect(site.amina.token_url)
    return collect.request("POST", "/submission", body, {"Content-Type": content_type})


def post_xml(site: Site, data: bytes, files: list[tuple[str, bytes]] | None = None) -> Reply:
    return post(site, *multipart(data, "instance.xml", files or []))


def refused(site: Site, reply: Reply, status: int, words: str) -> None:
    assert reply.status == status, (reply.status, reply.body)
    assert reply.header("X-OpenRosa-Version") == "1.0"
    assert b'nature="error"' in reply.body
    assert words in reply.message, reply.message


CASES = {
    "not multipart": (lambda: (xml(), "text/xml"), 400, "multipart/form-data"),
    "no xml part": (lambda: multipart(b"", "x.xml", [])[0].replace(
        b"xml_submission_file", b"something_else"), 400, "no xml_submission_file"),
    "not xml": (lambda: b"household, 5 members", 400, "not well-formed XML"),
    "entities": (lambda: b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
                 b"<x>&a;</x>", 400, "DOCTYPE"),
    "unknown form": (lambda: xml().replace(b'id="sdi_household_enumeration"',
                                           b'id="water_survey"'), 404, "'water_survey'"),
    "unknown version": (lambda: xml().replace(b'version="2026120601"', b'version="1999"'),
                        404, "version '1999' is not published"),
    "no version": (lambda: xml().replace(b' version="2026120601"', b""), 404,
                   "names no form version"),
    "wrong root": (lambda: xml().replace(b"<sdi_household_enumeration ", b"<data ")
                   .replace(b"</sdi_household_enumeration>", b"</data>"), 400,
                   "root element is <data>"),
    "unknown field": (lambda: xml().replace(b"<tenure>", b"<pets>3</pets><tenure>"), 400,
                      "/sdi_household_enumeration/household/pets: form "
                      "'sdi_household_enumeration' version '2026120601' has no such field"),
    "not a number": (lambda: xml(members_count="many"), 400,
                     "household/members_count: 'many' is not a whole number"),
    "unknown choice": (lambda: xml(tenure="castle"), 400, "'castle' is not a choice of tenure"),
    "no instance id": (lambda: xml().replace(b"<instanceID>uuid:bad-1</instanceID>",
                                             b"<instanceID/>"), 400, "no meta/instanceID"),
    "edit of the unknown": (lambda: write_instance(sdi_form(HOUSEHOLD), ANSWERS, "uuid:v2",
                                                   "uuid:never-sent"), 409,
                            "replaces uuid:never-sent, which was not received here"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_submissions_are_refused_and_nothing_is_stored(site: Site, case: str) -> None:
    make, status, words = CASES[case]
    before = table_counts(site.app)
    made = make()
    if case == "not multipart":
        body, kind = made
        reply = post(site, body, kind)
    elif case == "no xml part":
        boundary = made.split(b"\r\n", 1)[0][2:].decode()
        reply = post(site, made, f"multipart/form-data; boundary={boundary}")
    else:
        reply = post_xml(site, made)
    refused(site, reply, status, words)
    assert table_counts(site.app) == before


def test_the_same_instance_id_with_other_answers_is_a_conflict(site: Site) -> None:
    assert post_xml(site, xml("uuid:same")).status == 201
    before = table_counts(site.app)
    refused(site, post_xml(site, xml("uuid:same", head_name="Someone Else")), 409,
            "a different submission with instanceID uuid:same was received before")
    assert table_counts(site.app) == before


def test_a_body_over_the_limit_is_413_in_openrosa_words(site: Site) -> None:
    before = table_counts(site.app)
    reply = post_xml(site, xml("uuid:big"), [("big.jpg", b"\xff" * (600 * 1024))])
    refused(site, reply, 413, "larger than the server takes")
    assert table_counts(site.app) == before


def test_an_official_gets_no_collect_access(site: Site) -> None:
    from server.errors import ApiError
    from server.services.openrosa_auth import issue_access

    with site.ctx(), pytest.raises(ApiError, match="does not collect data"):
        issue_access(None, "official.nairobi", site.url)


def test_a_busy_database_is_a_503_in_openrosa_words(site: Site, monkeypatch:
                                                    pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from server.services import openrosa_submissions

    def busy(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("INSERT ...", {}, Exception("database is locked"))

    monkeypatch.setattr(openrosa_submissions, "write_instances", busy)
    reply = post_xml(site, xml("uuid:busy"))
    refused(site, reply, 503, "busy")
    assert reply.header("Retry-After") == "5"

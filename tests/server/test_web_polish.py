"""Issue 16, polish: the API docs linked from the menu, whole-sentence summaries,
Markdown rendered, readable sections, the error codes served; no /favicon.ico 404; one
charset in a CSV's Content-Type; an access log."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from markupsafe import escape
from personas import People, make_personas
from server_harness import HttpClient, LiveServer

from server.api.doc_text import split_docstring
from server.api.openapi import build_spec
from server.errors import ERRORS


def test_docstring_summaries_are_whole_sentences() -> None:
    assert split_docstring("Open conflicts of the records you may see, oldest first,\n"
                           "each with every value. Leaders only.\n\nMore here.") == (
        "Open conflicts of the records you may see, oldest first, each with every value.",
        "Leaders only.\n\nMore here.")
    # A period inside `code` or in "e.g." does not end the sentence.
    assert split_docstring("Push `{a. b}` e.g. twice. Then stop.")[0] == \
        "Push `{a. b}` e.g. twice."
    assert split_docstring("One line") == ("One line", "")


def test_every_summary_of_the_spec_is_a_whole_sentence(app: Flask) -> None:
    with app.test_request_context():
        spec = build_spec(app)
    cut = [(path, method, op["summary"]) for path, methods in spec["paths"].items()
           for method, op in methods.items()
           if not op["summary"].rstrip().endswith((".", "?", "!", ")"))]
    assert cut == []


def test_the_docs_page_renders_markdown_in_readable_sections(app: Flask) -> None:
    page = app.test_client().get("/api/docs").get_data(as_text=True)
    sections = re.findall(r'<h2 id="[^"]+">([^<]+)</h2>', page)
    assert {"Sync", "Records and review", "Settlements and city profiles",
            "Downloads"} <= set(sections), sections
    assert not [s for s in sections if "_" in s or s.islower()], sections
    assert "<code>sync.op_invalid</code>" in page  # Markdown, not `backticks`
    text = re.sub(r"<pre>.*?</pre>", "", page, flags=re.S)
    assert "`" not in text
    assert 'href="/api/docs/errors"' in page


def test_the_error_codes_are_served(app: Flask) -> None:
    reply = app.test_client().get("/api/docs/errors")
    assert reply.status_code == 200 and reply.mimetype == "text/html"
    page = reply.get_data(as_text=True)
    for code, error in ERRORS.items():
        assert f'<tr id="{code}"><td><code>{code}</code></td>\n<td>{error.status}</td>' in page
        assert str(escape(error.meaning)) in page
    spec = app.test_client().get("/api/openapi.json").json
    assert "/api/docs/errors" in spec["info"]["description"]


def test_every_menu_links_the_api_docs(people: People) -> None:
    for persona in (people.leader_a, people.enumerator_a, people.official_a, people.admin):
        page = persona.client.get("/").get_data(as_text=True)
        menu = page.split('<nav class="menu"')[1].split("</nav>")[0]
        assert '<a href="/api/docs">API documentation</a>' in menu, persona.username


def test_no_favicon_404(app: Flask) -> None:
    reply = app.test_client().get("/favicon.ico")
    assert reply.status_code == 200 and reply.mimetype in ("image/vnd.microsoft.icon",
                                                           "image/x-icon")
    assert reply.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    reply.close()
    page = app.test_client().get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico"' in page


def test_a_csv_download_names_one_charset(people: People) -> None:
    for path in ("/api/exports/settlements.csv", "/api/exports/cities.csv"):
        reply = people.admin.client.get(path)
        assert reply.status_code == 200, path
        assert reply.headers["Content-Type"] == "text/csv; charset=utf-8", path
        reply.close()


def test_the_access_log_has_a_line_per_request_without_secrets(
        make_app: object, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    app = make_app(HESABU_ACCESS_LOG=str(log))  # type: ignore[operator]
    people = make_personas(app)  # its requests are logged too
    before = len(log.read_text(encoding="utf-8").splitlines())
    with LiveServer(app) as live:
        HttpClient(live.port).request("GET", "/login?next=/records/%3Fq%3DWanjiru")
        HttpClient(live.port, people.leader_a.api.token).request("GET", "/api/records")
        HttpClient(live.port).request("GET", "/key/SECRETKEY123/formList")
        HttpClient(live.port, "not-a-token").request("GET", "/api/sync/pull?cursor=0")
    lines = log.read_text(encoding="utf-8").splitlines()[before:]
    assert len(lines) == 4, lines
    assert re.search(r' 127\.0\.0\.1 - "GET /login" 200 \d+ \d+\.\dms$', lines[0]), lines[0]
    assert ' 127.0.0.1 leader_a "GET /api/records" 200 ' in lines[1], lines[1]
    assert '"GET /key/***/formList" 40' in lines[2], lines[2]
    assert '"GET /api/sync/pull" 401 ' in lines[3], lines[3]
    text = "\n".join(lines)
    assert "SECRETKEY123" not in text and "Wanjiru" not in text and "not-a-token" not in text

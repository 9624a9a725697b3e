"""ODK Collect's requests, as the OpenRosa specification shapes them, against the real
server: form list, form download, manifest, authentication (Digest, Basic, the key in
the URL) and submissions becoming records through the tablets' op path."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from typing import Any

from collect import Collect, Reply
from openrosa_site import ROOT, Site, sdi_form
from server_harness import HttpClient, table_counts
from sqlalchemy import select

from forms.submission import write_instance
from server.extensions import db
from server.models import AuditEvent, Record
from server.models import Op as OpRow
from server.services.devices import revoke_device

HOUSEHOLD = "sdi_household_enumeration"
EXAMPLE = json.loads((ROOT / "forms" / "examples" / HOUSEHOLD / "msh_0142_tenant_family.json"
                      ).read_text())


def amina(site: Site, **kw: object) -> Collect:
    return Collect(site.url, site.amina.username, site.amina.password, **kw)  # type: ignore[arg-type]


def household_xml(instance_id: str, answers: dict | None = None,
                  deprecated_id: str | None = None) -> bytes:
    return write_instance(sdi_form(HOUSEHOLD), answers or EXAMPLE, instance_id, deprecated_id)


def assert_openrosa(reply: Reply) -> None:
    assert reply.header("X-OpenRosa-Version") == "1.0"
    assert int(reply.header("X-OpenRosa-Accept-Content-Length") or 0) > 1_000_000
    assert reply.header("Date")


def test_without_credentials_collect_is_challenged_for_digest_and_basic(site: Site) -> None:
    reply = Collect(site.url).request("GET", "/formList")
    assert reply.status == 401
    assert_openrosa(reply)
    schemes = [v.split()[0] for v in reply.all("WWW-Authenticate")]
    assert schemes == ["Digest", "Basic"]
    assert 'qop="auth"' in reply.all("WWW-Authenticate")[0]
    assert "Collect password" in reply.message


def test_form_list_download_and_manifest_with_digest(site: Site) -> None:
    phone = amina(site)
    forms = {f["formID"]: f for f in phone.form_list()}
    assert set(forms) == {"sdi_settlement_profile", "sdi_structure_numbering", HOUSEHOLD,
                          "sdi_city_profile"}
    entry = forms[HOUSEHOLD]
    assert entry["name"] == "SDI household enumeration" and entry["version"] == "2026120601"
    assert all(auth.startswith("Digest ") for _, _, h in phone.sent[1:]
               if (auth := h.get("Authorization")))
    download = phone.request("GET", entry["downloadUrl"])
    assert download.status == 200 and download.header("Content-Type").startswith("text/xml")
    assert entry["hash"] == "md5:" + hashlib.md5(download.body).hexdigest()
    root = ET.fromstring(download.body)
    instance = root.find(".//{http://www.w3.org/2002/xforms}instance")[0]  # type: ignore[index]
    assert instance.tag.endswith(HOUSEHOLD) and instance.get("version") == "2026120601"
    manifest = phone.request("GET", entry["manifestUrl"])
    assert manifest.status == 200
    assert ET.fromstring(manifest.body).tag == \
        "{http://openrosa.org/xforms/xformsManifest}manifest"
    # The title in Swahili when the phone asks for it.
    reply = phone.request("GET", "/formList", headers={"Accept-Language": "sw-KE,sw;q=0.9"})
    assert f"<name>{sdi_form(HOUSEHOLD).title_in('sw')}</name>" in reply.body.decode()
    assert sdi_form(HOUSEHOLD).title_in("sw") != entry["name"]


def test_basic_and_the_key_in_the_url_work_and_wrong_credentials_do_not(site: Site) -> None:
    assert len(amina(site, prefer_basic=True).form_list()) == 4
    assert len(Collect(site.amina.token_url).form_list()) == 4
    wrong = Collect(site.url, "amina", "not-the-password").request("GET", "/formList")
    assert wrong.status == 401
    bad_key = Collect(site.url + "/key/nope").request("GET", "/formList")
    assert bad_key.status == 403 and "key" in bad_key.message


def test_a_revoked_access_is_refused(site: Site) -> None:
    with site.ctx():
        revoke_device(site.amina.device_id)
    reply = Collect(site.amina.token_url).request("GET", "/formList")
    assert reply.status == 403 and "revoked" in reply.message


def test_a_household_from_collect_becomes_a_record_once(site: Site) -> None:
    phone = amina(site)
    xml = household_xml("uuid:6b1f0d52-4b4e-4f0e-9a61-1c1c3f4a8f01")
    (reply,) = phone.submit(xml)
    assert reply.status == 201, reply.body
    assert_openrosa(reply)
    assert "received" in reply.message
    heads = [h for m, p, h in phone.sent if m == "HEAD"]
    assert heads, "Collect asks HEAD first"
    posts = [p for m, p, h in phone.sent if m == "POST"]
    assert posts[-1] == "/submission?deviceID=collect%3AXq3bWc9tkF2pLs7R"
    with site.ctx():
        (record,) = db.session.execute(select(Record)).scalars()
        assert record.form_id == HOUSEHOLD
        assert [m["member_name"] for m in record.answers["household"]["members"]] == [
            "Joseph Otieno", "Mary Akinyi", "Brian Ochieng", "Faith Atieno", "Baby Otieno"]
        assert record.answers["household"]["disasters"] == ["fires", "floods"]
        (op,) = db.session.execute(select(OpRow)).scalars()
        assert op.device_id == site.amina.device_id
        assert op.payload["meta"]["instance"] == "uuid:6b1f0d52-4b4e-4f0e-9a61-1c1c3f4a8f01"
        assert db.session.execute(select(AuditEvent.action).where(
            AuditEvent.action.like("openrosa.%"))).scalars().all() == \
            ["openrosa.submission.created"]
        db.session.rollback()
    before = table_counts(site.app)
    (again,) = phone.submit(xml)  # Collect did not see the answer: it sends it again
    assert again.status == 201 and "already received" in again.message
    assert [m for m, _, _ in phone.sent].count("HEAD") == len(heads)  # the URL was kept
    assert table_counts(site.app) == before


def test_the_command_gives_a_new_password_and_key_and_the_old_ones_stop(site: Site) -> None:
    from click.testing import CliRunner

    from hesabu.cli import main

    url = site.app.config["SQLALCHEMY_DATABASE_URI"]
    result = CliRunner().invoke(main, ["server", "collect-access", "amina", "--url", site.url,
                                       "--database-url", url,
                                       "--instance", site.app.instance_path])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split()[-1] for line in result.output.splitlines()
             if line.strip().startswith(("password", "either:"))}
    assert lines["either:"].startswith(f"{site.url}/key/")
    assert len(Collect(lines["either:"]).form_list()) == 4
    assert len(Collect(site.url, "amina", lines["password"]).form_list()) == 4
    assert Collect(site.amina.token_url).request("GET", "/formList").status == 403
    assert amina(site).request("GET", "/formList").status == 401
    assert f"device {site.amina.device_id}" in result.output  # the same device: her records
    refused = CliRunner().invoke(main, ["server", "collect-access", "official.nairobi",
                                        "--url", site.url, "--database-url", url])
    assert refused.exit_code == 1 and "does not collect data" in refused.output


def test_a_leader_gives_access_through_the_api_for_their_federation_only(site: Site) -> None:
    from sqlalchemy import select

    from server.models import User
    from server.services.accounts import create_api_token, create_user

    with site.ctx():
        ids = dict(db.session.execute(select(User.username, User.id)).all())
        leader_token = create_api_token(ids["leader.nairobi"], "collect")[1]
        lusaka = create_user("leader.lusaka", "", "leader", site.lusaka,
                             password_hash="not-used")
        other_token = create_api_token(lusaka.id, "collect")[1]
        enumerator_token = create_api_token(ids["amina"], "collect")[1]
    port = int(site.url.rsplit(":", 1)[1])

    def ask(token: str, user: str) -> Any:
        return HttpClient(port, token).request("POST", f"/api/users/{ids[user]}/collect-access")

    given = ask(leader_token, "amina")
    assert given.status == 201, given.body
    access = given.json()
    assert access["device_id"] == site.amina.device_id
    assert access["token_url"].startswith(f"{site.url}/key/")
    assert len(Collect(access["token_url"]).form_list()) == 4
    assert len(Collect(site.url, "amina", access["password"]).form_list()) == 4
    assert ask(other_token, "amina").status == 404  # another federation's person
    assert ask(enumerator_token, "amina").status == 403
    official = ask(leader_token, "official.nairobi")
    assert official.status == 422 and "does not collect" in official.json()["error"][
        "message"]

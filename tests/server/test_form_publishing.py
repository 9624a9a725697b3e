"""Publishing form versions: what devices pull, and immutability of a version."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from server_harness import Device

from forms.spec import FormSpec
from hesabu.cli import main
from server.errors import ApiError
from server.services.forms import publish_form

ROOT = Path(__file__).resolve().parents[2]
HOUSEHOLD = ROOT / "forms" / "definitions" / "sdi_household_enumeration.xlsx"


def test_publish_form_command_publishes_the_sdi_household_form(
        app: Flask, db_url: str, tablet: Device) -> None:
    args = ["server", "publish-form", str(HOUSEHOLD), "--database-url", db_url]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "sdi_household_enumeration version" in first.output and "published" in first.output
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "already published" in again.output

    client = app.test_client()
    page = client.get("/api/sync/pull?cursor=0", headers=tablet.auth).json
    [change] = page["changes"]
    assert change["type"] == "form" and change["form_id"] == "sdi_household_enumeration"
    spec = client.get(f"/api/forms/{change['form_id']}/versions/{change['version']}",
                      headers=tablet.auth)
    assert spec.status_code == 200
    assert spec.json["spec"]["id"] == "sdi_household_enumeration"


def test_a_broken_form_is_not_published(app: Flask, db_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a spreadsheet")
    result = CliRunner().invoke(main, ["server", "publish-form", str(broken),
                                       "--database-url", db_url])
    assert result.exit_code == 1


def test_a_published_version_cannot_change(app: Flask) -> None:
    with app.app_context():
        publish_form(FormSpec(id="profile", version="3", title="Profile"))
        try:
            publish_form(FormSpec(id="profile", version="3", title="Profile, edited"))
        except ApiError as err:
            assert err.code == "form.version_exists"
        else:
            raise AssertionError("a changed form was published under the same version")
        assert publish_form(FormSpec(id="profile", version="4", title="Profile, edited")).created

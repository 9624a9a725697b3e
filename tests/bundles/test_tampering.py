"""Every damaged, altered, unsigned or foreign-signed bundle is refused with its code,
and nothing is applied."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from harness import new_tablet
from server_harness import table_counts

from field_app.core import records
from field_app.core.attachments import add_attachment
from field_app.core.bundles import KEY_SETTING, export_bundle
from hesabu.cli import main
from server.services.bundles import import_bundle
from sync import bundle_crypto
from sync.bundle import BundleError, sha256_hex

Members = dict[str, bytes]


def _members(data: bytes) -> Members:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _zip(members: Members, deflate: bool = True) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def _resign(members: Members, key: str) -> Members:
    members["manifest.sig"] = bundle_crypto.sign(key, members["manifest.json"])
    return members


@pytest.fixture
def setup(central, tmp_path: Path):
    """(app, good bundle bytes, tablet's key, another enrolled tablet's key)."""
    app, url = central
    tablet = new_tablet(tmp_path / "tab.db", app, url)
    intruder = new_tablet(tmp_path / "intruder.db", app, url)
    for i in range(3):
        records.create_record(tablet, "household", "1", {"head_name": f"H{i}"}, finalized=True)
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"\xff\xd8" + b"x" * 5000)
    add_attachment(tablet, photo)
    buf = io.BytesIO()
    export_bundle(tablet, buf)
    keys = tablet.get_setting(KEY_SETTING), intruder.get_setting(KEY_SETTING)
    tablet.close()
    intruder.close()
    return app, buf.getvalue(), *keys


def _altered_ops(m: Members) -> Members:
    m["ops.jsonl"] = m["ops.jsonl"].replace(b"H1", b"H9")
    return m


def _altered_manifest(m: Members) -> Members:
    manifest = json.loads(m["manifest.json"])
    manifest["ops"]["count"] = 99
    m["manifest.json"] = json.dumps(manifest).encode()
    return m


def _swap_attachment(m: Members) -> Members:
    name = next(n for n in m if n.startswith("attachments/"))
    m[name] = m[name][:-1] + b"y"
    return m


def _extra(m: Members) -> Members:
    m["attachments/" + "0" * 64] = b"sneaked in"
    return m


def _missing(m: Members) -> Members:
    del m[next(n for n in m if n.startswith("attachments/"))]
    return m


def _traversal(m: Members) -> Members:
    m["../../etc/cron.d/evil"] = b"* * * * * root sh"
    return m


def _bomb(m: Members) -> Members:
    m["attachments/" + "1" * 64] = bytes(64 * 1024 * 1024)
    return m


def _unsigned(m: Members) -> Members:
    del m["manifest.sig"]
    return m


CASES: dict[str, tuple[Callable[[Members], Members], str]] = {
    "altered op": (_altered_ops, "bundle.checksum_mismatch"),
    "altered manifest": (_altered_manifest, "bundle.signature_invalid"),
    "altered photo": (_swap_attachment, "bundle.checksum_mismatch"),
    "extra member": (_extra, "bundle.member_unexpected"),
    "missing member": (_missing, "bundle.member_missing"),
    "path traversal": (_traversal, "bundle.member_name_invalid"),
    "zip bomb": (_bomb, "bundle.too_large"),
    "unsigned": (_unsigned, "bundle.unsigned"),
}


def _refused(app, data: bytes, code: str) -> None:
    before = table_counts(app)
    with app.app_context(), pytest.raises(BundleError) as err:
        import_bundle(io.BytesIO(data))
    assert err.value.code == code, err.value.message
    assert table_counts(app) == before


def test_tampered_bundles_are_refused_and_nothing_is_applied(setup) -> None:
    app, good, _, _ = setup
    for label, (mutate, code) in CASES.items():
        data = _zip(mutate(_members(good)))
        try:
            _refused(app, data, code)
        except AssertionError as exc:
            raise AssertionError(f"{label}: {exc}") from exc
    _refused(app, good[: len(good) // 2], "bundle.unreadable")  # truncated
    _refused(app, b"not a zip at all", "bundle.unreadable")


def test_a_flipped_byte_inside_the_stored_file_is_caught(setup) -> None:
    app, good, _, _ = setup
    stored = _zip(_members(good), deflate=False)
    at = stored.index(b"xxxxxxxx") + 4  # inside the photo's bytes
    _refused(app, stored[:at] + b"z" + stored[at + 1:], "bundle.checksum_mismatch")


def test_a_bundle_signed_by_another_devices_key_is_refused(setup) -> None:
    app, good, _, intruder_key = setup
    _refused(app, _zip(_resign(_altered_ops(_members(good)), intruder_key)),
             "bundle.signature_invalid")
    # Naming a device that has no registered key.
    members = _members(good)
    manifest = json.loads(members["manifest.json"])
    manifest["source"] = "nobody"
    members["manifest.json"] = json.dumps(manifest).encode()
    _refused(app, _zip(_resign(members, intruder_key)), "bundle.key_unknown")


def test_the_command_refuses_with_the_code_and_imports_nothing(setup, tmp_path: Path,
                                                               central_url: str) -> None:
    app, good, _, _ = setup
    bad = tmp_path / "bad.hesabu"
    bad.write_bytes(_zip(_altered_ops(_members(good))))
    before = table_counts(app)
    result = CliRunner().invoke(main, ["bundle", "import", str(bad), "--database-url",
                                       central_url, "--instance", str(tmp_path / "central")])
    assert result.exit_code == 1
    assert "[bundle.checksum_mismatch]" in result.output
    assert "Nothing was imported" in result.output
    assert table_counts(app) == before
    ok = tmp_path / "ok.hesabu"
    ok.write_bytes(good)
    result = CliRunner().invoke(main, ["bundle", "import", str(ok), "--database-url",
                                       central_url, "--instance", str(tmp_path / "central"),
                                       "--return-out", str(tmp_path / "back.hesabu")])
    assert result.exit_code == 0, result.output
    assert "3 of 3 changes accepted" in result.output
    assert (tmp_path / "back.hesabu").stat().st_size > 0


def _signed_with_ops(good: bytes, key: str, ops_jsonl: bytes) -> bytes:
    """The good bundle with another ops.jsonl, its manifest updated and signed again by
    its own tablet (a bundle made by faulty software, not a tampered one)."""
    members = _members(good)
    members["ops.jsonl"] = ops_jsonl
    manifest = json.loads(members["manifest.json"])
    manifest["members"]["ops.jsonl"] = {"sha256": sha256_hex(ops_jsonl), "size": len(ops_jsonl)}
    members["manifest.json"] = json.dumps(manifest).encode()
    return _zip(_resign(members, key))


@pytest.mark.parametrize("line", [b'{"op_id": ', b"[" * 100_000 + b"]" * 100_000,
                                  b"\xff\xfe{}"], ids=["broken", "too deep", "not utf-8"])
def test_ops_that_are_not_json_lines_are_refused_whole(setup, line: bytes) -> None:
    app, good, key, _ = setup
    lines = _members(good)["ops.jsonl"].splitlines()
    bad = b"\n".join([lines[0], line, *lines[1:]]) + b"\n"
    _refused(app, _signed_with_ops(good, key, bad), "bundle.unreadable")


def test_a_line_json_reads_but_no_op_is_refused_alone(setup) -> None:
    app, good, key, _ = setup
    lines = _members(good)["ops.jsonl"].splitlines()
    odd = b'{"op_id": NaN, "big": 123456789012345678901234567890}'  # JSON to Python
    with app.app_context():
        result = import_bundle(io.BytesIO(_signed_with_ops(
            good, key, b"\n".join([*lines, odd]) + b"\n")))
    assert len(result.acked) == len(lines) == 3
    assert [r.code for r in result.rejected] == ["sync.op_invalid"]

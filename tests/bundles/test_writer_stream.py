"""BundleWriter.add_stream: a member written from chunks, never held whole, gets the same
manifest entry as `add` would give it, verifies with the reader, and tampering with it
is still caught."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator

import pytest

from sync import bundle_crypto
from sync.bundle import (
    ACKS,
    CHANGES,
    FORMS,
    MANIFEST,
    SIGNATURE,
    BundleError,
    BundleWriter,
    open_bundle,
)

KEY = bundle_crypto.new_private_key()
PUBLIC = bundle_crypto.public_key(KEY)


def _chunks() -> Iterator[bytes]:
    yield b'{"changes":['
    for n in range(2000):
        yield (b"," if n else b"") + b'{"seq":%d,"type":"op","v":"%s"}' % (n, b"x" * (n % 97))
        if n % 500 == 0:
            yield b""  # empty chunks are allowed and change nothing
    yield b'],"from_cursor":0,"next_cursor":2000}'


def _write(out: io.BytesIO | object, streamed: bool, compress: bool = True) -> dict:
    writer = BundleWriter(out)  # type: ignore[arg-type]
    writer.add(ACKS, b'{"acked":[]}')
    if streamed:
        size = writer.add_stream(CHANGES, _chunks(), compress=compress)
        assert size == len(b"".join(_chunks()))
    else:
        writer.add(CHANGES, b"".join(_chunks()), compress=compress)
    writer.add(FORMS, b'{"forms":[]}')
    return writer.finish({"kind": "return", "source": "server"},
                         lambda data: bundle_crypto.sign(KEY, data))


@pytest.mark.parametrize("compress", [True, False])
def test_a_streamed_member_has_the_manifest_entry_add_gives_and_verifies(compress: bool) -> None:
    whole = b"".join(_chunks())
    streamed, added = io.BytesIO(), io.BytesIO()
    manifest = _write(streamed, True, compress)
    assert manifest["members"] == _write(added, False, compress)["members"]
    assert manifest["members"][CHANGES] == {"sha256": hashlib.sha256(whole).hexdigest(),
                                            "size": len(whole)}
    streamed.seek(0)
    with open_bundle(streamed, lambda m: PUBLIC) as bundle:
        assert bundle.read(CHANGES) == whole
        assert bundle.read_json(CHANGES)["next_cursor"] == 2000
    with zipfile.ZipFile(io.BytesIO(streamed.getvalue())) as zf:
        info = zf.getinfo(CHANGES)
        assert info.file_size == len(whole)
        assert info.compress_type == (zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
        if compress:
            assert info.compress_size < len(whole) / 3


class _Pipe:
    """An output that cannot seek (a pipe, a socket): zipfile adds data descriptors."""

    def __init__(self) -> None:
        self.buf = io.BytesIO()

    def write(self, data: bytes) -> int:
        return self.buf.write(data)

    def flush(self) -> None:
        pass


def test_a_streamed_member_verifies_when_the_output_cannot_seek() -> None:
    pipe = _Pipe()
    _write(pipe, True)
    with open_bundle(io.BytesIO(pipe.buf.getvalue()), lambda m: PUBLIC) as bundle:
        assert bundle.read(CHANGES) == b"".join(_chunks())


def _rezip(data: bytes, name: str, replace: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace if info.filename == name else src.read(info))
    return out.getvalue()


def test_tampering_with_a_streamed_member_is_caught() -> None:
    good = io.BytesIO()
    _write(good, True)
    data = good.getvalue()
    whole = b"".join(_chunks())
    cases = {
        "altered": (_rezip(data, CHANGES, whole.replace(b'"seq":7,', b'"seq":8,')),
                    "bundle.checksum_mismatch"),
        "truncated member": (_rezip(data, CHANGES, whole[:-10]), "bundle.checksum_mismatch"),
        "longer member": (_rezip(data, CHANGES, whole + b" "), "bundle.checksum_mismatch"),
        "manifest resigned by another key": (
            _rezip(data, SIGNATURE, bundle_crypto.sign(bundle_crypto.new_private_key(),
                                                       zipfile.ZipFile(io.BytesIO(data))
                                                       .read(MANIFEST))),
            "bundle.signature_invalid"),
    }
    # A flipped byte inside the stored (deflated) data: the zip's CRC or the hash.
    stored = zipfile.ZipFile(io.BytesIO(data)).getinfo(CHANGES)
    flip = stored.header_offset + 30 + len(CHANGES) + stored.compress_size // 2
    flipped = bytearray(data)
    flipped[flip] ^= 0x55
    for label, (bad, code) in {**cases, "flipped byte": (bytes(flipped), None)}.items():
        with pytest.raises(BundleError) as err:
            open_bundle(io.BytesIO(bad), lambda m: PUBLIC)
        if code is not None:
            assert err.value.code == code, label
        else:  # depending on where the byte lands: bad deflate data or bad CRC/hash
            assert err.value.code in ("bundle.checksum_mismatch", "bundle.unreadable"), label


def test_add_stream_refuses_bad_and_repeated_names() -> None:
    writer = BundleWriter(io.BytesIO())
    with pytest.raises(ValueError, match="bad or repeated"):
        writer.add_stream("../etc/passwd", iter([b"x"]))
    with pytest.raises(ValueError, match="bad or repeated"):
        writer.add_stream(MANIFEST, iter([b"{}"]))
    writer.add_stream(CHANGES, iter([b"{}"]))
    with pytest.raises(ValueError, match="bad or repeated"):
        writer.add_stream(CHANGES, iter([b"{}"]))
    with pytest.raises(ValueError, match="bad or repeated"):
        writer.add(CHANGES, b"{}")
    writer.add(ACKS, b"{}")
    with pytest.raises(ValueError, match="bad or repeated"):
        writer.add_stream(ACKS, iter([b"{}"]))

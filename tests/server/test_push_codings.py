"""Protocol 3 at the server: bzip2 push bodies, compact acks, and the headers a device
reads its link from (Hesabu-Protocol, Server-Timing). Real HTTP, both databases."""

from __future__ import annotations

import bz2
import json
from typing import Any

from flask import Flask
from server_harness import Device, HttpClient, LiveServer, push_body, table_counts

from sync.messages import PROTOCOL_VERSION


def _push(client: HttpClient, value: Any, coding: str) -> Any:
    raw = json.dumps(value).encode()
    body = bz2.compress(raw) if coding == "bzip2" else raw
    return client.request("POST", "/api/sync/push", body,
                          {"Content-Type": "application/json", "Content-Encoding": coding})


def test_a_bzip2_push_applies_and_a_protocol_3_client_gets_acked_rest(
        app: Flask, live: LiveServer, form: tuple[str, str], tablet: Device) -> None:
    client = HttpClient(live.port, tablet.token)
    ops = [tablet.op(fields={"name": f"Amina {i}"}) for i in range(5)]
    reply = _push(client, {**push_body(tablet, ops), "protocol": 3}, "bzip2")
    assert reply.status == 200, reply.body
    answer = reply.json()
    assert answer["acked_rest"] is True and "acked" not in answer
    assert answer["rejected"] == []
    assert reply.headers["hesabu-protocol"] == str(PROTOCOL_VERSION)
    # The same ops again, as protocol 2 (a list, as before), gzip or plain.
    again = _push(client, {**push_body(tablet, ops), "protocol": 2}, "identity")
    assert again.json()["acked"] == [op.op_id for op in ops]
    assert again.json()["server_seq"] == answer["server_seq"]  # nothing stored twice


def test_acked_rest_leaves_out_only_the_rejected_ops(
        app: Flask, live: LiveServer, form: tuple[str, str], tablet: Device) -> None:
    client = HttpClient(live.port, tablet.token)
    good = tablet.op()
    unknown = tablet.op(form_version="2099010101")  # a form version the server lacks
    reply = _push(client, {**push_body(tablet, [good, unknown]), "protocol": 3}, "bzip2")
    answer = reply.json()
    assert answer["acked_rest"] is True
    assert [r["op_id"] for r in answer["rejected"]] == [unknown.op_id]
    assert answer["rejected"][0]["code"] == "sync.form_version_unknown"


def test_bad_bzip2_bodies_change_nothing(app: Flask, live: LiveServer, form: tuple[str, str],
                                        tablet: Device) -> None:
    client = HttpClient(live.port, tablet.token)
    before = table_counts(app)
    headers = {"Content-Type": "application/json", "Content-Encoding": "bzip2"}
    whole = bz2.compress(json.dumps(push_body(tablet, [tablet.op()])).encode())
    for body in (b"BZh9 not a bzip2 stream", whole[:-10], whole + b"trailing"):
        reply = client.request("POST", "/api/sync/push", body, headers)
        assert reply.status == 400, body
        assert reply.json()["error"]["code"] == "sync.body_invalid"
    assert table_counts(app) == before


def test_a_bzip2_bomb_is_stopped_at_the_limit(make_app: Any) -> None:
    from server_harness import enrol_device, publish_test_form

    app = make_app(MAX_CONTENT_LENGTH=4096)
    publish_test_form(app)
    device = enrol_device(app, "tab-bomb", "bomb")
    with LiveServer(app) as server:
        client = HttpClient(server.port, device.token)
        # 20 MB of spaces in ~100 bytes: the server stops inflating at 4 KiB + 1.
        packer = bz2.BZ2Compressor()
        bomb = packer.compress(b'{"device_id":"tab-bomb","ops":[],"pad":"')
        for _ in range(20):
            bomb += packer.compress(b" " * 1_000_000)
        bomb += packer.compress(b'"}') + packer.flush()
        assert len(bomb) < 4096
        reply = client.request("POST", "/api/sync/push", bomb,
                               {"Content-Type": "application/json", "Content-Encoding": "bzip2"})
        assert reply.status == 413
        assert reply.json()["error"]["details"] == {"max_bytes": 4096}


def test_an_unknown_coding_names_the_ones_accepted(app: Flask, live: LiveServer,
                                                   tablet: Device) -> None:
    reply = HttpClient(live.port, tablet.token).request(
        "POST", "/api/sync/push", b"(brotli)",
        {"Content-Type": "application/json", "Content-Encoding": "br"})
    assert reply.status == 415
    error = reply.json()["error"]
    assert error["code"] == "request.unsupported_media_type"
    assert error["details"] == {"accepted": ["gzip", "bzip2"]}
    assert reply.headers["hesabu-protocol"] == str(PROTOCOL_VERSION)  # errors say it too


def test_answers_say_how_long_the_server_worked(app: Flask, live: LiveServer,
                                               form: tuple[str, str], tablet: Device) -> None:
    client = HttpClient(live.port, tablet.token)
    pull = client.request("GET", "/api/sync/pull?cursor=0&protocol=3")
    push = _push(client, {**push_body(tablet, [tablet.op()]), "protocol": 3}, "bzip2")
    for reply in (pull, push):
        name, dur = reply.headers["server-timing"].split(";")
        assert name == "app" and dur.startswith("dur=")
        assert 0 <= float(dur[4:]) < 60_000
    # Web pages are not part of the sync protocol: no protocol header there.
    page = client.request("GET", "/login")
    assert "hesabu-protocol" not in page.headers


def test_a_protocol_3_pull_leaves_out_the_pullers_own_ops(
        app: Flask, live: LiveServer, form: tuple[str, str], tablet: Device,
        other_tablet: Device) -> None:
    mine, theirs = tablet.op(fields={"name": "Amina"}), other_tablet.op(fields={"name": "Baraka"})
    for device, op in ((tablet, mine), (other_tablet, theirs)):
        reply = _push(HttpClient(live.port, device.token),
                      {**push_body(device, [op]), "protocol": 3}, "bzip2")
        assert reply.status == 200, reply.body
    client = HttpClient(live.port, tablet.token)

    def pulled(protocol: int) -> tuple[list[str], int]:
        page = client.request("GET", f"/api/sync/pull?cursor=0&protocol={protocol}").json()
        return [c["op"]["op_id"] for c in page["changes"] if c["type"] == "op"], \
            page["next_cursor"]

    v3_ops, v3_cursor = pulled(3)
    v2_ops, v2_cursor = pulled(2)
    assert v3_ops == [theirs.op_id]
    assert v2_ops == [mine.op_id, theirs.op_id]  # older clients: as before
    assert v3_cursor == v2_cursor  # the cursor still passes over the own op

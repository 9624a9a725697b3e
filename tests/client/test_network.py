"""The network meter's arithmetic and choices (client.network), without a network."""

from __future__ import annotations

import pytest

from client.network import (
    DEFAULT_PULL_BYTES,
    MIN_PULL_BYTES,
    PULL_JSON_PER_WIRE_BYTE,
    PULL_PAGE_S,
    RATE_MIN_BYTES,
    SLOW_PULL_BYTES,
    SLOW_RATE,
    Exchange,
    NetworkMeter,
    parse_protocol,
    parse_server_timing,
)


def test_unknown_link_is_treated_as_slow_but_an_unheard_server_gets_gzip() -> None:
    meter = NetworkMeter()
    assert meter.slow()
    assert meter.push_coding() == "gzip"  # no server has named protocol 3 yet
    meter.observe(Exchange(300, 500, 0.9, server_protocol=3))  # enrolment over EDGE
    assert meter.rtt_s == 0.9 and meter.push_coding() == "bzip2"


def test_small_requests_measure_the_round_trip_and_big_ones_the_rate() -> None:
    meter = NetworkMeter()
    meter.observe(Exchange(200, 300, 0.004, server_protocol=3))
    assert meter.rtt_s == 0.004 and meter.upload_rate is None
    assert meter.push_coding() == "gzip"  # a LAN
    # 100 KB in 8 s of which the server worked 0.2 s: 12.8 KB/s (EDGE).
    meter.observe(Exchange(100_000, 200, 8.0, server_seconds=0.2))
    assert meter.upload_rate == pytest.approx(100_000 / 7.8)
    assert meter.push_coding() == "bzip2"  # the rate, once known, decides
    # Averaged, not replaced: one fast push does not flip a slow link at once.
    meter.observe(Exchange(100_000, 200, 0.05))
    assert SLOW_RATE < meter.upload_rate < 2_000_000 / 2 + 100_000 / 7.8
    # A medium answer (a pull page) measures neither.
    before = (meter.rtt_s, meter.upload_rate)
    meter.observe(Exchange(200, 50_000, 3.0))
    assert (meter.rtt_s, meter.upload_rate) == before


def test_server_timing_never_makes_the_link_time_zero_or_negative() -> None:
    exchange = Exchange(RATE_MIN_BYTES, 10, 0.5, server_seconds=0.7)
    assert exchange.link_seconds == pytest.approx(0.005)
    meter = NetworkMeter()
    meter.observe(exchange)
    assert meter.upload_rate == pytest.approx(RATE_MIN_BYTES / 0.005)
    meter.observe(Exchange(10, 10, 0.0))  # a zero-length clock reading teaches nothing
    assert meter.rtt_s is None


def test_a_refused_coding_is_not_tried_again_and_survives_a_restart() -> None:
    meter = NetworkMeter()
    meter.observe(Exchange(300, 500, 0.9, server_protocol=3))
    meter.refused("bzip2")
    meter.refused("gzip")  # gzip is never given up
    meter.pull_bytes_refused = True  # a server from before max_bytes: not asked again
    assert meter.push_coding() == "gzip"
    again = NetworkMeter()
    again.restore(meter.state())
    assert again.state() == meter.state() and again.push_coding() == "gzip"
    assert again.pull_bytes_refused


@pytest.mark.parametrize("state", [
    None, "fast", [], {"server_protocol": "3", "rtt_s": -1, "upload_rate": float("nan")},
    {"server_protocol": True, "rtt_s": "0.1", "upload_rate": float("inf"), "refused": "bzip2",
     "download_rate": -5, "pull_bytes_refused": "yes"},
])
def test_a_damaged_saved_state_is_ignored(state: object) -> None:
    meter = NetworkMeter()
    meter.restore(state)
    assert meter.state() == {"server_protocol": None, "rtt_s": None, "upload_rate": None,
                             "download_rate": None, "refused": [],
                             "pull_bytes_refused": False}


def test_pull_pages_are_sized_by_the_download_rate() -> None:
    meter = NetworkMeter()
    assert meter.pull_bytes() == SLOW_PULL_BYTES  # nothing known: a slow link
    meter.observe(Exchange(200, 300, 0.004, server_protocol=3))  # a LAN's round trip
    assert meter.pull_bytes() is None  # the server's default
    # An EDGE page: 40 KB in 3.4 s, of which the server worked 0.1 s and the round trip
    # took 0.8 s (16 KB/s).
    edge = NetworkMeter()
    edge.observe(Exchange(300, 500, 0.8, server_protocol=3))
    edge.observe(Exchange(200, 40_000, 3.4, server_seconds=0.1))
    assert edge.download_rate == pytest.approx(16_000)
    assert edge.pull_bytes() == int(16_000 * PULL_PAGE_S * PULL_JSON_PER_WIRE_BYTE)
    assert SLOW_PULL_BYTES < edge.pull_bytes() < DEFAULT_PULL_BYTES
    # A page over Wi-Fi: 1 MB in 0.2 s. Then the server's default again.
    edge.observe(Exchange(200, 1_000_000, 0.2))
    assert edge.pull_bytes() is None
    # A crawling link still gets pages worth a round trip, and the rate survives a restart.
    gprs = NetworkMeter()
    gprs.observe(Exchange(200, 33_000, 90.0))
    assert gprs.pull_bytes() == MIN_PULL_BYTES
    again = NetworkMeter()
    again.restore(gprs.state())
    assert again.download_rate == gprs.download_rate and again.pull_bytes() == MIN_PULL_BYTES
    # Without a page measured, the (lower) upload rate stands in.
    pushed = NetworkMeter()
    pushed.observe(Exchange(100_000, 200, 8.0))
    assert pushed.pull_bytes() == int(12_500 * PULL_PAGE_S * PULL_JSON_PER_WIRE_BYTE)


def test_header_parsing() -> None:
    assert parse_protocol("3") == 3 and parse_protocol(" 12 ") == 12
    assert parse_protocol(None) is None and parse_protocol("three") is None
    assert parse_protocol("-1") is None
    assert parse_server_timing("app;dur=12.5") == pytest.approx(0.0125)
    assert parse_server_timing('db;dur=3, app;desc="x";dur="40"') == pytest.approx(0.04)
    for bad in (None, "", "app", "app;dur=abc", "app;dur=-5", "db;dur=3", "app;dur=inf"):
        assert parse_server_timing(bad) is None, bad


def test_a_slow_link_gets_a_small_send_buffer_sized_by_its_rate() -> None:
    meter = NetworkMeter()
    meter.observe(Exchange(200, 300, 0.004, server_protocol=3))
    assert meter.send_buffer() is None  # a LAN: the system's autotuning
    meter.observe(Exchange(300, 500, 1.2))  # now averaged with 1.2 s: slow
    assert meter.send_buffer() == 16 * 1024
    meter.observe(Exchange(100_000, 200, 7.7, server_seconds=0.2))  # EDGE, ~13 KB/s
    assert meter.send_buffer() == round(100_000 / 7.5)
    meter.upload_rate = 100.0  # a crawl still gets a usable buffer
    assert meter.send_buffer() == 8 * 1024

"""What every system's run shares: ports, waiting for a server, a phase's measurement."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from netlab.proxy import Link, LinkStats


@dataclass(frozen=True)
class Cut:
    """Drop the link once `fraction` of the clean run's upload has gone up."""

    after_up_bytes: int
    outage_s: float


@dataclass(frozen=True)
class Phase:
    """One transfer (households or photos) by one system over one link."""

    system: str
    phase: str
    items: int
    seconds: float
    bytes_up: int
    bytes_down: int
    requests: int
    connections: int
    retries: int = 0  # transfers started again by the client (a user tapping sync again)
    cuts: int = 0
    note: str = ""

    @property
    def per_s(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["items_per_s"] = round(self.per_s, 1)
        out["bytes_per_item"] = round((self.bytes_up + self.bytes_down) / self.items, 1) \
            if self.items else None
        out["seconds"] = round(self.seconds, 3)
        return out


def measure(proxy: Link, started: float, system: str, phase: str, items: int,
            retries: int = 0, note: str = "", seconds: float | None = None) -> Phase:
    elapsed = time.perf_counter() - started if seconds is None else seconds
    s: LinkStats = proxy.snapshot()
    return Phase(system, phase, items, elapsed, s.bytes_up, s.bytes_down, s.requests,
                 s.connections, retries, s.cuts, note)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, log: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}): "
                               f"{log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start in {timeout_s} s: "
                       f"{log.read_text(errors='replace')[-2000:]}")


def start(cmd: list[str], log: Path, **kwargs: object) -> subprocess.Popen:
    """Start a server with its output in `log` (the file is the child's from then on)."""
    with log.open("w") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, **kwargs)


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()

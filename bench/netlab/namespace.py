"""Link profiles and the network namespace that plays them (root only).

    with Namespace(PROFILES["edge"]) as ns:
        subprocess.run([*ns.exec_prefix, "python", "worker.py"])

The namespace gets its own loopback (MTU 1500, like a real link). Only traffic to and
from the link port (`LINK_PORT`, where the delay proxy listens) is shaped: an htb root
sends it through a tbf leaf at the profile's rate, and an nftables output rule drops
the profile's share of its packets at random. The hop from the proxy to the servers
stays unshaped, so each byte crosses the slow link exactly once. The namespace (and with
it the qdiscs and nft tables) is deleted on every exit path; stale namespaces of dead
benchmark processes are removed on the next start.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass

#: Where the delay proxy listens inside the namespace (the shaped "link").
LINK_PORT = 18080
PREFIX = "hesabu-bench-"


@dataclass(frozen=True)
class Profile:
    """A link: rate (None = unlimited), added round trip, random loss; and how much of the
    slow work to measure on it (photos, and ODK-style submissions before extrapolating)."""

    name: str
    rate_kbit: int | None
    rtt_ms: int
    loss_pct: float
    photos: int
    odk_households: int | None  # None = all households
    pouch_batches: tuple[int, ...] = (100, 1000)

    @property
    def shaped(self) -> bool:
        return bool(self.rate_kbit or self.rtt_ms or self.loss_pct)

    def describe(self) -> str:
        if not self.shaped:
            return "loopback, no shaping"
        rate = f"{self.rate_kbit / 1000:g} Mbit/s" if self.rate_kbit and self.rate_kbit >= 1000 \
            else f"{self.rate_kbit} kbit/s"
        return f"{rate}, +{self.rtt_ms} ms RTT, {self.loss_pct:g}% loss"


PROFILES = {
    "loopback": Profile("loopback", None, 0, 0.0, photos=100, odk_households=None),
    "3g": Profile("3G", 1000, 200, 0.5, photos=5, odk_households=50),
    # batch_size 100 on EDGE adds ~3 minutes and tells nothing new (3G shows it).
    "edge": Profile("EDGE", 128, 600, 1.0, photos=1, odk_households=25,
                    pouch_batches=(1000,)),
}


class NetlabError(RuntimeError):
    """The namespace could not be set up (not root, missing tool)."""


def _run(*cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise NetlabError(f"{' '.join(cmd)}: {result.stderr.strip() or result.returncode}")
    return result


def ensure_nft() -> None:
    """nftables is needed for loss; install it with apt-get when missing (root)."""
    if shutil.which("nft"):
        return
    print("installing nftables (apt-get) for the loss rule...", file=sys.stderr)
    _run("apt-get", "install", "-y", "-q", "nftables")


def remove_stale() -> list[str]:
    """Delete benchmark namespaces whose process is gone (a run killed with -9)."""
    removed = []
    listing = _run("ip", "netns", "list", check=False).stdout
    for name in re.findall(rf"^({PREFIX}(\d+)-\w+)", listing, flags=re.M):
        ns, pid = name
        if not os.path.exists(f"/proc/{pid}"):
            _run("ip", "netns", "del", ns, check=False)
            removed.append(ns)
    return removed


class Namespace:
    """A network namespace whose loopback plays `profile` on LINK_PORT."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        slug = re.sub(r"\W", "", profile.name.lower())
        self.name = f"{PREFIX}{os.getpid()}-{slug}"
        self._created = False

    @property
    def exec_prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.name]

    def _in(self, *cmd: str) -> None:
        _run("ip", "netns", "exec", self.name, *cmd)

    def __enter__(self) -> Namespace:
        if os.geteuid() != 0:
            raise NetlabError("the slow-link lab needs root (ip netns, tc, nft); "
                              "use --no-netns for loopback only")
        remove_stale()
        _run("ip", "netns", "add", self.name)
        self._created = True
        try:
            self._shape()
        except BaseException:
            self.close()
            raise
        return self

    def _shape(self) -> None:
        p = self.profile
        self._in("ip", "link", "set", "dev", "lo", "mtu", "1500")
        self._in("ip", "link", "set", "dev", "lo", "up")
        if p.rate_kbit:
            # netem and prio are not in this kernel; htb is: shaped class 1:10 gets the
            # link port, everything else (proxy -> servers) goes to the unlimited 1:20.
            tc = ("tc",)
            self._in(*tc, "qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb",
                     "default", "20")
            for cls in ("1:10", "1:20"):
                self._in(*tc, "class", "add", "dev", "lo", "parent", "1:", "classid", cls,
                         "htb", "rate", "1gbit", "quantum", "60000")
            self._in(*tc, "qdisc", "add", "dev", "lo", "parent", "1:10", "handle", "10:",
                     "tbf", "rate", f"{p.rate_kbit}kbit", "burst", "4kb",
                     "latency", "2000ms")
            for field in ("dport", "sport"):
                self._in(*tc, "filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip",
                         "prio", "1", "u32", "match", "ip", field, str(LINK_PORT), "0xffff",
                         "flowid", "1:10")
        if p.loss_pct:
            ensure_nft()
            per_mille = round(p.loss_pct * 10)
            rules = "\n".join(
                f"    tcp {field} {LINK_PORT} numgen random mod 1000 < {per_mille} drop"
                for field in ("dport", "sport"))
            ruleset = ("table inet hesabu_bench {\n  chain output {\n"
                       "    type filter hook output priority 0; policy accept;\n"
                       f"{rules}\n  }}\n}}\n")
            result = subprocess.run([*self.exec_prefix, "nft", "-f", "-"], input=ruleset,
                                    capture_output=True, text=True)
            if result.returncode != 0:
                raise NetlabError(f"nft: {result.stderr.strip()}")

    def set_link(self, up: bool) -> None:
        """Take the namespace's loopback down or up (everything in it stalls)."""
        self._in("ip", "link", "set", "dev", "lo", "up" if up else "down")

    def close(self) -> None:
        if self._created:
            # Anything of ours still running in there (a worker killed with -9 leaves its
            # servers behind) would keep the namespace alive after `ip netns del`.
            for pid in _run("ip", "netns", "pids", self.name, check=False).stdout.split():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            _run("ip", "netns", "del", self.name, check=False)
            self._created = False

    def __exit__(self, *exc: object) -> None:
        self.close()

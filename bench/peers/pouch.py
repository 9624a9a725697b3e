"""PouchDB: `pouchdb@9` replicating to `pouchdb-server@4.2.0`, installed on demand.

The packages go into a cache folder (default ~/.cache/hesabu-bench/node, or
$HESABU_BENCH_NODE_CACHE) with npm the first time the benchmark runs; nothing else in
the project needs Node. pouchdb-server keeps its databases in LevelDB in a temporary
folder, like a CouchDB on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from netlab.proxy import Link

from peers.common import Cut, Phase, free_port, measure, start, stop, wait_port
from peers.data import DataSet

PACKAGES = {"pouchdb-server": "4.2.0", "pouchdb": "9"}
SCRIPT = Path(__file__).with_name("replicate.js")


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "hesabu-bench" / "node"
    return Path(os.environ.get("HESABU_BENCH_NODE_CACHE", default))


def _installed(folder: Path) -> bool:
    for name, version in PACKAGES.items():
        meta = folder / "node_modules" / name / "package.json"
        if not meta.exists():
            return False
        if not json.loads(meta.read_text())["version"].startswith(version):
            return False
    return True


def ensure_installed() -> Path:
    """npm install the two packages into the cache folder unless they are there already."""
    folder = cache_dir()
    if _installed(folder):
        return folder
    if not (shutil.which("node") and shutil.which("npm")):
        raise RuntimeError("the PouchDB baseline needs node and npm (apt-get install nodejs "
                           "npm), or leave it out with --systems hesabu,odk")
    folder.mkdir(parents=True, exist_ok=True)
    package = folder / "package.json"
    if not package.exists():
        package.write_text('{"name": "hesabu-bench-peers", "private": true}\n')
    print(f"installing {', '.join(f'{n}@{v}' for n, v in PACKAGES.items())} into {folder}...",
          file=sys.stderr)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
                    *(f"{n}@{v}" for n, v in PACKAGES.items())], cwd=folder, check=True,
                   stdout=sys.stderr)
    return folder


class PouchServer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = 0
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> PouchServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "data").mkdir(exist_ok=True)
        self.port = free_port()
        log = self.folder / "pouchdb-server.log"
        binary = cache_dir() / "node_modules" / "pouchdb-server" / "bin" / "pouchdb-server"
        self.proc = start(
            ["node", str(binary), "--host", "127.0.0.1", "--port", str(self.port),
             "--dir", str(self.folder / "data"), "--config", str(self.folder / "config.json"),
             "--no-stdout-logs"], log, cwd=self.folder)
        wait_port(self.port, self.proc, log)
        return self

    def request(self, method: str, path: str) -> dict:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/{path}", method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def __exit__(self, *exc: object) -> None:
        stop(self.proc)


def _replicate(config: dict, timeout_s: float) -> dict:
    env = {**os.environ, "NODE_PATH": str(cache_dir() / "node_modules")}
    result = subprocess.run(["node", str(SCRIPT), json.dumps(config)], capture_output=True,
                            text=True, env=env, timeout=timeout_s)
    if result.returncode != 0:
        raise RuntimeError(f"replicate.js failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(data: DataSet, proxy: Link, folder: Path, photos: int,
        batch_sizes: tuple[int, ...] = (100, 1000), cut: dict[str, Cut] | None = None,
        timeout_s: float = 1800) -> list[Phase]:
    cut = cut or {}
    phases = []
    docs = data.write_jsonl(folder / "households.jsonl")
    with PouchServer(folder / "pouchdb-server") as server:
        proxy.target_port = server.port
        jobs: list[tuple[str, int, dict]] = [
            ("households", bs, {"docs": str(docs)}) for bs in batch_sizes]
        if photos:
            pairs = [[h.record_id, str(p)] for h, p in zip(data.households,
                                                           data.photos[:photos], strict=False)]
            jobs.append(("photos", max(batch_sizes), {"photos": pairs}))
        for phase, bs, source in jobs:
            db = f"{phase}_b{bs}"
            server.request("PUT", db)
            proxy.reset()
            if phase in cut:
                proxy.arm_cut(cut[phase].after_up_bytes, cut[phase].outage_s)
            started = time.perf_counter()
            out = _replicate({**source, "local": str(folder / f"device-{db}"),
                              "target": f"http://127.0.0.1:{proxy.port}/{db}",
                              "batch_size": bs}, timeout_s)
            wall = time.perf_counter() - started
            count = server.request("GET", db)["doc_count"]
            expected = len(data.households) if phase == "households" else len(source["photos"])
            if count != expected:
                raise RuntimeError(f"pouchdb-server has {count} of {expected} {phase} docs")
            phases.append(measure(proxy, started, f"pouchdb-b{bs}", phase, expected,
                                  out["attempts"] - 1, seconds=out["seconds"],
                                  note=f"node wall {wall:.1f} s incl. start and local load"))
    return phases

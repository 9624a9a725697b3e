"""Photos sized for the link: resizing a 12-megapixel camera JPEG on the tablet, and
sending one photo over EDGE.

    .venv/bin/python bench/photos.py [--runs 5] [--max-pixels 1024] [--full] [--no-netns]

1. A realistic camera JPEG is made (4000x3000, photographic texture: gradients, blotches
   and sensor noise; quality 92, ~4 MB; EXIF orientation 6 as a phone held upright
   writes it). `field_app.core.photos.prepare_photo` turns and resizes it to
   `--max-pixels` and writes the thumbnail, `--runs` times (target: under 1.5 s).
2. As root, in a network namespace playing bench/netlab's EDGE profile (128 kbit/s,
   +600 ms round trip, 1% loss), the real server (waitress, as `hesabu serve`) receives
   the resized photo from an enrolled device store through the app's own
   `attachments.upload_attachment` (target: under 20 s). The full-size photo's time is
   estimated from the measured rate, or measured with `--full` (minutes).
   `--no-netns` sends over loopback with the 600 ms delay proxy only (no rate limit:
   round trips, not bandwidth).

Prints one JSON object on stdout and a table on stderr.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before bench/, whose sync.py would shadow the package

from bench.netlab.namespace import LINK_PORT, PROFILES, Namespace  # noqa: E402
from bench.netlab.proxy import LinkProxy  # noqa: E402
from field_app.core.photos import prepare_photo  # noqa: E402

TARGET_RESIZE_S = 1.5
TARGET_EDGE_S = 20.0
#: Sensor noise (sigma) that makes the 12-megapixel JPEG ~4 MB, as phone photos are.
NOISE = 70


def make_camera_jpeg(path: Path, size: tuple[int, int] = (4000, 3000), seed: int = 7) -> Path:
    """A JPEG with the statistics of a phone photo (not a flat colour, which compresses
    to nothing and resizes unrealistically fast)."""
    import random

    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    width, height = size
    # Broad light: a sky-to-ground gradient per channel.
    base = Image.merge("RGB", [Image.linear_gradient("L").resize(size).point(
        lambda v, lo=lo, hi=hi: lo + (hi - lo) * v // 255) for lo, hi in
        ((170, 90), (190, 80), (220, 60))])
    # Walls, roofs, people: blurred shapes of many colours and sizes.
    shapes = ImageDraw.Draw(base)
    for _ in range(400):
        x, y = rng.randrange(width), rng.randrange(height)
        w, h = rng.randrange(20, 600), rng.randrange(20, 600)
        colour = tuple(rng.randrange(256) for _ in range(3))
        (shapes.rectangle if rng.random() < 0.6 else shapes.ellipse)(
            (x, y, x + w, y + h), fill=colour)
    base = base.filter(ImageFilter.GaussianBlur(2))
    # Texture (corrugated iron, soil) and sensor noise.
    texture = Image.effect_noise((width // 8, height // 8), 60).resize(
        size, Image.Resampling.BICUBIC)
    grain = Image.merge("RGB", [Image.blend(texture, Image.effect_noise(size, NOISE), 0.5)
                                for _ in range(3)])  # each colour has its own sensor noise
    photo = Image.blend(base, grain, 0.25)
    exif = Image.Exif()
    exif[0x0112] = 6  # held upright: the sensor's rows are the picture's columns
    exif[0x010F] = "Bench camera"
    photo.save(path, "JPEG", quality=92, exif=exif)
    return path


def resize_times(src: Path, out: Path, max_pixels: int, runs: int) -> dict[str, Any]:
    seconds, prepared = [], None
    for i in range(runs):
        start = time.perf_counter()
        prepared = prepare_photo(src, out, max_pixels, name=f"run{i}")
        seconds.append(time.perf_counter() - start)
    assert prepared is not None
    return {"runs": runs, "median_s": round(statistics.median(seconds), 3),
            "max_s": round(max(seconds), 3), "target_s": TARGET_RESIZE_S,
            "met": max(seconds) < TARGET_RESIZE_S,
            "width": prepared.width, "height": prepared.height,
            "bytes": prepared.path.stat().st_size,
            "thumbnail_bytes": prepared.thumbnail.stat().st_size,
            "path": str(prepared.path)}


# -- sending over the link (the worker runs inside the namespace) -------------------------
def send(files: list[Path], link_port: int, one_way_delay_s: float) -> list[dict[str, Any]]:
    """Upload each file once from an enrolled store through the delay proxy."""
    from bench.local_server import local_server
    from client.api import SyncApi
    from client.transport import HttpTransport
    from field_app.core import attachments
    from field_app.core.store import open_store
    from field_app.core.sync_runner import enrol
    from server.services.devices import create_enrolment_code

    results = []
    with tempfile.TemporaryDirectory() as tmp_name, \
            local_server(Path(tmp_name), threads=4) as (app, port):
        proxy = LinkProxy(port, port=link_port, one_way_delay_s=one_way_delay_s).start()
        store = open_store(Path(tmp_name) / "tablet.db", device_name="bench")
        try:
            with app.app_context():
                code, _ = create_enrolment_code(1)
            direct = SyncApi(HttpTransport(f"http://127.0.0.1:{port}"))
            enrol(store, direct, code)
            direct.transport.close()
            for path in files:
                sha = attachments.add_attachment(store, path)
                row = next(r for r in attachments.pending_uploads(store) if r["sha256"] == sha)
                api = SyncApi(HttpTransport(f"http://127.0.0.1:{proxy.port}",
                                            store.device.token, timeout_s=120))
                proxy.reset()
                start = time.perf_counter()
                done = attachments.upload_attachment(store, api, row)
                seconds = time.perf_counter() - start
                api.transport.close()
                stats = proxy.snapshot()
                results.append({"bytes": done.size, "seconds": round(seconds, 2),
                                "requests": stats.requests, "bytes_up": stats.bytes_up,
                                "drops": done.drops})
        finally:
            store.close()
            proxy.close()
    return results


def worker(argv: list[str]) -> None:
    port, delay, *names = argv
    print(json.dumps(send([Path(n) for n in names], int(port), float(delay))))


def on_link(files: list[Path], netns: bool) -> tuple[str, list[dict[str, Any]]]:
    edge = PROFILES["edge"]
    delay = edge.rtt_ms / 2000
    if not netns:
        return "loopback + 600 ms RTT (no rate limit, no loss)", send(files, 0, delay)
    with Namespace(edge) as ns:
        cmd = [*ns.exec_prefix, sys.executable, str(Path(__file__).resolve()), "--worker",
               str(LINK_PORT), str(delay), *map(str, files)]
        out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True).stdout
    return f"EDGE: {edge.describe()}", json.loads(out.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-pixels", type=int, default=1024)
    parser.add_argument("--full", action="store_true",
                        help="also send the full-size photo over the link (minutes on EDGE)")
    parser.add_argument("--no-netns", action="store_true",
                        help="no network namespace (not root): loopback with the delay only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hesabu-photos-") as tmp_name:
        tmp = Path(tmp_name)
        camera = make_camera_jpeg(tmp / "camera.jpg")
        full_bytes = camera.stat().st_size
        resize = resize_times(camera, tmp / "photos", args.max_pixels, args.runs)
        files = [Path(resize.pop("path")), *([camera] if args.full else [])]
        link, sent = on_link(files, netns=not args.no_netns)
    out: dict[str, Any] = {
        "camera_jpeg": {"width": 4000, "height": 3000, "bytes": full_bytes},
        "max_pixels": args.max_pixels, "resize": resize, "link": link,
        "resized_upload": {**sent[0], "target_s": TARGET_EDGE_S,
                           "met": sent[0]["seconds"] < TARGET_EDGE_S},
    }
    rate = sent[0]["bytes"] / sent[0]["seconds"]
    out["full_size_upload"] = sent[1] if args.full else {
        "bytes": full_bytes, "estimated_seconds": round(full_bytes / rate, 1),
        "note": "estimated at the rate the resized photo went; --full measures it"}
    print(json.dumps(out))
    rows = [("resize 12 MP -> " + f"{resize['width']}x{resize['height']}",
             f"median {resize['median_s']} s, max {resize['max_s']} s",
             f"< {TARGET_RESIZE_S} s", resize["met"]),
            (f"send resized ({resize['bytes'] // 1024} KB)", f"{sent[0]['seconds']} s",
             f"< {TARGET_EDGE_S} s", out["resized_upload"]["met"]),
            (f"send full size ({full_bytes // 1024} KB)",
             f"{sent[1]['seconds']} s" if args.full else
             f"~{out['full_size_upload']['estimated_seconds']} s (estimated)", "", "")]
    print(f"link: {link}", file=sys.stderr)
    for what, value, target, met in rows:
        mark = "" if met == "" else ("met" if met else "MISSED")
        print(f"{what:<34} {value:<32} {target:<9} {mark}", file=sys.stderr)


if __name__ == "__main__":
    main()

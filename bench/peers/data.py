"""The one data set every system sends: N households and M photos, made once per run.

Households come from bench/households.py (the SDI household enumeration form, realistic
sizes); each gets a record id (uuid7, as the app makes) that the PouchDB documents and the
ODK-style instanceIDs reuse. Photos are ~200 KB of random bytes inside JPEG markers:
like a real JPEG they do not compress, which is what matters on the wire.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from households import load_household_form, make_household

from forms.spec import FormSpec
from sync.ids import new_uuid7

PHOTO_BYTES = 200 * 1024


@dataclass(frozen=True)
class Household:
    record_id: str
    answers: dict[str, Any]


@dataclass(frozen=True)
class DataSet:
    spec: FormSpec
    households: tuple[Household, ...]
    photos: tuple[Path, ...]  # photo i belongs to household i

    def pouch_docs(self) -> list[dict[str, Any]]:
        """The households as CouchDB documents: what an offline-first PouchDB app stores."""
        return [{"_id": h.record_id, "type": "record", "form_id": self.spec.id,
                 "form_version": self.spec.version, "status": "finalized",
                 "answers": h.answers} for h in self.households]

    def write_jsonl(self, path: Path) -> Path:
        with path.open("w") as f:
            for doc in self.pouch_docs():
                f.write(json.dumps(doc, separators=(",", ":")) + "\n")
        return path


def make_photo(path: Path, rng: random.Random, size: int = PHOTO_BYTES) -> Path:
    size = int(size * rng.uniform(0.9, 1.1))
    body = rng.randbytes(size - 4)
    path.write_bytes(b"\xff\xd8" + body + b"\xff\xd9")  # SOI ... EOI
    return path


def make_dataset(folder: Path, households: int, photos: int, seed: int = 7) -> DataSet:
    spec = load_household_form()
    rng = random.Random(seed)
    rows = tuple(Household(new_uuid7(), make_household(spec, rng, f"KB-{i // 3:04d}"))
                 for i in range(households))
    folder.mkdir(parents=True, exist_ok=True)
    files = tuple(make_photo(folder / f"photo-{i:04d}.jpg", rng)
                  for i in range(min(photos, households)))
    return DataSet(spec, rows, files)

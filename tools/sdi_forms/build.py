"""Build the SDI form set (four XLSForms) into forms/definitions/.

    python tools/sdi_forms/build.py            # write the .xlsx files
    python tools/sdi_forms/build.py --check    # exit 1 if a committed file is out of date

The .xlsx files are what people open and what Hesabu loads; this script and the table
modules next to it are their reproducible source. Output is byte-for-byte stable, so an
unchanged table regenerates an unchanged file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import city_profile
import household_enumeration
import settlement_profile
import structure_numbering
from xlsform_table import Form, to_xlsx_bytes

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = ROOT / "forms" / "definitions"
MODULES = (settlement_profile, structure_numbering, household_enumeration, city_profile)


def forms() -> list[Form]:
    return [module.build() for module in MODULES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFINITIONS, help="output folder")
    parser.add_argument("--check", action="store_true",
                        help="compare with the files in --out instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for form in forms():
        path = args.out / form.file_name
        data = to_xlsx_bytes(form)
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(path)
            continue
        args.out.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path} ({len(form.survey)} survey rows, {len(form.choices)} choices)")
    if stale:
        for path in stale:
            print(f"out of date: {path} (run python tools/sdi_forms/build.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

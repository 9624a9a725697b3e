"""A published form as an XForm: written back as XLSForm sheets it loads into the same
FormSpec (so Collect and Enketo fill exactly the tablets' form), and pyxform makes an
XForm whose instance is named after the form with meta/instanceID."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from forms import load_form
from forms.xform import to_xform, xlsform_sheets

ROOT = Path(__file__).resolve().parents[2]
FORMS = [*sorted((ROOT / "forms" / "definitions").glob("*.xlsx")),
         *sorted((ROOT / "tests" / "data" / "forms").glob("*.md")),
         ROOT / "tests" / "data" / "forms" / "water_points.csv",
         ROOT / "tests" / "data" / "forms" / "structure_numbering.xlsx"]
XF = "{http://www.w3.org/2002/xforms}"


def without_rows(data: Any) -> Any:
    """Row numbers say where the author wrote a question: they differ, nothing else may."""
    if isinstance(data, dict):
        return {k: without_rows(v) for k, v in data.items() if k != "row"}
    if isinstance(data, list):
        return [without_rows(v) for v in data]
    return data


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_the_sheets_load_into_the_same_form(path: Path) -> None:
    spec = load_form(path)
    again = load_form(xlsform_sheets(spec))
    assert without_rows(again.to_dict()) == without_rows(spec.to_dict())


def test_or_other_is_written_once_not_twice() -> None:
    spec = load_form(ROOT / "tests" / "data" / "forms" / "household_enumeration.md")
    survey = xlsform_sheets(spec)["survey"]
    assert [r["type"] for r in survey if r.get("name") == "water_source"] == [
        "select_multiple water or_other"]
    assert not any(r.get("name") == "water_source_other" for r in survey)


def test_the_xform_instance_is_named_after_the_form_with_its_version() -> None:
    spec = load_form(ROOT / "forms" / "definitions" / "sdi_household_enumeration.xlsx")
    root = ET.fromstring(to_xform(spec))
    assert root.find(".//{http://www.w3.org/1999/xhtml}title").text == spec.title
    instance = root.find(f".//{XF}instance")[0]  # type: ignore[index]
    assert instance.tag == f"{XF}sdi_household_enumeration"
    assert (instance.get("id"), instance.get("version")) == (spec.id, spec.version)
    meta = instance.find(f"{XF}meta")
    assert [c.tag.removeprefix(XF) for c in meta] == ["instanceID", "instanceName"]  # type: ignore[union-attr]
    langs = {t.get("lang") for t in root.iter(f"{XF}translation")}
    assert langs == set(spec.languages)

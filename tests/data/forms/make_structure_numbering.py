"""Writes structure_numbering.xlsx, a form laid out the way people make them in Excel.

Run it again (`.venv/bin/python tests/data/forms/make_structure_numbering.py`) only if
the form has to change; the .xlsx is committed so tests read a real spreadsheet.
Real-world touches on purpose: bold headers, numbers typed as numbers (choice names,
version), an empty row between sections, an extra sheet pyxform ignores.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

SURVEY = [
    ["type", "name", "label", "hint", "required", "relevant", "constraint",
     "constraint_message", "calculation", "repeat_count", "appearance", "parameters"],
    ["start", "start"],
    ["today", "today"],
    ["select_one ward", "ward", "Ward", None, "yes", None, None, None, None, None, "minimal"],
    ["text", "structure_number", "Structure number", "As painted, e.g. KB-045", "yes", None,
     "regex(., '^[A-Z]{2}-[0-9]{3}$')", "Like KB-045"],
    ["select_one material", "wall_material", "Main wall material", None, "yes"],
    ["select_one use or_other", "structure_use", "What is the structure used for?", None, "yes"],
    ["integer", "floors", "Number of floors", None, "yes", None, ". >= 1 and . <= 10",
     "From 1 to 10"],
    [],
    ["geopoint", "structure_point", "Stand at the door and capture the location", None, None,
     None, None, None, None, None, None, "capture-accuracy=5"],
    ["image", "door_photo", "Photo of the painted number", None, None, None, None, None, None,
     None, None, "max-pixels=1024"],
    [],
    ["integer", "households_count", "How many households live here?", None, "yes", None,
     ". >= 0 and . < 30"],
    ["begin repeat", "households", "Household", None, None, "${households_count} > 0", None,
     None, None, "${households_count}", "field-list"],
    ["text", "hh_head", "Head of household", None, "yes"],
    ["select_one rooms", "hh_rooms", "Rooms used by the household", None, "yes"],
    ["end repeat"],
    ["calculate", "structure_label", None, None, None, None, None, None,
     "concat(${ward}, '/', ${structure_number})"],
    ["end", "end"],
]
CHOICES = [
    ["list_name", "name", "label"],
    ["ward", "kibera_laini_saba", "Laini Saba"],
    ["ward", "kibera_makina", "Makina"],
    ["ward", "mathare_4a", "Mathare 4A"],
    ["material", "iron_sheet", "Iron sheets"],
    ["material", "mud", "Mud and wattle"],
    ["material", "timber", "Timber"],
    ["material", "brick", "Brick or block"],
    ["use", "residential", "Residential"],
    ["use", "residential_business", "Residential and business"],
    ["use", "business", "Business only"],
    ["use", "community", "Church, school or community hall"],
    ["rooms", 1, "One room"],
    ["rooms", 2, "Two rooms"],
    ["rooms", 3, "Three or more"],
]
SETTINGS = [
    ["form_id", "form_title", "version", "instance_name"],
    ["structure_numbering", "Structure numbering", 2024061501, "${structure_label}"],
]


def main() -> None:
    book = Workbook()
    for index, (title, rows) in enumerate(
        (("survey", SURVEY), ("choices", CHOICES), ("settings", SETTINGS))
    ):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = title
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    notes = book.create_sheet("notes")
    notes.append(["Numbering team: paint the number before you capture it."])
    book.save(Path(__file__).with_name("structure_numbering.xlsx"))


if __name__ == "__main__":
    main()

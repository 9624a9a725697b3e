"""Which questions of the settlement profile the profile indicators read.

The answer is data, kept with the form definitions:
`forms/definitions/sdi_settlement_profile.indicators.toml`. A federation's variant of the
form is a change to that file (or another file read with `read_profile_questions`), not
to `formulas.py`. `ProfileQuestions.check` checks a mapping against the form it is for.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import forms
from forms.question_map import (
    NUMBER,
    POINT,
    SHAPE,
    TEXT,
    QuestionMapError,
    QuestionPath,
    check_questions,
    question_path,
)
from forms.spec import FormSpec

#: The SDI settlement profile's mapping, beside its form definition.
SDI_MAPPING = Path(forms.__file__).parent / "definitions" / "sdi_settlement_profile.indicators.toml"

#: The inputs read as numbers, and as text: every one must be mapped.
NUMBERS = (
    "population", "population_estimate", "households", "household_size", "structures",
    "structures_permanent", "structures_temporary", "area_m2", "area_acres",
    "year_established", "open_defecation_pct", "water_cost_month",
    "water_collection_minutes", "eviction_threats", "evictions_carried_out",
    "households_connected", "electricity_hours_per_day", "electricity_cost_month",
    "garbage_collections_per_week", "garbage_cost", "clinic_minutes", "hiv_clinic_minutes",
    "hospital_minutes", "ambulance_minutes", "fire_engine_minutes", "savings_groups",
    "savings_members",
)
TEXTS = (
    "name", "name_municipality", "city", "country", "federation", "profile_date",
    "last_updated", "renting", "legal_status", "eviction_threat_current",
    "eviction_threat_seriousness", "electricity_available", "garbage_collected",
    "city_meetings", "city_relationship",
)


@dataclass(frozen=True)
class WaterSource:
    """A kind of water source: how many there are and how many work."""

    name: str
    count: QuestionPath
    working: QuestionPath
    tap: bool  # counted in taps and working taps


@dataclass(frozen=True)
class ToiletBlock:
    """A kind of toilet: its seats and working seats."""

    seats: QuestionPath
    working: QuestionPath


@dataclass(frozen=True)
class Priority:
    """One of the community's ranked priorities and its term."""

    priority: QuestionPath
    term: QuestionPath


@dataclass(frozen=True)
class ProfileQuestions:
    """Where each input of `formulas.settlement_profile` is answered in the form."""

    form_id: str
    number: Mapping[str, QuestionPath]
    text: Mapping[str, QuestionPath]
    land_ownership: Mapping[str, QuestionPath]  # owner -> share in percent, form order
    water_sources: tuple[WaterSource, ...]
    toilet_blocks: tuple[ToiletBlock, ...]
    priorities: tuple[Priority, ...]  # the most important first
    point: QuestionPath  # where the settlement is, on the map
    boundary: QuestionPath  # its boundary

    def inputs(self) -> Iterator[tuple[str, QuestionPath, str]]:
        """Every mapped question as (input, path, kind), for `check_questions`."""
        yield from ((name, path, NUMBER) for name, path in self.number.items())
        yield from ((name, path, TEXT) for name, path in self.text.items())
        yield from ((f"land_ownership_pct.{owner}", path, NUMBER)
                    for owner, path in self.land_ownership.items())
        for source in self.water_sources:
            yield f"water_sources.{source.name}.count", source.count, NUMBER
            yield f"water_sources.{source.name}.working", source.working, NUMBER
        for n, block in enumerate(self.toilet_blocks, start=1):
            yield f"toilet_blocks.{n}.seats", block.seats, NUMBER
            yield f"toilet_blocks.{n}.working", block.working, NUMBER
        for n, priority in enumerate(self.priorities, start=1):
            yield f"priorities.{n}.priority", priority.priority, TEXT
            yield f"priorities.{n}.term", priority.term, TEXT
        yield "place.point", self.point, POINT
        yield "place.boundary", self.boundary, SHAPE

    def check(self, form: FormSpec) -> None:
        """QuestionMapError naming each mapped question `form` lacks or cannot answer."""
        if form.id != self.form_id:
            raise QuestionMapError(f"the mapping is for the form {self.form_id}, "
                                   f"not {form.id}")
        check_questions(form, self.inputs())


@functools.cache
def profile_questions() -> ProfileQuestions:
    """The SDI settlement profile's mapping (read once)."""
    return read_profile_questions(SDI_MAPPING)


def read_profile_questions(path: Path) -> ProfileQuestions:
    """Read a mapping file; QuestionMapError (with the file's name) when an input is
    missing, unknown or not a question path."""
    with open(path, "rb") as file:
        data = tomllib.load(file)
    try:
        return _parse(data)
    except QuestionMapError as error:
        raise QuestionMapError(f"{path.name}: {error}") from None


def _parse(data: Mapping[str, Any]) -> ProfileQuestions:
    _keys("the file", data, required={"form_id", "number", "text", "land_ownership_pct",
                                      "water_sources", "toilet_blocks", "priorities",
                                      "place"})
    sources = []
    for n, source in enumerate(_list(data, "water_sources"), start=1):
        _keys(f"water_sources {n}", source, required={"name", "count", "working"},
              optional={"tap"})
        sources.append(WaterSource(str(source["name"]), _path(source["count"]),
                                   _path(source["working"]), bool(source.get("tap"))))
    blocks = []
    for n, block in enumerate(_list(data, "toilet_blocks"), start=1):
        _keys(f"toilet_blocks {n}", block, required={"seats", "working"})
        blocks.append(ToiletBlock(_path(block["seats"]), _path(block["working"])))
    priorities = []
    for n, priority in enumerate(_list(data, "priorities"), start=1):
        _keys(f"priorities {n}", priority, required={"priority", "term"})
        priorities.append(Priority(_path(priority["priority"]), _path(priority["term"])))
    _keys("[number]", data["number"], required=set(NUMBERS))
    _keys("[text]", data["text"], required=set(TEXTS))
    _keys("[place]", data["place"], required={"point", "boundary"})
    return ProfileQuestions(
        form_id=str(data["form_id"]),
        number={name: _path(data["number"][name]) for name in NUMBERS},
        text={name: _path(data["text"][name]) for name in TEXTS},
        land_ownership={owner: _path(p) for owner, p in data["land_ownership_pct"].items()},
        water_sources=tuple(sources), toilet_blocks=tuple(blocks),
        priorities=tuple(priorities), point=_path(data["place"]["point"]),
        boundary=_path(data["place"]["boundary"]))


def _keys(where: str, table: Any, required: set[str], optional: frozenset[str] | set[str]
          = frozenset()) -> None:
    if not isinstance(table, Mapping):
        raise QuestionMapError(f"{where} is not a table")
    missing = sorted(required - set(table))
    unknown = sorted(set(table) - required - set(optional))
    if missing:
        raise QuestionMapError(f"{where} lacks {', '.join(missing)}")
    if unknown:
        raise QuestionMapError(f"{where} has {', '.join(unknown)}, which the indicators "
                               f"do not read")


def _list(data: Mapping[str, Any], name: str) -> list[Any]:
    value = data[name]
    if not isinstance(value, list):
        raise QuestionMapError(f"{name} is not a list of tables ([[{name}]])")
    return value


def _path(value: Any) -> QuestionPath:
    if not isinstance(value, str):
        raise QuestionMapError(f"{value!r} is not a question path (group/name)")
    return question_path(value)

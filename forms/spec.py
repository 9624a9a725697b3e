"""The typed, JSON-serialisable description of a form: what devices receive.

A `FormSpec` is built from an XLSForm by `forms.loader.load_form` and travels to
devices as JSON (`to_json` / `from_json` round-trip exactly). It holds no
behaviour beyond navigation helpers: evaluation lives in `forms.expressions`,
checking in `forms.validation`.

Answers (a record's data) are plain JSON values keyed by question name, nested
the way the form is: a group is a dict, a repeat is a list of dicts.

    text, barcode, calculate, hidden  str (a calculate may also hold a number)
    integer                           int
    decimal, range                    int or float
    date / time / dateTime            "YYYY-MM-DD" / "HH:MM[:SS]" / ISO 8601 str
    select_one                        str (a choice name)
    select_multiple, rank             list[str] of choice names, in order
    geopoint                          "lat lon [alt [accuracy]]" (ODK's form)
    geotrace, geoshape                "lat lon alt acc;lat lon alt acc;..." (ODK's form)
    image, audio, video, file         str (the attachment's file name)
    acknowledge                       "OK"
    note                              no answer
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

#: Version of the JSON layout of a FormSpec; bump when the layout changes.
SPEC_FORMAT = 1

#: Key under which untranslated text (a plain `label` column) is stored.
DEFAULT_LANG = "default"

#: Node kinds.
QUESTION = "question"
GROUP = "group"
REPEAT = "repeat"

#: Question types that never hold an answer the user enters.
NO_ANSWER_TYPES = frozenset({"note"})
#: Metadata types filled by the device, never shown.
METADATA_TYPES = frozenset(
    {"start", "end", "today", "deviceid", "username", "instanceID", "audit",
     "phonenumber", "simserial", "subscriberid", "email"}
)
SELECT_TYPES = frozenset({"select_one", "select_multiple", "rank"})
MULTI_TYPES = frozenset({"select_multiple", "rank"})
GEO_TYPES = frozenset({"geopoint", "geotrace", "geoshape"})
MEDIA_TYPES = frozenset({"image", "audio", "video", "file", "background-audio"})


@dataclass(frozen=True)
class Choice:
    """One option of a choice list; `extra` holds the other columns (for choice_filter)."""

    name: str
    label: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, str] = field(default_factory=dict)


#: Node fields written to JSON even when empty, so the data reads on its own.
_ALWAYS_WRITTEN = frozenset({"kind", "type", "name", "path"})


@dataclass(frozen=True)
class Node:
    """A question, group or repeat. `path` is the tuple of names from the form root."""

    kind: str
    type: str
    name: str
    path: tuple[str, ...]
    label: Mapping[str, str] = field(default_factory=dict)
    hint: Mapping[str, str] = field(default_factory=dict)
    # Bind expressions, as written in the XLSForm (with ${name} references).
    required: str | None = None
    required_message: Mapping[str, str] = field(default_factory=dict)
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: Mapping[str, str] = field(default_factory=dict)
    calculation: str | None = None
    default: str | None = None
    read_only: str | None = None
    trigger: str | None = None
    appearance: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    # Selects.
    list_name: str | None = None
    choice_filter: str | None = None
    or_other: bool = False
    # Repeats.
    repeat_count: str | None = None
    # Where the XLSForm defines it (1-based row in the survey sheet), for messages.
    row: int | None = None
    children: tuple[Node, ...] = ()

    @property
    def is_question(self) -> bool:
        return self.kind == QUESTION

    @property
    def is_repeat(self) -> bool:
        return self.kind == REPEAT

    @property
    def is_group(self) -> bool:
        return self.kind == GROUP

    @property
    def xpath(self) -> str:
        """The absolute path as written in expressions, e.g. `/data/grp/q`."""
        return "/data/" + "/".join(self.path)

    def walk(self) -> Iterator[Node]:
        """This node, then its descendants depth first in form order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def to_dict(self) -> dict[str, Any]:
        """The node as JSON-ready data. Fields at their default are left out (a form's
        JSON is downloaded by every device; `from_dict` restores the defaults)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name not in _ALWAYS_WRITTEN and value in (None, False, (), {}):
                continue
            if f.name == "children":
                out["children"] = [c.to_dict() for c in value]
            elif f.name == "path":
                out["path"] = list(value)
            elif isinstance(value, Mapping):
                out[f.name] = dict(value)
            else:
                out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Node:
        kwargs = dict(data)
        kwargs["path"] = tuple(kwargs.get("path", ()))
        kwargs["children"] = tuple(cls.from_dict(c) for c in kwargs.get("children", ()))
        return cls(**kwargs)


@dataclass(frozen=True)
class FormSpec:
    """A loaded form: settings, the tree of nodes and the choice lists."""

    id: str
    version: str
    title: str
    default_language: str | None = None
    languages: tuple[str, ...] = ()
    instance_name: str | None = None
    children: tuple[Node, ...] = ()
    choices: Mapping[str, tuple[Choice, ...]] = field(default_factory=dict)
    format: int = SPEC_FORMAT
    #: The title per form language (`form_title::Kiswahili (sw)` on the settings sheet);
    #: `title` is the form's own (default language) title.
    titles: Mapping[str, str] = field(default_factory=dict)

    def title_in(self, language: str | None) -> str:
        """The title in a form language name ("Kiswahili (sw)") or app code ("sw")."""
        for name, text in self.titles.items():
            if language and text and (name == language or name.endswith(f"({language})")
                                      or name.lower() == language.lower()):
                return text
        return self.title

    # -- navigation -------------------------------------------------------------
    def walk(self) -> Iterator[Node]:
        """Every node (questions, groups, repeats) depth first in form order."""
        for child in self.children:
            yield from child.walk()

    @property
    def questions(self) -> tuple[Node, ...]:
        return tuple(n for n in self.walk() if n.is_question)

    @property
    def groups(self) -> tuple[Node, ...]:
        return tuple(n for n in self.walk() if n.is_group)

    @property
    def repeats(self) -> tuple[Node, ...]:
        return tuple(n for n in self.walk() if n.is_repeat)

    def node(self, path: str | tuple[str, ...]) -> Node:
        """The node at `path` (a tuple of names or "a/b/c"); KeyError if absent."""
        if isinstance(path, str):
            path = tuple(p for p in path.strip("/").split("/") if p)
        for n in self.walk():
            if n.path == path:
                return n
        raise KeyError("/".join(path))

    def find(self, name: str) -> Node:
        """The node named `name` (names are unique in a form); KeyError if absent."""
        for n in self.walk():
            if n.name == name:
                return n
        raise KeyError(name)

    def choice_list(self, list_name: str) -> tuple[Choice, ...]:
        return tuple(self.choices.get(list_name, ()))

    # -- serialisation ----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "default_language": self.default_language,
            "languages": list(self.languages),
            "instance_name": self.instance_name,
            **({"titles": dict(self.titles)} if self.titles else {}),
            "children": [c.to_dict() for c in self.children],
            "choices": {
                name: [
                    _choice_dict(c) for c in options
                ]
                for name, options in self.choices.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FormSpec:
        if data.get("format", SPEC_FORMAT) > SPEC_FORMAT:
            raise ValueError(
                f"form spec format {data['format']} is newer than this software "
                f"understands ({SPEC_FORMAT}); update Hesabu"
            )
        return cls(
            id=data["id"],
            version=data["version"],
            title=data["title"],
            default_language=data.get("default_language"),
            languages=tuple(data.get("languages", ())),
            instance_name=data.get("instance_name"),
            children=tuple(Node.from_dict(c) for c in data.get("children", ())),
            choices={
                name: tuple(
                    Choice(c["name"], dict(c.get("label", {})), dict(c.get("extra", {})))
                    for c in options
                )
                for name, options in data.get("choices", {}).items()
            },
            format=data.get("format", SPEC_FORMAT),
            titles=dict(data.get("titles", {})),
        )

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_json(cls, text: str | bytes) -> FormSpec:
        return cls.from_dict(json.loads(text))


def _choice_dict(choice: Choice) -> dict[str, Any]:
    out: dict[str, Any] = {"name": choice.name, "label": dict(choice.label)}
    if choice.extra:
        out["extra"] = dict(choice.extra)
    return out


def text_in(texts: Mapping[str, str], language: str | None, fallback: str | None = None) -> str:
    """The text for `language`, else the fallback language, else untranslated, else any."""
    for lang in (language, fallback, DEFAULT_LANG):
        if lang and texts.get(lang):
            return texts[lang]
    return next(iter(texts.values()), "") if texts else ""

"""A form as an XForm: what ODK Collect, Kobo Collect and Enketo download.

A server keeps published forms as `FormSpec` JSON only (a hub receives nothing else
from upstream), so the XForm is made from the spec: `xlsform_sheets` writes the spec
back as XLSForm sheets (pyxform's dict layout) and `to_xform` gives them to pyxform,
the converter ODK Central, KoboToolbox and Ona use. Loading those sheets again gives
the same FormSpec (tests/openrosa/test_xform.py checks it for the SDI forms), so the
XForm says exactly what the tablets' form says.

The XForm's primary instance is named after the form id:

    <sdi_household_enumeration id="sdi_household_enumeration" version="2026120601">

and carries pyxform's `meta/instanceID` (and `meta/instanceName` with an
instance_name setting), which a submission uses as its id.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from forms.spec import DEFAULT_LANG, SELECT_TYPES, FormSpec, Node

#: Node attributes written as plain survey columns, in XLSForm's spelling.
_PLAIN_COLUMNS = (
    ("required", "required"),
    ("relevant", "relevant"),
    ("constraint", "constraint"),
    ("calculation", "calculation"),
    ("default", "default"),
    ("read_only", "read_only"),
    ("trigger", "trigger"),
    ("appearance", "appearance"),
    ("choice_filter", "choice_filter"),
    ("repeat_count", "repeat_count"),
)
#: Translated node attributes and their survey columns.
_TEXT_COLUMNS = (
    ("label", "label"),
    ("hint", "hint"),
    ("required_message", "required_message"),
    ("constraint_message", "constraint_message"),
)
#: Questions of the `meta` group that pyxform makes by itself.
_GENERATED_META = frozenset({"instanceID", "instanceName"})


def _column(base: str, language: str) -> str:
    return base if language == DEFAULT_LANG else f"{base}::{language}"


def _texts(base: str, texts: Mapping[str, str]) -> dict[str, str]:
    return {_column(base, lang): text for lang, text in texts.items() if text}


def _type(node: Node) -> str:
    if node.type in SELECT_TYPES and node.list_name:
        return f"{node.type} {node.list_name}" + (" or_other" if node.or_other else "")
    return node.type


def _generated_other(node: Node, previous: Node | None) -> bool:
    """The `<select>_other` text question pyxform adds after an or_other select (the
    spec keeps it; written out, the select's `or_other` makes it again)."""
    return (previous is not None and previous.or_other and node.is_question
            and node.name == f"{previous.name}_other" and node.row == previous.row)


def _question_row(node: Node) -> dict[str, Any]:
    row: dict[str, Any] = {"type": _type(node), "name": node.name}
    for attribute, column in _TEXT_COLUMNS:
        row.update(_texts(column, getattr(node, attribute)))
    for attribute, column in _PLAIN_COLUMNS:
        value = getattr(node, attribute)
        if value:
            row[column] = value
    if node.parameters:
        row["parameters"] = " ".join(f"{k}={v}" for k, v in node.parameters.items())
    return row


def _rows(nodes: tuple[Node, ...]) -> Iterator[dict[str, Any]]:
    previous: Node | None = None
    for node in nodes:
        if node.is_question:
            if not _generated_other(node, previous):
                yield _question_row(node)
        elif node.is_group and node.path == ("meta",):
            # pyxform adds meta/instanceID and meta/instanceName itself; an audit
            # question is written as its own row, which pyxform puts back in meta.
            for child in node.children:
                if child.name not in _GENERATED_META:
                    yield _question_row(child)
        else:
            kind = "repeat" if node.is_repeat else "group"
            begin = _question_row(node)
            begin["type"] = f"begin {kind}"
            yield begin
            yield from _rows(node.children)
            yield {"type": f"end {kind}"}
        previous = node


def xlsform_sheets(spec: FormSpec) -> dict[str, list[dict[str, Any]]]:
    """The spec as XLSForm sheets: {"survey": [...], "choices": [...], "settings": [...]}."""
    # pyxform adds the "other" choice to the list of an or_other select by itself.
    with_other = {n.list_name for n in spec.walk() if n.or_other}
    choices = []
    for list_name, options in spec.choices.items():
        for choice in options:
            if list_name in with_other and choice.name == "other":
                continue
            choices.append({"list_name": list_name, "name": choice.name,
                            **_texts("label", choice.label), **dict(choice.extra)})
    settings: dict[str, Any] = {"form_id": spec.id, "version": spec.version,
                                "form_title": spec.title}
    if spec.default_language and spec.default_language != DEFAULT_LANG:
        settings["default_language"] = spec.default_language
    if spec.instance_name:
        settings["instance_name"] = spec.instance_name
    settings.update({f"translated_title::{lang}": text for lang, text in spec.titles.items()})
    sheets: dict[str, list[dict[str, Any]]] = {"survey": list(_rows(spec.children)),
                                               "settings": [settings]}
    if choices:
        sheets["choices"] = choices
    return sheets


def to_xform(spec: FormSpec) -> str:
    """The XForm XML text of `spec` (pyxform's output, UTF-8 when encoded)."""
    from pyxform.xls2xform import convert

    return convert(xlsform=xlsform_sheets(spec), form_name=spec.id, warnings=[]).xform

"""An XForm submission (the XML ODK Collect, Kobo Collect and Enketo send) read into a
record's answers, checked against the form.

    root = parse_xml(data)                     # SubmissionError if it is not safe XML
    name, form_id, version = instance_header(root)
    submission = read_submission(root, spec)   # answers, instanceID, deprecatedID, files
    data = write_instance(spec, answers, "uuid:...")   # the other way: what a client sends

Answers come out nested as the form nests them (groups are dicts, repeats lists of
dicts in document order), typed as Hesabu stores them (`forms.answer_text`); repeat
instances carry no `__id` yet: the receiver gives them ids. Empty elements are no
answer. An element the form does not have, a value that does not fit its question or
a missing `meta/instanceID` is a `SubmissionError` whose `code` is the error code the
server answers with and whose message names the element by its path.

The XML is parsed with expat and refused if it declares a DOCTYPE or entities, so
entity expansion ("billion laughs") and external entities cannot happen.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat
from xml.sax.saxutils import escape

from forms.answer_text import AnswerTextError, is_media, read_answer
from forms.spec import FormSpec, Node

NOT_XML = "openrosa.xml_invalid"
ROOT_MISMATCH = "openrosa.root_mismatch"
FIELD_UNKNOWN = "openrosa.field_unknown"
VALUE_INVALID = "openrosa.value_invalid"
INSTANCE_ID_MISSING = "openrosa.instance_id_missing"

#: OpenRosa metadata a client may add to `meta` although the form does not declare it.
CLIENT_META = frozenset({"instanceID", "deprecatedID", "instanceName", "timeStart", "timeEnd",
                         "userID", "deviceID", "rootUuid", "email", "phoneNumber",
                         "simSerial", "subscriberID", "audit"})
#: Deeper nesting than this is not a form's instance.
MAX_DEPTH = 64
MAX_INSTANCE_ID = 200


class SubmissionError(ValueError):
    """A submission that cannot become a record; `code` is the server's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Element:
    """An XML element by its local name (namespace prefixes dropped)."""

    name: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Element] = field(default_factory=list)
    text: str = ""

    def child(self, name: str) -> Element | None:
        return next((c for c in self.children if c.name == name), None)


@dataclass(frozen=True)
class Submission:
    form_id: str
    version: str | None
    instance_id: str
    deprecated_id: str | None
    answers: dict[str, Any]
    #: File names the media questions hold, in form order.
    files: tuple[str, ...]


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def parse_xml(data: bytes) -> Element:
    """The document's root element; SubmissionError if `data` is not well-formed XML or
    declares a DOCTYPE or entities."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Element] = []
    texts: list[list[str]] = []
    found: list[Element] = []

    def refuse(*_args: Any) -> None:
        raise SubmissionError(NOT_XML, "the submission declares a DOCTYPE or entities, "
                                       "which an XForm submission never does")

    def start(name: str, attrs: dict[str, str]) -> None:
        if len(stack) >= MAX_DEPTH:
            raise SubmissionError(NOT_XML, f"the XML is nested more than {MAX_DEPTH} deep")
        element = Element(_local(name), {_local(k): v for k, v in attrs.items()})
        if stack:
            stack[-1].children.append(element)
        else:
            found.append(element)
        stack.append(element)
        texts.append([])

    def end(_name: str) -> None:
        element = stack.pop()
        element.text = "".join(texts.pop())

    def chars(data: str) -> None:
        texts[-1].append(data)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise SubmissionError(NOT_XML, f"the submission is not well-formed XML: {exc}") \
            from None
    if not found:
        raise SubmissionError(NOT_XML, "the submission has no XML element")
    return found[0]


def instance_header(root: Element) -> tuple[str, str, str | None]:
    """(root element name, form id, version) of a submission's instance."""
    form_id = root.attrs.get("id", "").strip()
    if not form_id:
        raise SubmissionError(ROOT_MISMATCH,
                              f"the root element <{root.name}> has no id attribute naming "
                              "its form; send the instance of a form downloaded from here")
    version = root.attrs.get("version", "").strip() or None
    return root.name, form_id, version


def _meta_value(root: Element, name: str) -> str | None:
    meta = root.child("meta")
    element = meta.child(name) if meta is not None else None
    text = element.text.strip() if element is not None else root.attrs.get(name, "").strip()
    return text or None


def read_submission(root: Element, spec: FormSpec) -> Submission:
    """The answers of a submission of `spec` (see the module docstring)."""
    if root.name != spec.id:
        raise SubmissionError(ROOT_MISMATCH,
                              f"the submission's root element is <{root.name}>, but form "
                              f"{spec.id!r} has <{spec.id}>: was it filled in another form?")
    instance_id = _meta_value(root, "instanceID")
    if instance_id is None:
        raise SubmissionError(INSTANCE_ID_MISSING,
                              "the submission has no meta/instanceID; every XForm client "
                              "sets one (uuid:...), so this is not a client's submission")
    if len(instance_id) > MAX_INSTANCE_ID or any(ch.isspace() for ch in instance_id):
        raise SubmissionError(INSTANCE_ID_MISSING,
                              f"meta/instanceID must be at most {MAX_INSTANCE_ID} "
                              "characters without spaces")
    reader = _Reader(spec)
    answers = reader.group(root, spec.children, f"/{spec.id}")
    _, _, version = instance_header(root)
    return Submission(spec.id, version, instance_id, _meta_value(root, "deprecatedID"),
                      answers, tuple(reader.files))


class _Reader:
    def __init__(self, spec: FormSpec) -> None:
        self.spec = spec
        self.files: list[str] = []

    def group(self, element: Element, nodes: tuple[Node, ...], where: str) -> dict[str, Any]:
        by_name = {n.name: n for n in nodes}
        out: dict[str, Any] = {}
        for child in _instances(element):
            path = f"{where}/{child.name}"
            node = by_name.get(child.name)
            if node is None:
                if where == f"/{self.spec.id}/meta" and child.name in CLIENT_META:
                    continue  # OpenRosa metadata this form does not keep
                if child.name == "meta" and where == f"/{self.spec.id}":
                    self.group(child, (), path)  # the client's own metadata only
                    continue
                raise SubmissionError(FIELD_UNKNOWN,
                                      f"{path}: form {self.spec.id!r} version "
                                      f"{self.spec.version!r} has no such field")
            if node.is_repeat:
                items = out.setdefault(node.name, [])
                items.append(self.group(child, node.children, f"{path}[{len(items) + 1}]"))
                continue
            if node.name in out:
                raise SubmissionError(FIELD_UNKNOWN, f"{path} appears twice; only a repeat "
                                                     "may")
            if node.is_group:
                value = self.group(child, node.children, path)
                if value:
                    out[node.name] = value
                continue
            if child.children:
                raise SubmissionError(FIELD_UNKNOWN, f"{path} holds elements, but "
                                                     f"{node.name} is a question")
            if node.type == "instanceID":
                continue  # the submission's id, kept beside the record, not an answer
            value = self._answer(node, child.text, path)
            if value is not None:
                out[node.name] = value
        return out

    def _answer(self, node: Node, text: str, path: str) -> Any:
        try:
            value = read_answer(node, text, self.spec)
        except AnswerTextError as exc:
            raise SubmissionError(VALUE_INVALID, f"{path}: {exc}") from None
        if value is not None and is_media(node):
            self.files.append(value)
        return value


def _instances(element: Element) -> Iterator[Element]:
    """Children of `element`, without repeat templates (`jr:template`)."""
    for child in element.children:
        if "template" not in child.attrs:
            yield child


# -- writing an instance (what a client submits) -----------------------------------------

def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _write(nodes: tuple[Node, ...], answers: Mapping[str, Any], out: list[str],
           extra_meta: str) -> None:
    for node in nodes:
        name = node.name
        if node.is_repeat:
            for item in answers.get(name) or []:
                out.append(f"<{name}>")
                _write(node.children, item, out, "")
                out.append(f"</{name}>")
        elif node.is_group:
            out.append(f"<{name}>")
            _write(node.children, answers.get(name) or {}, out, "")
            if node.path == ("meta",):
                out.append(extra_meta)
            out.append(f"</{name}>")
        else:
            text = _text(answers.get(name))
            out.append(f"<{name}>{text}</{name}>" if text else f"<{name}/>")


def write_instance(spec: FormSpec, answers: Mapping[str, Any], instance_id: str,
                   deprecated_id: str | None = None) -> bytes:
    """`answers` as the XML instance an OpenRosa client submits (as ODK Collect writes
    it): every element of the form in order, blank when unanswered, one element per
    repeat instance, select_multiple as space-separated names, meta/instanceID and, for
    an edit, meta/deprecatedID. `read_submission` reads it back into `answers`."""
    data = dict(answers)
    data["meta"] = {**dict(data.get("meta") or {}), "instanceID": instance_id}
    extra = f"<deprecatedID>{escape(deprecated_id)}</deprecatedID>" if deprecated_id else ""
    body: list[str] = []
    _write(spec.children, data, body, extra)
    return ("<?xml version='1.0' ?>"
            f'<{spec.id} xmlns:jr="http://openrosa.org/javarosa" '
            f'xmlns:orx="http://openrosa.org/xforms" id="{escape(spec.id)}" '
            f'version="{escape(spec.version)}">' + "".join(body) + f"</{spec.id}>"
            ).encode("utf-8")

"""Fields for every value that comes from outside: text, whole numbers, free JSON.

Marshmallow's own String, Integer and Raw let through what no database stores: a JSON
"\\ud800" escape decodes to a lone surrogate (not encodable as UTF-8: SQLite and
PostgreSQL both refuse it), PostgreSQL refuses NUL characters in text and JSON, and a
whole number past 64 bits overflows SQLite's INTEGER and PostgreSQL's bigint. Each of
those was a 500 after half the work; refused here they are a 422 `request.invalid`
naming the field, before anything is stored. Schemas that load input use these
(tests/server/test_hostile_input.py checks that every loading schema does).
"""

from __future__ import annotations

import math
import re
from typing import Any

from marshmallow import ValidationError, fields, validate

#: The largest whole number both databases store (SQLite INTEGER, PostgreSQL bigint).
INT64_MAX = 2**63 - 1
#: Nesting a free JSON value may have (a record's answers are a few levels deep).
MAX_JSON_DEPTH = 32

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
TEXT_ERROR = "must be text without NUL characters or unpaired surrogates (\\ud800-\\udfff)"


def storable_text(text: str) -> bool:
    """True if both databases can store `text` (UTF-8 encodable, no NUL)."""
    return _UNSTORABLE.search(text) is None


def whole_number(text: str | None, lo: int = 0, hi: int = INT64_MAX) -> int | None:
    """`text` as a whole number from `lo` to `hi` (ASCII digits only: `int()` reads
    "٣" and refuses "²", which `str.isdigit()` accepts), else None."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(hi)):  # before int(): Python refuses 4,300 digits and more
        return None
    number = int(digits)
    return number if lo <= number <= hi else None


class Text(fields.String):
    """A string field that refuses text no database can store."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not storable_text(text):
            raise ValidationError(TEXT_ERROR)
        return text


class Int(fields.Integer):
    """A whole number within 64 bits (whatever narrower range the field adds)."""

    def __init__(self, **kwargs: Any) -> None:
        validators = kwargs.pop("validate", None)
        validators = [] if validators is None else (
            list(validators) if isinstance(validators, list | tuple) else [validators])
        super().__init__(validate=[*validators, validate.Range(min=-INT64_MAX - 1,
                                                               max=INT64_MAX)], **kwargs)


def json_problem(value: Any, depth: int = 0) -> str | None:
    """Why `value` (parsed JSON) cannot be stored, or None: text as `Text` refuses it
    (keys too), a float that is not finite, a number past 64 bits, nesting deeper
    than MAX_JSON_DEPTH."""
    if depth > MAX_JSON_DEPTH:
        return f"must not nest deeper than {MAX_JSON_DEPTH} levels"
    if isinstance(value, str):
        return None if storable_text(value) else TEXT_ERROR
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if -INT64_MAX - 1 <= value <= INT64_MAX else "number out of range"
    if isinstance(value, float):
        return None if math.isfinite(value) else "number out of range"
    if isinstance(value, list):
        items: Any = value
    elif isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    else:
        return "must be a JSON value"
    for item in items:
        problem = json_problem(item, depth + 1)
        if problem:
            return problem
    return None


class JsonValue(fields.Raw):
    """Any JSON value a database can store (see json_problem)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        problem = json_problem(value)
        if problem:
            raise ValidationError(problem)
        return value


class JsonObject(fields.Dict):
    """A JSON object of storable keys and values (see json_problem)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        loaded = super()._deserialize(value, attr, data, **kwargs)
        problem = json_problem(loaded)
        if problem:
            raise ValidationError(problem)
        return loaded

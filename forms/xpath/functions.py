"""The XPath 1.0 and ODK function library: what the parser and the compiler look up.

The implementations live in `forms.xpath.library` (one module per family) and register
themselves in `forms.xpath.registry` when imported.
"""

from __future__ import annotations

import forms.xpath.library  # noqa: F401  (registers every function)
from forms.xpath.registry import FUNCTIONS, Function, check_call

#: Names of functions whose result changes from call to call.
VOLATILE = frozenset(name for name, fn in FUNCTIONS.items() if fn.volatile)

__all__ = ["FUNCTIONS", "VOLATILE", "Function", "check_call"]

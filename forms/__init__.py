"""The form engine: XLSForm -> `FormSpec`, expressions and validation (pure, no I/O libs)."""

from forms.errors import FormError, Problem
from forms.loader import check_form, load_form
from forms.spec import Choice, FormSpec, Node

__all__ = ["Choice", "FormError", "FormSpec", "Node", "Problem", "check_form", "load_form"]

"""The form engine: XLSForm -> `FormSpec`, expressions and validation (pure, no I/O libs).

    spec = load_form("household.xlsx")      # FormError lists every problem found
    problems = validate_record(spec, answers)
    answers = recompute(spec, answers)      # calculations, relevance
    evaluate("${age} >= 18", {"age": 20})   # any XLSForm expression
    render_text("Member ${name}", spec, answers, ("members", 0))  # labels as shown

A `FormProblem` is something wrong in a form definition (sheet/row/column), carried by
`FormError` or returned by `check_form`; `validate_record` returns
`forms.validation.Problem`s, each one thing wrong in a record's answers (path/code).
"""

from forms.errors import FormError, FormProblem
from forms.expressions import ExpressionError, evaluate
from forms.loader import check_form, load_form
from forms.recompute import recompute
from forms.spec import Choice, FormSpec, Node
from forms.text import render_text
from forms.validation import validate_record

__all__ = [
    "Choice",
    "ExpressionError",
    "FormError",
    "FormProblem",
    "FormSpec",
    "Node",
    "check_form",
    "evaluate",
    "load_form",
    "recompute",
    "render_text",
    "validate_record",
]

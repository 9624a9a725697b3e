"""The form engine: XLSForm -> `FormSpec`, expressions and validation (pure, no I/O libs).

    spec = load_form("household.xlsx")      # FormError lists every problem found
    problems = validate_record(spec, answers)
    answers = recompute(spec, answers)      # calculations, relevance
    evaluate("${age} >= 18", {"age": 20})   # any XLSForm expression

`Problem` here is a problem in a *form* (sheet/row/column); record problems come from
`forms.validation`.
"""

from forms.errors import FormError, Problem
from forms.expressions import ExpressionError, evaluate
from forms.loader import check_form, load_form
from forms.recompute import recompute
from forms.spec import Choice, FormSpec, Node
from forms.validation import validate_record

__all__ = [
    "Choice",
    "ExpressionError",
    "FormError",
    "FormSpec",
    "Node",
    "Problem",
    "check_form",
    "evaluate",
    "load_form",
    "recompute",
    "validate_record",
]

"""`hesabu forms ...`: check, outline and convert XLSForms."""

from __future__ import annotations

import re

import click

from forms.errors import FormError, FormProblem
from forms.loader import check_form, load_form
from forms.spec import GROUP, REPEAT, FormSpec, Node, text_in

#: Labels longer than this are shortened in `show`.
_LABEL_WIDTH = 72

#: Logic shown under each question by `show`, in this order.
_LOGIC = (
    ("required", "required"),
    ("relevant", "relevant"),
    ("constraint", "constraint"),
    ("calculation", "calculation"),
    ("choice_filter", "choice_filter"),
    ("default", "default"),
    ("read_only", "read_only"),
    ("trigger", "trigger"),
)


@click.group()
def forms() -> None:
    """Work with XLSForm definitions."""


def problem_line(problem: FormProblem) -> str:
    """`SHEET:ROW:COLUMN: severity: message; hint` (`-` where the place is unknown)."""
    where = ":".join(
        str(part) if part not in (None, "") else "-"
        for part in (problem.sheet, problem.row, problem.column)
    )
    text = f"{problem.message}; {problem.hint}" if problem.hint else problem.message
    return f"{where}: {problem.severity}: {text}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _fail(err: FormError) -> None:
    for problem in err.problems:
        click.echo(problem_line(problem), err=True)
    raise SystemExit(1)


@forms.command()
@click.argument("path")
def check(path: str) -> None:
    """Load the XLSForm at PATH and list every problem with sheet, row and column.

    Exits 1 if the form has errors, 0 if it is usable (warnings allowed).
    """
    problems = check_form(path)
    for problem in problems:
        click.echo(problem_line(problem))
    errors = sum(1 for p in problems if p.is_error)
    warnings = len(problems) - errors
    verdict = "cannot be used" if errors else "OK"
    click.echo(f"{path}: {verdict}: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}")
    if errors:
        raise SystemExit(1)


def _pick_language(spec: FormSpec, wanted: str | None) -> str | None:
    """The form language matching `wanted`: a full name or its code ("en", "fr")."""
    if wanted is None:
        return spec.default_language
    for lang in spec.languages:
        code = re.search(r"\(([^)]+)\)\s*$", lang)
        if wanted.lower() in (lang.lower(), code.group(1).lower() if code else None):
            return lang
    known = ", ".join(spec.languages) or "none (the form is not translated)"
    raise click.BadParameter(f"'{wanted}' is not a language of this form; it has {known}",
                             param_hint="--lang")


def _outline(node: Node, lang: str | None, fallback: str | None, depth: int) -> list[str]:
    pad = "  " * depth
    label = " ".join(text_in(node.label, lang, fallback).split())
    if len(label) > _LABEL_WIDTH:  # an outline, not the form: long notes get cut
        label = label[: _LABEL_WIDTH - 1].rstrip() + "…"
    shown = f' "{label}"' if label else ""
    if node.kind in (GROUP, REPEAT):
        count = f" (count: {node.repeat_count})" if node.repeat_count else ""
        appearance = f" [{node.appearance}]" if node.appearance else ""
        lines = [f"{pad}{node.kind} {node.name}{shown}{count}{appearance}"]
        if node.relevant:
            lines.append(f"{pad}    relevant: {node.relevant}")
        for child in node.children:
            lines += _outline(child, lang, fallback, depth + 1)
        return lines
    kind = node.type
    if node.list_name:
        kind += f" {node.list_name}" + (" or_other" if node.or_other else "")
    lines = [f"{pad}{kind} {node.name}{shown}"]
    for attr, title in _LOGIC:
        value = getattr(node, attr)
        if value:
            lines.append(f"{pad}    {title}: {value}")
    if node.parameters:
        params = " ".join(f"{k}={v}" for k, v in node.parameters.items())
        lines.append(f"{pad}    parameters: {params}")
    if node.appearance:
        lines.append(f"{pad}    appearance: {node.appearance}")
    return lines


@forms.command()
@click.argument("path")
@click.option("--lang", "lang", metavar="CODE", help="Show labels in this language (e.g. fr).")
def show(path: str, lang: str | None) -> None:
    """Print a readable outline of the XLSForm at PATH: groups, repeats, questions, logic."""
    try:
        spec = load_form(path)
    except FormError as err:
        _fail(err)
        return
    language = _pick_language(spec, lang)
    version = f", version {spec.version}" if spec.version else ""
    click.echo(f"{spec.title} ({spec.id}{version})")
    if spec.languages:
        click.echo("languages: " + ", ".join(spec.languages))
    for node in spec.children:
        for line in _outline(node, language, spec.default_language, 1):
            click.echo(line)
    questions = [q for q in spec.questions if q.row is not None]
    click.echo(
        f"{_plural(len(questions), 'question')}, {_plural(len(spec.groups), 'group')}, "
        f"{_plural(len(spec.repeats), 'repeat')}, {_plural(len(spec.choices), 'choice list')}"
    )


@forms.command(name="json")
@click.argument("path")
@click.option("--indent", type=click.IntRange(min=0), default=None,
              help="Pretty-print with this many spaces per level.")
def json_command(path: str, indent: int | None) -> None:
    """Print the XLSForm at PATH as FormSpec JSON (what devices receive)."""
    try:
        spec = load_form(path)
    except FormError as err:
        _fail(err)
        return
    click.echo(spec.to_json(indent=indent))

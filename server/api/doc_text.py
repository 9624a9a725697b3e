"""Docstrings as API documentation: a whole first sentence as the summary, the rest as
Markdown rendered to HTML (markdown-it-py, raw HTML in docstrings is not passed through)."""

from __future__ import annotations

from functools import cache

from markupsafe import Markup

#: Abbreviations whose period does not end a sentence.
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.")


def _sentence_end(text: str) -> int | None:
    """The index just past the first sentence of `text` (a period, "?" or "!" followed
    by a space, outside `code`), or None when the text is one sentence."""
    in_code = False
    for i, char in enumerate(text):
        if char == "`":
            in_code = not in_code
        elif char in ".?!" and not in_code and i + 1 < len(text) and text[i + 1] == " ":
            if any(text[: i + 1].endswith(a) for a in _ABBREVIATIONS):
                continue
            return i + 1
    return None


def split_docstring(text: str) -> tuple[str, str]:
    """(summary, description) of a cleaned docstring: the summary is the first sentence
    of the first paragraph, never cut inside it (its lines joined); the description is
    what follows, paragraphs kept."""
    first, _, rest = text.strip().partition("\n\n")
    paragraph = " ".join(line.strip() for line in first.splitlines())
    end = _sentence_end(paragraph)
    summary, tail = (paragraph, "") if end is None else \
        (paragraph[:end], paragraph[end:].strip())
    return summary, "\n\n".join(p for p in (tail, rest.strip()) if p)


@cache
def _markdown() -> object:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown_html(text: str) -> Markup:
    """Markdown as HTML (safe: raw HTML in the text is escaped)."""
    return Markup(_markdown().render(text or ""))  # type: ignore[attr-defined]


def markdown_inline(text: str) -> Markup:
    """One line of Markdown (`code`, emphasis, links) as HTML without a paragraph."""
    return Markup(_markdown().renderInline(text or ""))  # type: ignore[attr-defined]

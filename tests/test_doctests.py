"""The `>>>` examples in the docstrings of `forms/` and `sync/` run as tests.

An example in a docstring is documentation a reader trusts: each one must show what
the code really does. Every module of the two pure packages is searched (importing
them is cheap and side-effect free); each module with examples is one test.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import forms
import sync

PACKAGES = (forms, sync)


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package.__name__)
        names += [info.name for info in pkgutil.walk_packages(package.__path__,
                                                             f"{package.__name__}.")]
    return sorted(names)


def _examples(module: ModuleType) -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [test for test in finder.find(module) if test.examples]


WITH_EXAMPLES = [name for name in _modules() if _examples(importlib.import_module(name))]


def test_the_examples_are_found() -> None:
    # If discovery broke, the parametrised test below would silently run nothing.
    assert {"forms.expressions", "forms.text"} <= set(WITH_EXAMPLES)


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in _examples(module):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, capsys.readouterr().out

"""The cycle collector as the field app sets it at start (field_app/core/collector.py)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from field_app.core.collector import GC_THRESHOLDS, calm_collector


@pytest.fixture
def collector_restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_what_exists_at_start_is_left_out_of_the_collectors_walks(
        collector_restored: None) -> None:
    gc.unfreeze()
    calm_collector()
    assert gc.get_freeze_count() > 1000  # the modules, forms and store of the process
    assert gc.get_threshold() == GC_THRESHOLDS
    assert GC_THRESHOLDS[0] > 700  # young collections less often than Python's default


def test_a_cycle_made_after_start_is_still_collected_by_itself(
        collector_restored: None) -> None:
    """Not frozen, not switched off: a young collection comes on its own once enough
    objects were made (no gc.collect() here)."""
    calm_collector()

    class Node:
        other: object = None

    a, b = Node(), Node()
    a.other, b.other = b, a
    gone: list[str] = []
    weakref.finalize(a, gone.append, "a")
    del a, b
    kept = [[] for _ in range(3 * GC_THRESHOLDS[0])]  # allocations that stay alive
    assert gone == ["a"], f"{len(kept)} allocations later the cycle is still there"

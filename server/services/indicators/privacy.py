"""Small-count suppression for city officials' outputs (pure; documented in
docs/indicators.md, "Privacy").

A count n with 0 < n < threshold is replaced by None and its key listed in
`suppressed`. Zero is shown (it identifies nobody). Counts come in groups whose cells
add up to a shown total (households by tenure add up to the consented households); if
only one cell of a group were hidden, total minus the others would give it back, so a
second cell (the smallest other non-zero one) is hidden too ("complementary
suppression"). A group whose total is itself small is hidden whole. Means and
percentages are hidden when their denominator, or a cell they are computed from, is.

Each hidden name gets a reason in `suppression`: SMALL when the value is itself a count
from 1 to threshold - 1, PROTECTED when it is hidden only so that a small count cannot
be worked out (a second cell of a group, a city total, a mean or a percentage): its
value may be large, so pages and files must not label it as a small count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

DEFAULT_THRESHOLD = 5
#: Why a value is hidden (`suppression` of a summary): itself a small count, or hidden to
#: protect a small count elsewhere.
SMALL = "small"
PROTECTED = "protected"


def is_small(n: float | None, threshold: int) -> bool:
    return n is not None and 0 < n < threshold


def suppress_group(cells: Mapping[str, float | None], total: float | None, threshold: int
                   ) -> tuple[dict[str, float | None], set[str]]:
    """`cells` with small counts hidden, and the names hidden (complementary included)."""
    if is_small(total, threshold):
        return {k: None for k in cells}, set(cells)
    hidden = {k for k, v in cells.items() if is_small(v, threshold)}
    if len(hidden) == 1:
        others = sorted((v, k) for k, v in cells.items() if k not in hidden and v)
        if others:
            hidden.add(others[0][1])
    return {k: (None if k in hidden else v) for k, v in cells.items()}, hidden


def reason(value: float | None, threshold: int) -> str:
    """SMALL if `value` (as it was before hiding) is a small count, else PROTECTED."""
    return SMALL if is_small(value, threshold) else PROTECTED


def suppress_enumeration(enum: Mapping[str, Any], threshold: int) -> dict[str, Any]:
    """A copy of an enumeration summary (services.indicators.profiles) safe for officials.

    Adds `suppressed`: the dotted names of every hidden value, and `suppression`: each
    name's reason (SMALL or PROTECTED). Means and percentages are never SMALL: they are
    not counts.
    """
    out: dict[str, Any] = dict(enum)
    hidden: dict[str, str] = {}  # each hidden value's dotted name: its reason
    consented = enum.get("households_consented")
    for name in ("structures", "households", "households_consented", "population",
                 "members"):
        if is_small(enum.get(name), threshold):
            out[name] = None
            hidden[name] = reason(enum.get(name), threshold)
    group_totals = {"sex": enum.get("members"), "age": enum.get("members"),
                    "tenure": consented, "water_source": consented, "toilet": consented,
                    "electricity": consented}
    for group, group_total in group_totals.items():
        cells, names = suppress_group(enum.get(group, {}), group_total, threshold)
        out[group] = cells
        hidden.update((f"{group}.{n}", reason((enum.get(group) or {}).get(n), threshold))
                      for n in names)
    # Binary splits: "with" and "without" are both cells of the consented households.
    for name, count in (("electricity_households_pct", enum.get("households_with_electricity")),
                        ("savings_members_pct", enum.get("savings_members"))):
        without = None if count is None or consented is None else consented - count
        if any(is_small(v, threshold) for v in (count, without, consented)):
            out[name] = None
            hidden[name] = PROTECTED  # a percentage, not a count
    for name in ("households_with_electricity", "savings_members"):
        without = None if enum.get(name) is None or consented is None else \
            consented - enum[name]
        if any(is_small(v, threshold) for v in (enum.get(name), without, consented)):
            out[name] = None
            hidden[name] = reason(enum.get(name), threshold)
    for mean, base in (("household_size_mean", "households_consented"),
                       ("monthly_rent_mean", "rent_answers"),
                       ("water_cost_month_mean", "water_cost_answers")):
        if is_small(enum.get(base), threshold) or base in hidden:
            out[mean] = None
            hidden[mean] = PROTECTED  # a mean, not a count
    for base in ("rent_answers", "water_cost_answers"):
        if is_small(enum.get(base), threshold):
            out[base] = None
            hidden[base] = reason(enum.get(base), threshold)
    out["suppressed"] = sorted(hidden)
    out["suppression"] = {name: hidden[name] for name in sorted(hidden)}
    return out


def protect_across(parts: Iterable[Mapping[str, Any]], whole: dict[str, Any]) -> dict[str, Any]:
    """Hide a value of `whole` (a city total) when exactly one of `parts` (its settlements)
    hides it: the total minus the shown parts would otherwise give that part back."""
    counts: dict[str, int] = {}
    for part in parts:
        for name in part.get("suppressed", ()):
            counts[name] = counts.get(name, 0) + 1
    hidden = set(whole.get("suppressed", ()))
    reasons = dict(whole.get("suppression") or {})
    for name, n in counts.items():
        if n != 1 or name in hidden:
            continue
        hidden.add(name)
        reasons[name] = PROTECTED  # the city's value is not small (it was shown)
        if "." in name:
            group, cell = name.split(".", 1)
            if isinstance(whole.get(group), dict):
                whole[group] = {**whole[group], cell: None}
        else:
            whole[name] = None
    # A group with a single hidden cell gives it back through its total: hide another.
    for group, cells in list(whole.items()):
        if not isinstance(cells, dict):
            continue
        names = {n for n in hidden if n.startswith(f"{group}.")}
        others = sorted((v, k) for k, v in cells.items() if v and f"{group}.{k}" not in names)
        if len(names) == 1 and others:
            whole[group] = {**cells, others[0][1]: None}
            hidden.add(f"{group}.{others[0][1]}")
            reasons[f"{group}.{others[0][1]}"] = PROTECTED
    whole["suppressed"] = sorted(hidden)
    whole["suppression"] = {name: reasons.get(name, PROTECTED) for name in sorted(hidden)}
    return whole


def hidden_as(summary: Mapping[str, Any], name: str) -> str | None:
    """Why `name` of a summary is hidden (SMALL, PROTECTED), or None when it is shown.
    A summary from before `suppression` existed counts its hidden names as PROTECTED:
    never claim a count is small without knowing it."""
    if name not in set(summary.get("suppressed") or ()):
        return None
    return str((summary.get("suppression") or {}).get(name, PROTECTED))

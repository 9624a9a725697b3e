"""What one sync run did, in words a person can act on.

The client fills a `SyncSummary`; the app shows `describe()` (translated by the app:
the sentences are built from whole phrases so a translator can replace each one).
"""

from __future__ import annotations

from dataclasses import dataclass

from sync.codes import FORM_VERSION_UNKNOWN, HLC_TOO_FAR_AHEAD, Rejection


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@dataclass(frozen=True)
class SyncSummary:
    """Counts of one sync run. `sent` ops were acknowledged; `received` ops were new here;
    `parked` ops are kept aside on the device after a refusal, from this sync or an
    earlier one (they wait for a person to send them again)."""

    sent: int = 0
    received: int = 0
    conflicts: int = 0
    rejected: tuple[Rejection, ...] = ()
    errors: tuple[str, ...] = ()
    parked: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing needs a person's attention on this device."""
        return not self.errors and not self.parked and \
            not any(not r.retryable for r in self.rejected)

    @property
    def waiting(self) -> tuple[Rejection, ...]:
        return tuple(r for r in self.rejected if r.retryable)

    @property
    def refused(self) -> tuple[Rejection, ...]:
        return tuple(r for r in self.rejected if not r.retryable)

    def describe(self) -> str:
        if not (self.sent or self.received or self.conflicts or self.rejected or self.errors
                or self.parked):
            return "Everything is up to date."
        lines = [
            f"Sent {_count(self.sent, 'change', 'changes')}, "
            f"received {_count(self.received, 'change', 'changes')}."
        ]
        if self.conflicts:
            lines.append(
                f"{_count(self.conflicts, 'answer was', 'answers were')} changed on two "
                f"devices at once; the latest value is shown until a federation leader "
                f"chooses."
            )
        waiting = self.waiting
        if waiting:
            lines.append(
                f"{_count(len(waiting), 'change is', 'changes are')} kept on this device "
                f"and will be sent again later."
            )
            codes = {r.code for r in waiting}
            if HLC_TOO_FAR_AHEAD in codes:
                lines.append("Check this device's date and time: it is ahead of the server.")
            if FORM_VERSION_UNKNOWN in codes:
                lines.append("The server does not have this form version yet.")
        refused = self.refused
        if refused:
            head = _count(len(refused), "change was refused by the server and needs",
                          "changes were refused by the server and need")
            lines.append(f"{head} attention: {refused[0].message}")
        earlier = self.parked - len(refused)
        if earlier > 0:
            lines.append(
                f"{_count(earlier, 'change refused earlier is', 'changes refused earlier are')}"
                f" kept aside on this device; send them again once the cause is fixed."
            )
        lines.extend(f"Sync stopped: {e}" for e in self.errors)
        return " ".join(lines)

    def __add__(self, other: SyncSummary) -> SyncSummary:
        return SyncSummary(
            self.sent + other.sent,
            self.received + other.received,
            self.conflicts + other.conflicts,
            self.rejected + other.rejected,
            self.errors + other.errors,
            max(self.parked, other.parked),  # a count of the device's state, not of a run
        )

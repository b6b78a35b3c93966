"""Task states as the API names them, and the legal moves between them (DESIGN.md s.1).

Kept as data so the validator, the lifecycle checker and the strategies share one
table. Codes arrive as JSON strings or integers depending on the gateway: read them
with ``state_code``.
"""

from __future__ import annotations

from typing import Any

WAITING, RUNNING, FAILED, SUCCESS, CANCELLING, CANCELLED, DELETING, DELETED = range(8)

STATE_NAMES = ("waiting", "running", "failed", "success", "cancelling", "cancelled", "deleting", "deleted")

#: Observed one after the other, a state may repeat or take one of these steps.
LEGAL_TRANSITIONS = frozenset(
    {(0, 1), (0, 2), (0, 4), (1, 2), (1, 3), (1, 4), (4, 5), (2, 6), (3, 6), (5, 6), (6, 7)}
)

#: States that end a task's progress; deletion is the only way on (7 is final).
TERMINAL = frozenset({FAILED, SUCCESS, CANCELLED, DELETED})

#: States a cancel/delete answer can report (docs/wire-format.md, Cancel / delete).
CANCEL_ANSWER_STATES = frozenset({CANCELLING, CANCELLED, DELETING, DELETED})


def state_code(value: Any) -> int | None:
    """The state number from ``3`` or ``"3"``; None if it is not a valid state code."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < len(STATE_NAMES) else None
    if isinstance(value, str) and len(value) == 1 and "0" <= value <= "7":
        return int(value)
    return None


def byte_count(value: Any) -> int | None:
    """A dataSize from ``12345`` or ``"12345"``; None if absent or not a whole number >= 0."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def _closure(steps: frozenset[tuple[int, int]]) -> frozenset[tuple[int, int]]:
    reach = set(steps)
    while True:
        more = {(a, d) for a, b in reach for c, d in reach if b == c} - reach
        if not more:
            return frozenset(reach)
        reach |= more


#: Pairs (earlier, later) that a legal life can show when observations skip states
#: (polls miss short phases): the transitive closure of ``LEGAL_TRANSITIONS``.
REACHABLE = _closure(LEGAL_TRANSITIONS)


def is_legal_step(before: int, after: int, dense: bool = False) -> bool:
    """Whether ``after`` may follow ``before``: directly when ``dense`` (every state
    change was observed), else through any number of unobserved legal steps."""
    return before == after or (before, after) in (LEGAL_TRANSITIONS if dense else REACHABLE)

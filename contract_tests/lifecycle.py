"""The lifecycle checker: is a sequence of observations of one task a possible life?

Observations are Status Structs (or whole status answers, whose ``data`` is taken)
in the order they were made: from polls, the emulator's journal or a capture.
Violations point at the observation: ``$[3].progressCode``.

Polls sample a life: a task can pass through a short phase between two polls
(0 then 3, its running unseen). By default a later state must be *reachable* by
legal moves; with ``dense=True`` (a complete history: the emulator's record, a
step clock shorter than every phase) each change must be one legal move.

Rules:
- ``lifecycle:legal-transition``: each step repeats the state or follows the legal
  moves (0->1, 0->2, 0->4, 1->2, 1->3, 1->4, 4->5, 2->6, 3->6, 5->6, 6->7).
- ``lifecycle:terminal-stays-put``: the same failure named for a task that had
  ended (2, 3, 5) and moved anywhere but to deleting, or left deleted (7).
- ``lifecycle:data-size-shrinks``: dataSize never goes down while waiting/running.
- ``lifecycle:success-stable``: once successful, each later success observation
  shows the same downloadUrl and dataSize as the one before it.
- ``lifecycle:same-task``: every observation is about the first one's task.
Observations whose progressCode cannot be read are skipped (the validator reports
them); the checker judges the moves between the readable ones.
"""

from __future__ import annotations

from typing import Any, Iterable

from .states import RUNNING, STATE_NAMES, SUCCESS, TERMINAL, WAITING, byte_count, is_legal_step, state_code
from .violations import Violation, json_path


def _struct(observation: Any) -> dict | None:
    """The Status Struct in an observation: the struct itself, or a status answer's data."""
    if not isinstance(observation, dict):
        return None
    if "code" in observation and "progressCode" not in observation:
        data = observation.get("data")
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        return data if isinstance(data, dict) else None
    return observation


def _name(code: int) -> str:
    return f"{code} ({STATE_NAMES[code]})"


def check_lifecycle(observations: Iterable[Any], *, dense: bool = False) -> list[Violation]:
    """Every violation of the lifecycle rules in one task's observations (empty when fine).

    ``dense``: the observations hold every state change, so skipped states are violations.
    """
    found: list[Violation] = []
    previous: tuple[int, int, dict] | None = None  # (index, state, struct) of the last readable one
    first_task: str | None = None
    success: dict | None = None  # the latest success observation
    for index, observation in enumerate(observations):
        struct = _struct(observation)
        state = state_code(struct.get("progressCode")) if struct is not None else None
        if state is None:
            continue
        task = struct.get("taskId")
        if first_task is None:
            first_task = task
        elif task != first_task:
            found.append(Violation(json_path([index, "taskId"]), "lifecycle:same-task",
                                   f"observation is about task {task!r}, the sequence about {first_task!r}", task))
        if previous is not None:
            found.extend(_step(previous, (index, state, struct), dense))
        if state == SUCCESS:
            if success is not None:
                found.extend(_stable(success, struct, index))
            success = struct  # each change is reported once, where it happens
        previous = (index, state, struct)
    return found


def _step(before: tuple[int, int, dict], after: tuple[int, int, dict], dense: bool) -> list[Violation]:
    (_, old, old_struct), (index, new, new_struct) = before, after
    found = []
    if not is_legal_step(old, new, dense):
        rule = "lifecycle:terminal-stays-put" if old in TERMINAL else "lifecycle:legal-transition"
        found.append(Violation(json_path([index, "progressCode"]), rule,
                               f"{_name(old)} cannot be followed by {_name(new)}", new_struct.get("progressCode")))
    if old in (WAITING, RUNNING) and new in (WAITING, RUNNING):
        old_size, new_size = byte_count(old_struct.get("dataSize")), byte_count(new_struct.get("dataSize"))
        if old_size is not None and new_size is not None and new_size < old_size:
            found.append(Violation(json_path([index, "dataSize"]), "lifecycle:data-size-shrinks",
                                   f"dataSize went down from {old_size} to {new_size} while the task was "
                                   f"{STATE_NAMES[new]}", new_struct.get("dataSize")))
    return found


def _stable(first: dict, later: dict, index: int) -> list[Violation]:
    found = []
    for field_name in ("downloadUrl", "dataSize"):
        was, now = first.get(field_name), later.get(field_name)
        if field_name == "dataSize":
            was, now = byte_count(was), byte_count(now)
        if was != now:
            found.append(Violation(json_path([index, field_name]), "lifecycle:success-stable",
                                   f"{field_name} of a successful task changed from {was!r} to {now!r}",
                                   later.get(field_name)))
    return found

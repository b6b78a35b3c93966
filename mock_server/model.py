"""The task model: a task's state at time t is a pure function of its record and t.

No Flask, no clock, no I/O here. A ``TaskRecord`` stores what was decided at
creation (the drawn ``Plan``) and the events applied later (cancel, delete), each
with its time. ``segments()`` turns that into the task's full planned life, and
``observe()`` reads it at any instant. Nothing moves forward in the background, so
reads never mutate and the model is trivially thread-safe and deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .timeline import Plan

WAITING, RUNNING, FAILED, SUCCESS, CANCELLING, CANCELLED, DELETING, DELETED = range(8)

STATE_NAMES = ("waiting", "running", "failed", "success", "cancelling", "cancelled", "deleting", "deleted")

#: States in which a task can still be cancelled.
CANCELLABLE = frozenset({WAITING, RUNNING})
#: States that end a task's progress; from these, deletion is the only way on.
FINISHED = frozenset({FAILED, SUCCESS, CANCELLED})

#: The legal transitions between two observations (a state may also repeat).
LEGAL_TRANSITIONS = frozenset(
    {(0, 1), (0, 2), (0, 4), (1, 2), (1, 3), (1, 4), (4, 5), (2, 6), (3, 6), (5, 6), (6, 7)}
)

_OUTCOME_STATES = {"success": SUCCESS, "failed": FAILED}


class TaskRecord:
    """One task: identity, what the request asked for, the drawn plan, and events.

    ``__slots__`` keeps a stored task small (the store may hold a million of them).
    """

    __slots__ = (
        "task_id", "org_id", "channel_id", "created_at", "plan", "request",
        "content_seed", "cancel_at", "cancelling", "delete_at", "callback",
    )

    def __init__(self, task_id: str, org_id: str, channel_id: str, created_at: float,
                 plan: Plan, request: object, content_seed: int) -> None:
        self.task_id = task_id
        self.org_id = org_id
        self.channel_id = channel_id
        self.created_at = created_at
        self.plan = plan
        self.request = request
        self.content_seed = content_seed
        self.cancel_at: float | None = None
        # How long this task's cancellation takes; the plan's value unless the
        # gateway flavour reports cancels as already done (then 0).
        self.cancelling: float = plan.cancelling
        self.delete_at: float | None = None
        # Opaque to the model: delivery state of the completion callback.
        self.callback: object = None


@dataclass(frozen=True, slots=True)
class Observation:
    """What a status read at one instant shows."""

    state: int
    bytes_written: int
    has_file: bool  # the file can be downloaded now (state is success)
    from_success: bool  # the task succeeded (even if it is now being deleted)


def segments(record: TaskRecord) -> list[tuple[float, int]]:
    """The task's life as (start time, state) pairs, in order; a pair whose
    successor starts at the same instant is skipped by ``state_at``."""
    plan = record.plan
    run_at = record.created_at + plan.waiting
    end_at = run_at + plan.running
    life = [(record.created_at, WAITING), (run_at, RUNNING), (end_at, _OUTCOME_STATES[plan.outcome])]
    if record.cancel_at is not None:
        life = [seg for seg in life if seg[0] < record.cancel_at]
        life += [(record.cancel_at, CANCELLING), (record.cancel_at + record.cancelling, CANCELLED)]
    delete_at = record.delete_at
    if plan.retention is not None:
        expiry = life[-1][0] + plan.retention
        delete_at = expiry if delete_at is None else min(delete_at, expiry)
    if delete_at is not None:
        # "<=": the finished state stays in the plan even when it lasts no time,
        # so the recorded life always passes through it on the way to deleting.
        life = [seg for seg in life if seg[0] <= delete_at]
        life += [(delete_at, DELETING), (delete_at + plan.deleting, DELETED)]
    return life


def state_at(record: TaskRecord, now: float) -> int:
    for start, state in reversed(segments(record)):
        if start <= now:
            return state
    return WAITING


def _bytes_at(record: TaskRecord, now: float) -> int:
    """Bytes written by the running query at ``now`` (linear over the running phase)."""
    plan = record.plan
    run_at = record.created_at + plan.waiting
    if now <= run_at:
        return 0
    if plan.running <= 0 or now >= run_at + plan.running:
        return plan.data_size
    return min(plan.data_size, math.floor(plan.data_size * (now - run_at) / plan.running))


def observe(record: TaskRecord, now: float) -> Observation:
    life = segments(record)
    state = WAITING
    previous = WAITING  # the state before deletion began, for 6 and 7
    for start, seg_state in life:
        if start > now:
            break
        if seg_state not in (DELETING, DELETED):
            previous = seg_state
        state = seg_state
    from_success = previous == SUCCESS
    if previous == SUCCESS:
        written = record.plan.data_size
    elif previous == FAILED:
        written = 0
    elif previous in (CANCELLING, CANCELLED):
        written = _bytes_at(record, record.cancel_at)  # frozen when the cancel arrived
    else:
        written = _bytes_at(record, now)
    return Observation(state, written, state == SUCCESS, from_success)


def finished_at(record: TaskRecord) -> float | None:
    """When the task reached 2, 3 or 5 (planned), or None if it never does."""
    for start, state in segments(record):
        if state in FINISHED:
            return start
    return None

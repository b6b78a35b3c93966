"""Keeping a stored task small (the store may hold a million of them).

``compact(record)`` is applied by the store to every task it takes in:

* org and channel ids are interned: thousands of tasks share a handful of them;
* the drawn ``Plan`` is shared with an equal one already stored (fixed timelines
  draw the same plan every time); the cache of plans is bounded;
* the request's text fields (name, source, SQL, package, callback URL, queue
  parameters) are packed into one UTF-8 ``bytes`` object: one allocation instead
  of a dataclass and six strings. ``CompactRequest`` reads like ``TaskRequest``.

Nothing here changes what a task answers: the fields read back are equal.
"""

from __future__ import annotations

import sys
import threading

from .requests_in import FileSpec, TaskRequest

_SEP = "\x00"
_PLAN_CACHE_SIZE = 4096
_plans: dict = {}
_plans_lock = threading.Lock()


class CompactRequest:
    """A ``TaskRequest`` packed into one bytes object (same attribute names, read-only)."""

    __slots__ = ("_blob", "file")

    def __init__(self, blob: bytes, file: FileSpec) -> None:
        self._blob = blob
        self.file = file

    def _fields(self) -> list[str]:
        return self._blob.decode("utf-8").split(_SEP)

    def _optional(self, index: int) -> str | None:
        fields = self._fields()
        return fields[index] if fields[0][index - 5] == "1" else None

    @property
    def task_name(self) -> str:
        return self._fields()[1]

    @property
    def source_name(self) -> str:
        return self._fields()[2]

    @property
    def query_sql(self) -> str:
        return self._fields()[3]

    @property
    def file_package_name(self) -> str:
        return self._fields()[4]

    @property
    def callback_url(self) -> str | None:
        return self._optional(5)

    @property
    def queue_para(self) -> str | None:
        return self._optional(6)

    def expand(self) -> TaskRequest:
        return TaskRequest(self.task_name, self.source_name, self.query_sql, self.file_package_name, self.file,
                           self.callback_url, self.queue_para)

    def __eq__(self, other) -> bool:
        if isinstance(other, (CompactRequest, TaskRequest)):
            return self.expand() == (other.expand() if isinstance(other, CompactRequest) else other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Compact{self.expand()!r}"


def pack_request(request):
    """A ``CompactRequest`` for a ``TaskRequest`` (anything else is returned as it is)."""
    if not isinstance(request, TaskRequest):
        return request
    texts = (request.task_name, request.source_name, request.query_sql, request.file_package_name,
             request.callback_url or "", request.queue_para or "")
    if any(_SEP in text for text in texts):
        return request  # cannot be packed with this separator: kept as it is
    # Field 0 says which optional fields are present (callbackURL, selfDefineQueuePara).
    flags = ("1" if request.callback_url is not None else "0") + ("1" if request.queue_para is not None else "0")
    return CompactRequest(_SEP.join((flags, *texts)).encode("utf-8"), request.file)


def share_plan(plan):
    """An equal plan already stored, or this one (remembered while the cache has room)."""
    try:
        return _plans[plan]
    except KeyError:
        pass
    except TypeError:  # unhashable: keep it
        return plan
    with _plans_lock:
        if len(_plans) < _PLAN_CACHE_SIZE:
            return _plans.setdefault(plan, plan)
    return plan


def compact(record) -> None:
    """Shrink ``record`` in place (see the module's docstring)."""
    record.org_id = sys.intern(record.org_id)
    record.channel_id = sys.intern(record.channel_id)
    plan = share_plan(record.plan)
    if plan is not record.plan:
        if record.cancelling == plan.cancelling:
            record.cancelling = plan.cancelling  # the shared float, not a copy
        record.plan = plan
    record.request = pack_request(record.request)

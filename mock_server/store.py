"""The task store: a dict of records behind one lock, bounded by a cap.

When the cap is reached, the oldest *finished* task (failed, success, cancelled,
deleting, deleted at the current clock time) is evicted to make room; unfinished
tasks are never evicted (a client may still be polling them), so a store full of
unfinished tasks refuses new ones with ``StoreFull``.

Eviction is amortized O(1) per insert: candidates wait in a queue in insertion
order; an unfinished task met at its head goes to its back (it is looked at again
after every other task). A scan that finds nothing finished remembers when the
soonest task will finish and refuses at once until then, so a full store of
running tasks does not cost a full scan per refused create. ``note_cancel()``
(a cancel can make a task finish sooner) forgets that.

Every stored record is compacted first (mock_server/compact.py): interned ids,
shared plans, the request packed into one bytes object.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from typing import Callable, Iterator

from .compact import compact
from .errors import StoreFull
from .model import CANCELLABLE, CANCELLING, TaskRecord, finished_at, state_at


class TaskStore:
    def __init__(self, max_tasks: int = 100_000) -> None:
        if max_tasks < 1:
            raise ValueError("max_tasks must be at least 1")
        self.max_tasks = max_tasks
        self._tasks: dict[str, TaskRecord] = {}
        self._queue: deque[str] = deque()  # eviction candidates, oldest first
        self._full_until = -math.inf  # nothing can be evicted before this clock time
        self.lock = threading.RLock()
        self.evicted = 0

    def get(self, task_id: str) -> TaskRecord | None:
        return self._tasks.get(task_id)

    def add(self, record: TaskRecord, now: float) -> None:
        compact(record)
        with self.lock:
            if len(self._tasks) >= self.max_tasks:
                self._evict_one(now)
            self._tasks[record.task_id] = record
            self._queue.append(record.task_id)

    def note_cancel(self) -> None:
        """A task was cancelled: it may finish sooner than the store last computed."""
        self._full_until = -math.inf

    def _evict_one(self, now: float) -> None:
        if now < self._full_until:
            self._refuse()
        queue, tasks = self._queue, self._tasks
        soonest = math.inf
        for _ in range(len(queue)):
            task_id = queue.popleft()
            record = tasks.get(task_id)
            if record is None:
                continue
            state = state_at(record, now)
            if state not in CANCELLABLE and state != CANCELLING:
                del tasks[task_id]
                self.evicted += 1
                return
            queue.append(task_id)  # still going: look at it again after the others
            done = finished_at(record)
            if done is not None:
                soonest = min(soonest, done)
        self._full_until = soonest
        self._refuse()

    def _refuse(self) -> None:
        raise StoreFull(
            f"the task store holds {self.max_tasks} unfinished tasks (its cap); "
            "let some finish, reset the emulator, or raise limits.max_tasks"
        )

    def __contains__(self, task_id: str) -> bool:
        return task_id in self._tasks

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[TaskRecord]:
        with self.lock:
            return iter(list(self._tasks.values()))

    def filter(self, keep: Callable[[TaskRecord], bool]) -> list[TaskRecord]:
        with self.lock:
            return [record for record in self._tasks.values() if keep(record)]

    def clear(self) -> None:
        with self.lock:
            self._tasks.clear()
            self._queue.clear()
            self._full_until = -math.inf

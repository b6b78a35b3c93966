"""The task store: a dict of records behind one lock, bounded by a cap.

When the cap is reached, the oldest *finished* tasks (failed, success, cancelled,
deleting, deleted at the current clock time) are evicted to make room; unfinished
tasks are never evicted (a client may still be polling them), so a store full of
unfinished tasks refuses new ones with ``StoreFull``.
"""

from __future__ import annotations

import threading
from typing import Callable, Iterator

from .errors import StoreFull
from .model import CANCELLABLE, CANCELLING, TaskRecord, state_at


class TaskStore:
    def __init__(self, max_tasks: int = 100_000) -> None:
        if max_tasks < 1:
            raise ValueError("max_tasks must be at least 1")
        self.max_tasks = max_tasks
        # Insertion-ordered: the first finished task found is the oldest one.
        self._tasks: dict[str, TaskRecord] = {}
        self.lock = threading.RLock()
        self.evicted = 0

    def get(self, task_id: str) -> TaskRecord | None:
        return self._tasks.get(task_id)

    def add(self, record: TaskRecord, now: float) -> None:
        with self.lock:
            if len(self._tasks) >= self.max_tasks:
                self._evict_one(now)
            self._tasks[record.task_id] = record

    def _evict_one(self, now: float) -> None:
        for task_id, record in self._tasks.items():
            state = state_at(record, now)
            if state not in CANCELLABLE and state != CANCELLING:
                del self._tasks[task_id]
                self.evicted += 1
                return
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

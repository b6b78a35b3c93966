"""The request journal: a bounded ring of what the emulator was asked and answered.

Entries are recorded as tuples (cheap on the hot path) and only turned into JSON
objects when someone reads the journal. Admin requests are not journaled: the
journal is the record of what the *client under test* did.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class JournalEntry:
    seq: int
    time: float  # the emulator clock when the request arrived
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body_size: int
    status: int
    code: int | None  # the envelope code, None for a file body
    fault: str | None = None  # a fault that was injected into this answer, if any
    # The progress state the answer carried (status and cancel routes), even when a
    # fault then replaced the answer: ``fault`` says whether the client saw it.
    state: int | None = None
    received: float | None = None  # wall time (Unix seconds) when the request arrived
    # "request" (what a client asked) or "callback" (a completion callback the emulator
    # POSTed: method/path/query/status are its own, ``callback`` says to whom and how it went).
    kind: str = "request"
    callback: dict | None = None

    def to_json(self) -> dict:
        return {
            "seq": self.seq,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": dict(self.headers),
            "bodySize": self.body_size,
            "status": self.status,
            "code": self.code,
            "fault": self.fault,
            "state": self.state,
            "received": self.received,
            "kind": self.kind,
            **({"callback": self.callback} if self.callback is not None else {}),
        }


class Journal:
    def __init__(self, size: int = 10_000) -> None:
        if size < 0:
            raise ValueError("journal size cannot be negative")
        self.size = size
        # (seq, fields) pairs: a JournalEntry is built only when the journal is read, which keeps
        # recording cheap on the hot path (a frozen dataclass costs microseconds per field set).
        self._entries: deque[tuple[int, dict]] = deque(maxlen=size or None) if size else deque(maxlen=0)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self.dropped = 0  # entries pushed out of the ring

    def record(self, **fields) -> None:
        if not self.size:
            return
        with self._lock:
            if len(self._entries) == self.size:
                self.dropped += 1
            self._entries.append((next(self._seq), fields))

    def entries(self, since: int = 0, limit: int | None = None) -> list[JournalEntry]:
        with self._lock:
            selected = [item for item in self._entries if item[0] > since]
        if limit:
            selected = selected[-limit:]
        return [JournalEntry(seq=seq, **fields) for seq, fields in selected]

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count

    def __len__(self) -> int:
        return len(self._entries)

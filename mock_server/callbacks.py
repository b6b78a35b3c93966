"""Completion callbacks (REFERENCE.md section 1; docs/auth-callbacks-proxy.md).

When a task created with ``callbackURL`` first reaches a final state (2 failed,
3 success, 5 cancelled), the emulator POSTs the Callback Request Struct to that URL:
``{"id", "returnCode", "taskId", "progressCode", "progressDesc", "dataSize",
"downloadUrl"}`` (the last five as in the Status Struct, under the same wire switches,
describing the task at the instant it finished). ``returnCode`` is ``"0"`` for
success, ``"1"`` for failed and ``"2"`` for cancelled. Deleting (6/7) sends nothing:
a task reaches 6 only from a final state, which already had its callback.

Delivery: a 2xx answer is success; anything else (other status, connection error,
timeout) is retried ``backoff``, ``2*backoff``, ... (capped at ``max_backoff``)
seconds of emulator time later, up to ``max_attempts`` attempts in all. Redirects are
not followed and proxy settings from the environment are ignored. Every attempt is a
journal entry of kind ``callback``.

When: ``run_due()`` attempts every callback due at the clock's now, in the calling
thread, and returns when all are done; the admin clock routes and
``RunningEmulator.advance`` call it, so with the manual clock an advance past a
task's end has delivered its callback when the advance returns. Any other movement
of time (the real clock, a direct ``clock.advance()``, the step clock, a delay fault)
is picked up by a background dispatcher thread, which exists only while callbacks are
pending. Nothing here ever runs inside a client's request, and nothing raised by a
delivery escapes.

Only allowlisted hosts get callbacks (``check_url``, at task creation): loopback
(127.0.0.0/8, ::1, localhost) by default, plus ``allow_hosts`` (names, IPs, CIDR
networks, ``*`` for anything). No Flask here.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from .errors import InvalidParameter, StoreFull
from .model import CANCELLED, FAILED, SUCCESS, TaskRecord, finished_at, observe

log = logging.getLogger("dfmock.callbacks")

#: returnCode per final state ("0" = success is documented; the others are dfmock's).
RETURN_CODES = {SUCCESS: "0", FAILED: "1", CANCELLED: "2"}
LOOPBACK_NAMES = ("localhost",)
USER_AGENT = "dfmock-callbacks"


@dataclass(frozen=True, slots=True)
class CallbackSettings:
    allow_hosts: tuple[str, ...] = ()  # beyond loopback: names, IPs, CIDR networks, or "*"
    max_attempts: int = 5
    backoff: float = 1.0  # emulator seconds before the first retry; doubles each time
    max_backoff: float = 60.0
    timeout: float = 5.0  # real seconds per attempt
    max_pending: int = 1000

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.max_pending < 1:
            raise ValueError("callbacks.max_attempts and callbacks.max_pending must be at least 1")
        if not (self.backoff >= 0 and self.max_backoff >= 0 and self.timeout > 0):
            raise ValueError("callbacks.backoff, max_backoff must be >= 0 and timeout > 0")
        for host in self.allow_hosts:
            _allow_entry(host)  # fail early on a bad entry


def _allow_entry(text: str):
    text = text.strip().lower()
    if text == "*":
        return "*"
    try:
        return ipaddress.ip_network(text.strip("[]"), strict=False)
    except ValueError:
        pass
    if not text or any(c in text for c in "/:@ ") or not text.isascii():
        raise ValueError(f"callbacks.allow_hosts: {text!r} is not a host name, IP address or network")
    return text


def host_allowed(host: str, allow_hosts: tuple[str, ...] = ()) -> bool:
    """Whether callbacks may go to ``host`` (loopback always; ``allow_hosts`` besides)."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and address.is_loopback:
        return True
    if address is None and host in LOOPBACK_NAMES:
        return True
    for entry in map(_allow_entry, allow_hosts):
        if entry == "*":
            return True
        if isinstance(entry, str):
            if address is None and host == entry:
                return True
        elif address is not None and address.version == entry.version and address in entry:
            return True
    return False


def check_url(url: str | None, allow_hosts: tuple[str, ...] = ()) -> None:
    """1004 unless ``url`` is an http(s) URL to an allowlisted host."""
    if url is None:
        return
    try:
        parts = urlsplit(url)
        host, scheme = parts.hostname, parts.scheme
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        host, scheme = None, ""
    if host is None or scheme not in ("http", "https"):
        raise InvalidParameter(f"callbackURL: expected an http:// or https:// URL with a host, got {url!r}")
    if not host_allowed(host, allow_hosts):
        raise InvalidParameter(
            f"callbackURL: host {host!r} is not allowed to receive callbacks; the emulator only calls "
            "loopback addresses unless told otherwise (--callback-allow HOST or callbacks.allow_hosts)")


def file_url(base_url: str, channel_id: str, task_id: str, org_id: str) -> str:
    """The ``downloadUrl`` of a task's file (the data-query proxy's path)."""
    return (f"{base_url.rstrip('/')}/channels/read/{quote(channel_id)}/download/{quote(task_id)}"
            f"/data?orgId={quote(org_id, safe='')}")


def callback_body(record: TaskRecord, base_url: str, wire_settings) -> tuple[int, dict]:
    """(final state, Callback Request Struct) of a finished task."""
    from . import wire  # wire imports config, which imports this module

    ended = finished_at(record)
    obs = observe(record, ended if ended is not None else float("inf"))
    url = file_url(base_url, record.channel_id, record.task_id, record.org_id) if obs.from_success else ""
    body: dict[str, Any] = {"id": record.task_id, "returnCode": RETURN_CODES.get(obs.state, "1")}
    body.update(wire.status_struct(record.task_id, obs, url, wire_settings))
    return obs.state, body


@dataclass(slots=True)
class CallbackJob:
    record: TaskRecord
    url: str
    base_url: str
    attempts: int = 0
    next_at: float | None = None  # None: when the task finishes
    outcome: str = "pending"  # pending | delivered | gave-up
    history: list = field(default_factory=list)

    def due_at(self) -> float | None:
        ended = finished_at(self.record)
        if ended is None:
            return None
        return ended if self.next_at is None else max(ended, self.next_at)

    def to_json(self) -> dict:
        return {"taskId": self.record.task_id, "url": self.url, "outcome": self.outcome,
                "attempts": self.attempts, "nextAttemptAt": self.due_at() if self.outcome == "pending" else None,
                "history": list(self.history)}


Post = Callable[[str, bytes, float], int]  # (url, body, timeout) -> HTTP status; raises on failure


def _default_post() -> Post:
    import requests

    session = requests.Session()
    session.trust_env = False  # no proxies from the environment: loopback stays loopback

    def post(url: str, body: bytes, timeout: float) -> int:
        answer = session.post(url, data=body, timeout=timeout, allow_redirects=False,
                              headers={"Content-Type": "application/json", "User-Agent": USER_AGENT})
        answer.close()
        return answer.status_code

    return post


class CallbackDispatcher:
    """The callbacks of one emulator: scheduled at creation, delivered when due."""

    DONE_KEPT = 200  # finished jobs kept for GET /__admin/callbacks
    IDLE_EXIT = 1.0  # real seconds a worker waits with nothing due before it exits (manual clocks)
    REAL_POLL = 0.25  # real seconds between checks on a real clock (a cancel moves an end earlier)

    def __init__(self, settings: CallbackSettings, clock, journal, wire_settings, *,
                 post: Post | None = None, background: bool = True) -> None:
        self.settings = settings
        self.clock = clock
        self.journal = journal
        self.wire = wire_settings
        self._post = post
        self.background = background
        self._jobs: dict[str, CallbackJob] = {}
        self._done: deque[CallbackJob] = deque(maxlen=self.DONE_KEPT)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._run_lock = threading.Lock()  # one delivery round at a time
        self._worker: threading.Thread | None = None
        self._closed = False

    # -- creation --------------------------------------------------------------

    def check_url(self, url: str | None) -> None:
        check_url(url, self.settings.allow_hosts)
        if url is not None and len(self._jobs) >= self.settings.max_pending:
            raise StoreFull(f"{len(self._jobs)} callbacks are waiting to be delivered (the limit); "
                            "try again once some tasks have finished")

    def schedule(self, record: TaskRecord, base_url: str | None) -> None:
        url = getattr(record.request, "callback_url", None)
        if not url:
            return
        job = CallbackJob(record, url, base_url or "http://127.0.0.1")
        record.callback = job
        with self._lock:
            self._jobs[record.task_id] = job
        self.notify()

    # -- delivery --------------------------------------------------------------

    def _due(self, now: float) -> list[CallbackJob]:
        with self._lock:
            due = [(at, job) for job in self._jobs.values() if (at := job.due_at()) is not None and at <= now]
        return [job for _, job in sorted(due, key=lambda item: (item[0], item[1].record.task_id))]

    def run_due(self) -> int:
        """Attempt every callback due now, in this thread; the number of attempts made.
        Each job gets at most one attempt per call (its retry is due later)."""
        if not self._jobs:
            return 0
        made = 0
        with self._run_lock:
            for job in self._due(self.clock.now()):
                self._attempt(job)
                made += 1
        return made

    def _attempt(self, job: CallbackJob) -> None:
        from . import wire

        post = self._post or _default_post()
        self._post = post
        record = job.record
        state, body = callback_body(record, job.base_url, self.wire)
        payload = wire.to_json_bytes(body)
        now = self.clock.now()
        job.attempts += 1
        status, error = 0, None
        try:
            status = int(post(job.url, payload, self.settings.timeout))
        except Exception as exc:  # a callback must never break the emulator
            error = f"{type(exc).__name__}: {exc}"[:300]
        delivered = 200 <= status < 300
        if delivered:
            outcome = "delivered"
        elif job.attempts >= self.settings.max_attempts:
            outcome = "gave-up"
        else:
            outcome = "retry"
            pause = min(self.settings.max_backoff, self.settings.backoff * 2 ** (job.attempts - 1))
            job.next_at = now + pause
        detail = {"taskId": record.task_id, "url": job.url, "attempt": job.attempts,
                  "maxAttempts": self.settings.max_attempts, "outcome": outcome, "error": error,
                  "nextAttemptAt": job.next_at if outcome == "retry" else None, "body": body}
        job.history.append({"at": now, "status": status, "error": error, "outcome": outcome})
        if not delivered:
            log.warning("callback for task %s to %s failed (attempt %d/%d): %s", record.task_id, job.url,
                        job.attempts, self.settings.max_attempts, error or f"HTTP {status}")
        parts = urlsplit(job.url)
        self.journal.record(
            time=now, method="POST", path=parts.path or "/", query=parts.query,
            headers=(("Content-Type", "application/json"), ("User-Agent", USER_AGENT)),
            body_size=len(payload), status=status, code=None,
            fault=None if delivered else (error or f"callback answered HTTP {status}"),
            state=state, received=time.time(), kind="callback", callback=detail,
        )
        if outcome != "retry":
            job.outcome = outcome
            with self._lock:
                self._jobs.pop(record.task_id, None)
                self._done.append(job)

    # -- the background dispatcher ---------------------------------------------

    def notify(self) -> None:
        """Time moved or a job was added: make sure a worker looks (never blocks)."""
        if not self.background or not self._jobs or self._closed:
            return
        with self._wake:
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="dfmock-callbacks", daemon=True)
                self._worker.start()
            else:
                self._wake.notify()

    def _work(self) -> None:
        real = getattr(self.clock, "mode", "manual") == "real"
        idle_since = time.monotonic()
        while True:
            try:
                made = self.run_due()
            except Exception:  # pragma: no cover - _attempt catches delivery errors
                log.exception("callback dispatcher error")
                made = 0
            with self._wake:
                if self._closed or not self._jobs:
                    self._worker = None
                    return
                if made:
                    idle_since = time.monotonic()
                elif not real and time.monotonic() - idle_since > self.IDLE_EXIT:
                    self._worker = None  # notify() starts a new one when time moves
                    return
                self._wake.wait(self._pause(real))

    def _pause(self, real: bool) -> float:
        if not real:
            return self.IDLE_EXIT / 4
        now = self.clock.now()
        times = [at for job in self._jobs.values() if (at := job.due_at()) is not None]
        if not times:
            return self.REAL_POLL
        return max(0.0, min(self.REAL_POLL, (min(times) - now) / getattr(self.clock, "speed", 1.0)))

    # -- admin -----------------------------------------------------------------

    def to_json(self) -> dict:
        with self._lock:
            pending = [job.to_json() for job in self._jobs.values()]
            done = [job.to_json() for job in self._done]
        return {"allowHosts": ["127.0.0.0/8", "::1", "localhost", *self.settings.allow_hosts],
                "maxAttempts": self.settings.max_attempts, "pending": pending, "done": done}

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()
            self._done.clear()

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._jobs.clear()
            self._wake.notify_all()

"""Use cases of the emulator: create, status, cancel/delete, download, channels,
and the admin actions. No Flask here: the HTTP layer parses, calls one method,
and renders. Every random draw comes from the seeded generator, under a lock, so
the same seed and the same requests give the same tasks."""

from __future__ import annotations

import dataclasses
import os
import random
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from .auth import Authenticator
from .callbacks import CallbackDispatcher
from .clock import Clock, make_clock
from .config import ChannelConfig, EmulatorConfig
from .errors import ChannelException, InvalidParameter, NotFound, ParameterEmpty, StateConflict, FileGone
from .faults import FaultSet
from .journal import Journal
from .model import (CANCELLABLE, CANCELLED, CANCELLING, DELETED, DELETING, FINISHED, SUCCESS,
                    Observation, TaskRecord, observe, state_at)
from .requests_in import TaskRequest, parse_create_body
from .store import TaskStore
from .timeline import TimelineError, TimelineSpec

if TYPE_CHECKING:
    from . import datafile

_CHANNEL_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
_TASK_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_MAX_ORG = 128


def check_org(org_id: str | None) -> str:
    if org_id is None or not org_id.strip():
        raise ParameterEmpty("orgId is required: add ?orgId=<your organization id> to the query")
    if len(org_id) > _MAX_ORG or not org_id.isprintable():
        raise InvalidParameter(f"orgId: expected up to {_MAX_ORG} printable characters")
    return org_id


def check_channel_id(channel_id: str) -> str:
    if not _CHANNEL_ID.match(channel_id):
        raise InvalidParameter("channelId: expected 1 to 128 letters, digits, '.', '_' or '-'")
    return channel_id


def check_task_id(task_id: str) -> str:
    if not _TASK_ID.match(task_id):
        raise InvalidParameter("taskId: expected 1 to 64 letters, digits, '_' or '-' (real ids are 32 hex characters)")
    return task_id


@dataclass(frozen=True, slots=True)
class Channel:
    channel_id: str
    org_id: str | None
    channel_type: str
    status: str
    source_name: str
    timeline: TimelineSpec | None

    def to_wire(self) -> dict:
        return {
            "channelId": self.channel_id,
            "channelType": self.channel_type,
            "channelStatus": self.status,
            "dataSource": {"sourceName": self.source_name, "sourceType": "HIVE"},
        }


class Emulator:
    """All state of one emulated gateway: tasks, channels, clock, journal."""

    def __init__(self, config: EmulatorConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.clock = clock or make_clock(self.config.clock, self.config.speed, self.config.clock_start)
        self.seed = self.config.seed if self.config.seed is not None else int.from_bytes(os.urandom(8), "big")
        self.store = TaskStore(self.config.max_tasks)
        self.journal = Journal(self.config.journal_size)
        # Fault rules (mock_server/faults.py); ``faults.active`` is the cheap "any rule?" check.
        self.faults = FaultSet(self.config.faults, seed=self.seed)
        self._rng = random.Random(self.seed)
        self._rng_lock = threading.Lock()
        # A separate stream, so switching requestId on does not change task ids.
        self._request_ids = random.Random(f"{self.seed}/requestId")
        self._declared = self.config.channels is not None
        self._channels: dict[str, Channel] = {}
        # Channels seen in use, per org, when channels are not declared.
        self._used: dict[str, dict[str, None]] = {}
        self._load_channels()
        # The APIM gateway (mock_server/auth.py) and completion callbacks (mock_server/callbacks.py).
        self.auth = Authenticator(self.config.auth, self.clock, seed=self.seed)
        self.callbacks = CallbackDispatcher(self.config.callbacks, self.clock, self.journal, self.config.wire)
        if hasattr(self.clock, "add_listener"):
            self.clock.add_listener(self.callbacks.notify)

    def _load_channels(self) -> None:
        for item in self.config.channels or ():
            self._channels[item.channel_id] = Channel(
                item.channel_id, item.org_id, item.channel_type, item.status, item.source_name, item.timeline)

    # -- lookups -------------------------------------------------------------

    def _channel(self, org_id: str, channel_id: str) -> Channel | None:
        check_channel_id(channel_id)
        if not self._declared:
            return None
        channel = self._channels.get(channel_id)
        if channel is None:
            raise NotFound(f"channel {channel_id} does not exist")
        if channel.org_id is not None and channel.org_id != org_id:
            raise ChannelException(f"channel {channel_id} does not belong to org {org_id}")
        return channel

    def _task(self, org_id: str | None, channel_id: str, task_id: str) -> TaskRecord:
        org_id = check_org(org_id)
        self._channel(org_id, channel_id)
        record = self.store.get(check_task_id(task_id))
        if record is None:
            raise NotFound(f"task {task_id} does not exist")
        if record.org_id != org_id:
            raise ChannelException(f"task {task_id} does not belong to org {org_id}")
        if record.channel_id != channel_id:
            raise NotFound(f"task {task_id} does not exist in channel {channel_id}")
        return record

    def get_task(self, task_id: str) -> TaskRecord:
        record = self.store.get(task_id)
        if record is None:
            raise NotFound(f"task {task_id} does not exist")
        return record

    # -- use cases -----------------------------------------------------------

    def create_task(self, org_id: str | None, channel_id: str, body: Any,
                    timeline: str | Mapping[str, Any] | None = None, base_url: str | None = None) -> TaskRecord:
        """A new task; ``timeline`` (compact or object form) overrides the channel's/global one.
        ``base_url``: the emulator's address as the client saw it (for a callback's downloadUrl)."""
        org_id = check_org(org_id)
        channel = self._channel(org_id, channel_id)
        if channel is not None:
            if channel.channel_type != "READ":
                raise ChannelException(f"channel {channel_id} is a {channel.channel_type} channel; downloads need a READ channel")
            if channel.status != "START":
                raise ChannelException(f"channel {channel_id} is {channel.status}; only a started channel takes new tasks")
        request = parse_create_body(body)
        self.callbacks.check_url(request.callback_url)  # 1004 for a host not on the allowlist
        base = channel.timeline if channel is not None and channel.timeline is not None else self.config.timeline
        try:
            spec = base.with_overrides(timeline)
        except TimelineError as exc:
            raise InvalidParameter(f"timeline: {exc}") from None
        record = self._add(org_id, channel_id, request, spec)
        self.callbacks.schedule(record, self.config.public_base_url or base_url)
        return record

    def _add(self, org_id: str, channel_id: str, request: TaskRequest, spec: TimelineSpec) -> TaskRecord:
        with self._rng_lock:
            now = self.clock.now()
            task_id = f"{self._rng.getrandbits(128):032x}"
            while task_id in self.store:
                task_id = f"{self._rng.getrandbits(128):032x}"
            plan = spec.draw(self._rng)
            content_seed = self._rng.getrandbits(63)
            from . import datafile  # zipfile and friends: loaded with the first create, not at start-up

            size = datafile.fit_size(request.file, request.file_package_name, plan.data_size, self.config.max_file_bytes)
            if size != plan.data_size:
                plan = dataclasses.replace(plan, data_size=size)
            record = TaskRecord(task_id, org_id, channel_id, now, plan, request, content_seed)
            if self.config.wire.cancel_answer == "cancelled":
                record.cancelling = 0.0  # a gateway that reports cancels as done has no cancelling phase
            self.store.add(record, now)
            if not self._declared:
                self._used.setdefault(org_id, {})[channel_id] = None
        return record

    def status(self, org_id: str | None, channel_id: str, task_id: str) -> tuple[TaskRecord, Observation]:
        record = self._task(org_id, channel_id, task_id)
        # The step clock moves here, explicitly, and only for status reads.
        self.clock.before_status_read()
        return record, observe(record, self.clock.now())

    def cancel_or_delete(self, org_id: str | None, channel_id: str, task_id: str) -> tuple[TaskRecord, int]:
        """The DELETE route: cancel an unfinished task, delete a finished one,
        and leave a cancelling/deleting/deleted one as it is. Returns the state to report."""
        record = self._task(org_id, channel_id, task_id)
        with self.store.lock:
            now = self.clock.now()
            state = state_at(record, now)
            if state in CANCELLABLE:
                record.cancel_at = now
                self.store.note_cancel()  # it may now finish sooner: the store's eviction must know
                return record, CANCELLED if self.config.wire.cancel_answer == "cancelled" else CANCELLING
            if state in FINISHED:
                record.delete_at = now
                return record, DELETING
            return record, state

    def admin_cancel(self, task_id: str) -> TaskRecord:
        """A cancel by another party: only a waiting or running task can be cancelled."""
        record = self.get_task(task_id)
        with self.store.lock:
            now = self.clock.now()
            state = state_at(record, now)
            if state not in CANCELLABLE:
                raise StateConflict(f"task {task_id} is {_name(state)}; only a waiting or running task can be cancelled")
            record.cancel_at = now
            self.store.note_cancel()
        return record

    def admin_delete(self, task_id: str) -> TaskRecord:
        """A delete by another party: only a finished task can be deleted."""
        record = self.get_task(task_id)
        with self.store.lock:
            now = self.clock.now()
            state = state_at(record, now)
            if state not in FINISHED:
                raise StateConflict(f"task {task_id} is {_name(state)}; only a failed, successful or cancelled task can be deleted")
            record.delete_at = now
        return record

    def open_file(self, org_id: str | None, channel_id: str, task_id: str) -> datafile.DataFile:
        record = self._task(org_id, channel_id, task_id)
        obs = observe(record, self.clock.now())
        if obs.state in (DELETING, DELETED):
            raise FileGone(f"the file of task {task_id} was deleted")
        if obs.state != SUCCESS:
            raise StateConflict(f"task {task_id} is {_name(obs.state)}; its file exists once the task succeeds")
        request: TaskRequest = record.request  # type: ignore[assignment]
        from . import datafile

        return datafile.build_file(request.file, request.file_package_name, record.plan.data_size, record.content_seed)

    def list_channels(self, org_id: str | None, channel_type: str | None) -> list[dict]:
        org_id = check_org(org_id)
        if channel_type is not None and channel_type not in ("READ", "WRITE", "DOWNLOAD"):
            raise InvalidParameter("channelType: expected READ, WRITE or DOWNLOAD")
        if self._declared:
            channels = [c for c in self._channels.values() if c.org_id in (None, org_id)]
        else:
            channels = [Channel(cid, org_id, "READ", "START", "hive_enos", None) for cid in self._used.get(org_id, {})]
        return [c.to_wire() for c in channels if channel_type is None or c.channel_type == channel_type]

    def next_request_id(self) -> str:
        with self._rng_lock:
            return f"{self._request_ids.getrandbits(128):032x}"

    def reset(self) -> None:
        """Back to a fresh start: no tasks, empty journal, the generator re-seeded.
        The clock is kept (a test may hold a reference to it)."""
        with self._rng_lock:
            self.store.clear()
            self.journal.clear()
            self._rng = random.Random(self.seed)
            self._request_ids = random.Random(f"{self.seed}/requestId")
            self._used.clear()
        self.faults.clear(keep=self.config.faults)
        self.auth.reset()
        self.callbacks.clear()


def _name(state: int) -> str:
    from .model import STATE_NAMES
    return STATE_NAMES[state]

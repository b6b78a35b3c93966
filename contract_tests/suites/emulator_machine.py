"""A Hypothesis state machine that drives an emulator through its real routes and
its admin API, checking every answer with the validator and every task's history
with the lifecycle checker.

It speaks HTTP only (any kit target), so it runs in-process on a WSGI app or
against a ``dfmock serve --clock manual`` process; the kit never imports
``mock_server``. Subclass it (or call ``emulator_machine``) with a way to make a
fresh target and the wire settings the emulator was started with:

    from contract_tests.suites.emulator_machine import emulator_machine
    from contract_tests.targets import WsgiTarget
    from mock_server import EmulatorConfig, create_app

    Machine = emulator_machine(lambda seed: WsgiTarget(create_app(EmulatorConfig(clock="manual", seed=seed))),
                               profile="sample")
    TestEmulator = Machine.TestCase

Rules: create (generated bodies, generated timelines in the ``X-Dfmock-Timeline``
header), poll, advance the manual clock, cancel (DELETE), delete by another party
(``POST /__admin/tasks/{id}/delete``), download. Checks:

- every answer is valid for its kind under ``profile``; refusals carry the
  documented code (81409 before success or for an unfinished task, 81410 once
  the file is deleted) with the HTTP status ``error_status`` implies;
- each poll agrees with the admin view at the same instant (its state, and the
  state its planned ``timeline`` gives for that instant);
- a DELETE answers what the state before it implies (4 or 5, 6, or no change);
- a download is exactly the ``dataSize`` seen at success, whose value is the plan's;
- after each rule and at the end, each task's observations form a possible life
  (sparse), the admin timeline a complete one (dense), and every poll made at an
  instant without a later event agrees with the final timeline.

Callback URLs are dropped from generated bodies: callbacks are another suite's
business, and the machine must not reach out to the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from hypothesis import event, strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, precondition, rule

from ..states import (CANCELLED, CANCELLING, DELETED, DELETING, FAILED, RUNNING, SUCCESS, WAITING, byte_count)
from ..strategies import channel_ids, create_requests, org_ids
from ..timelines import fixed_timelines, timelines
from .checks import ContractFailure, assert_lifecycle, assert_refused, assert_success, state_of, status_struct

CANCELLABLE = (WAITING, RUNNING)
FINISHED = (FAILED, SUCCESS, CANCELLED)
GONE = (DELETING, DELETED)

#: Timelines a machine uses: none (the emulator's default), fixed whole seconds, or
#: anything the grammar allows (ranges, weights, retention); small files.
MAX_FILE_BYTES = 32 * 1024
TIMELINES = st.one_of(
    st.none(),
    fixed_timelines(max_seconds=20, max_bytes=MAX_FILE_BYTES).map(lambda t: t.compact()),
    timelines(max_ms=20_000, max_bytes=MAX_FILE_BYTES),
    st.just("waiting:0s,running:0s,success,size:100,deleting:0s"),
)
ORGS = st.sampled_from(["o15504722874071", "o10000000000002"]) | org_ids()
CHANNELS = st.just("ch-dee0c5") | channel_ids()
ADVANCES = st.sampled_from([0, 0.5, 1, 2, 3, 5, 8, 13, 30]) | st.integers(0, 25)


@dataclass
class TaskHistory:
    task_id: str
    org: str
    channel: str
    observations: list[dict] = field(default_factory=list)  # structs and DELETE answers' data, in order
    polls: list[tuple[float, int]] = field(default_factory=list)  # (clock time, state) of each poll
    success: dict | None = None  # the first success struct seen
    download_url: str | None = None
    downloaded: bool = False  # the file was fetched and measured once (files are deterministic)


def _timeline_state(timeline: list[dict], now: float) -> int:
    """The state the admin view's planned timeline gives at ``now``."""
    state = WAITING
    for segment in timeline:
        if segment["at"] <= now:
            state = segment["state"]
    return state


class EmulatorMachine(RuleBasedStateMachine):
    """Override ``make_target(seed)``; set ``profile``, ``cancel_answer`` and
    ``error_status`` to the emulator's wire settings (docs/wire-format.md)."""

    profile = "lenient"
    cancel_answer = "cancelling"
    error_status = "http"
    max_tasks = 4

    tasks = Bundle("tasks")

    def make_target(self, seed: int):  # pragma: no cover - abstract
        raise NotImplementedError("return a kit target of a fresh emulator on a manual clock")

    # -- helpers -------------------------------------------------------------------

    def _admin(self, method: str, path: str, body: Any = None):
        return self.target.request(method, "/__admin" + path, json=body)

    def _admin_view(self, task_id: str) -> dict:
        response = self._admin("GET", f"/tasks/{task_id}")
        if response.status != 200:
            raise ContractFailure(f"admin view of {task_id}: HTTP {response.status} {response.body[:200]!r}")
        return response.json()

    def _now(self) -> float:
        return self._admin("GET", "/clock").json()["now"]

    def _status(self, http_status: int) -> int:
        return http_status if self.error_status == "http" else 200

    def _record(self, history: TaskHistory, struct: dict) -> None:
        history.observations.append(struct)
        assert_lifecycle(history.task_id, history.observations)

    # -- rules ---------------------------------------------------------------------

    @initialize(target=tasks, seed=st.integers(0, 2**16), body=create_requests(), timeline=TIMELINES,
                org=ORGS, channel=CHANNELS)
    def start(self, seed: int, body: dict, timeline: str | None, org: str, channel: str) -> str:
        """A fresh emulator and its first task (so that every rule has a task to act on)."""
        self.target = self.make_target(seed)
        self.histories: dict[str, TaskHistory] = {}
        return self._create(body, timeline, org, channel)

    @precondition(lambda self: len(self.histories) < self.max_tasks)
    @rule(target=tasks, body=create_requests(), timeline=TIMELINES, org=ORGS, channel=CHANNELS)
    def create(self, body: dict, timeline: str | None, org: str, channel: str) -> str:
        return self._create(body, timeline, org, channel)

    def _create(self, body: dict, timeline: str | None, org: str, channel: str) -> str:
        body = {k: v for k, v in body.items() if k != "callbackURL"}
        response = self.target.create_task(org, channel, body, timeline=timeline)
        task_id = assert_success(response, "create-answer", self.profile)["data"]["taskId"]
        if task_id in self.histories:
            raise ContractFailure(f"task id {task_id} issued twice")
        self.histories[task_id] = TaskHistory(task_id, org, channel)
        view = self._admin_view(task_id)
        assert view["state"] == WAITING or view["plan"]["waiting"] == 0, view
        return task_id

    @rule(task_id=tasks)
    def poll(self, task_id: str) -> None:
        self._poll(self.histories[task_id])

    def _poll(self, history: TaskHistory) -> int:
        response = self.target.get_status(history.org, history.channel, history.task_id)
        body = assert_success(response, "status-answer", self.profile, task_id=history.task_id)
        struct = status_struct(body)
        state = state_of(struct)
        view, now = self._admin_view(history.task_id), self._now()
        if view["state"] != state or _timeline_state(view["timeline"], now) != state:
            raise ContractFailure(f"poll of {history.task_id} at {now} saw {state}; the admin view says "
                                  f"{view['state']}, its timeline {view['timeline']}")
        history.polls.append((now, state))
        if state == SUCCESS:
            size = byte_count(struct.get("dataSize"))
            if size != view["plan"]["dataSize"]:
                raise ContractFailure(f"success dataSize {struct.get('dataSize')!r}, planned {view['plan']['dataSize']}")
            if history.success is None:
                history.success, history.download_url = struct, struct["downloadUrl"]
        self._record(history, struct)
        return state

    @rule(seconds=ADVANCES)
    def advance(self, seconds: float) -> None:
        before = self._now()
        response = self._admin("POST", "/clock/advance", {"seconds": seconds})
        assert response.status == 200, response.body
        assert response.json()["now"] == before + seconds

    @rule(task_id=tasks)
    def cancel(self, task_id: str) -> None:
        history = self.histories[task_id]
        before = self._admin_view(task_id)["state"]
        response = self.target.cancel(history.org, history.channel, task_id)
        answer = assert_success(response, "cancel-answer", self.profile, task_id=task_id)
        said = state_of(answer["data"])
        if before in CANCELLABLE:
            expected = CANCELLING if self.cancel_answer == "cancelling" else CANCELLED
        elif before in FINISHED:
            expected = DELETING
        else:
            expected = before
        if said != expected:
            raise ContractFailure(f"DELETE of a task in state {before} answered {said}, expected {expected}")
        event(f"DELETE in state {before}")
        self._record(history, answer["data"])

    @rule(task_id=tasks)
    def delete_by_other_party(self, task_id: str) -> None:
        before = self._admin_view(task_id)["state"]
        response = self._admin("POST", f"/tasks/{task_id}/delete")
        event(f"other party deletes in state {before}")
        if before in FINISHED:
            assert response.status == 200, response.body
            assert response.json()["state"] in GONE
        else:  # the admin API always speaks plain HTTP statuses
            assert_refused(response, 81409, self.profile, http_status=409)

    @rule(task_id=tasks)
    def download(self, task_id: str) -> None:
        history = self.histories[task_id]
        state = self._poll(history)  # the client looks first, as a client does
        event(f"download in state {state}")
        if state == SUCCESS:
            if history.downloaded:
                return  # measured once already; building a file is the costly step
            history.downloaded = True
            response = self.target.fetch_url(history.download_url)
            if response.status != 200:
                raise ContractFailure(f"download of a successful task: HTTP {response.status} {response.body[:200]!r}")
            size = byte_count(history.success["dataSize"])
            if len(response.body) != size:
                raise ContractFailure(f"downloaded {len(response.body)} bytes; dataSize at success said {size}")
            return
        if history.download_url is not None:
            response = self.target.fetch_url(history.download_url)
        else:
            response = self.target.download(history.org, history.channel, task_id)
        if state in GONE:
            assert_refused(response, 81410, self.profile, http_status=self._status(410))
        else:
            assert_refused(response, 81409, self.profile, http_status=self._status(409))

    def teardown(self) -> None:
        for history in getattr(self, "histories", {}).values():
            assert_lifecycle(history.task_id, history.observations)
            view = self._admin_view(history.task_id)
            life = [{"taskId": history.task_id, "progressCode": s["state"]} for s in view["timeline"]]
            assert_lifecycle(history.task_id, life, dense=True)
            events = {view["events"]["cancelAt"], view["events"]["deleteAt"]}
            for at, state in history.polls:
                if at not in events and _timeline_state(view["timeline"], at) != state:
                    raise ContractFailure(f"task {history.task_id}: a poll at {at} saw {state}; the final "
                                          f"timeline says {_timeline_state(view['timeline'], at)}")


def emulator_machine(make_target: Callable[[int], Any], *, profile: str = "lenient",
                     cancel_answer: str = "cancelling", error_status: str = "http",
                     name: str = "EmulatorMachine") -> type[EmulatorMachine]:
    """A machine class over ``make_target(seed)``; use its ``TestCase`` in a test module."""
    return type(name, (EmulatorMachine,), {
        "make_target": lambda self, seed: make_target(seed),
        "profile": profile, "cancel_answer": cancel_answer, "error_status": error_status,
    })


__all__ = ["EmulatorMachine", "TaskHistory", "emulator_machine"]

"""Scenarios: what one run of a client under test faces, as plain data.

A scenario fixes the task's timeline (in seconds of the emulator's ``step`` clock,
which moves 1 s per status read, so a client sees the same states whatever its
sleep), the wire-format switches, the faults aimed at the task, and what another
party does mid-flight. It round-trips through JSON, which is what ``--replay`` takes.

The recoverable budget (what a correct client must survive): at most
``MAX_FAULTS_PER_ROUTE`` fault rules per route, each firing once, so no request
fails more than 3 times in a row; a 429 carries ``Retry-After``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

MAX_FAULTS_PER_ROUTE = 3
SIZES = (100, 0, 1, 2200, 12345, 70_000)
WIRE = {
    "numbers": ("string", "integer"),
    "data_shape": ("object", "list"),
    "before_success": ("progress", "empty", "null", "omit"),
    "cancel_answer": ("cancelling", "cancelled"),
}
#: Faults whose answer replaces the real one (the order is the shrink order: simplest first).
FAILING_FAULTS = ("503", "500", "502", "429", "drop", "empty", "truncate", "nonjson")
AUTH_FAULTS = ("apim:4011", "apim:4012")
STALL = "stall:20ms"
EXIT_MEANINGS = {0: "succeeded, file written", 3: "the task failed", 4: "the task was cancelled",
                 5: "the task was deleted before the download"}


@dataclass(frozen=True)
class Scenario:
    waiting: int = 0  # seconds of the step clock (1 s per status read)
    running: int = 1
    outcome: str = "success"
    size: int = 100
    numbers: str = "string"
    data_shape: str = "object"
    before_success: str = "progress"
    cancel_answer: str = "cancelling"
    faults: tuple[str, ...] = ()  # compact fault rules aimed at the task (mock_server/faults.py grammar)
    other_party: str | None = None  # "cancel@nth:K" (K-th status read) or "delete@on:success"
    auth: bool = False
    seed: int = 0

    def timeline(self) -> str:
        return (f"waiting:{self.waiting}s,running:{self.running}s,{self.outcome},size:{self.size},"
                "cancelling:1s,deleting:1s")

    def wire(self) -> dict:
        return {name: getattr(self, name) for name in WIRE}

    def task_faults(self) -> list[str]:
        return [*self.faults, *([self.other_party] if self.other_party else [])]

    def to_json(self, minimal: bool = False) -> str:
        """JSON of every field, or (``minimal``) of the fields that differ from the defaults."""
        data = dataclasses.asdict(self)
        data["faults"] = list(self.faults)
        if minimal:
            default = dataclasses.asdict(Scenario())
            default["faults"] = []
            data = {k: v for k, v in data.items() if v != default[k]}
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | dict) -> "Scenario":
        data: Any = json.loads(text) if isinstance(text, str) else dict(text)
        if not isinstance(data, dict):
            raise ValueError("a scenario is a JSON object")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown scenario field(s): {', '.join(sorted(unknown))}")
        if "faults" in data:
            data["faults"] = tuple(data["faults"])
        return cls(**data)

    def describe(self) -> list[str]:
        wire = " ".join(f"{k}={v}" for k, v in self.wire().items())
        return [
            f"timeline     {self.timeline()}   (step clock: 1 s per status read)",
            f"wire         {wire}",
            f"faults       {'; '.join(self.faults) if self.faults else 'none'}",
            f"other party  {self.other_party or 'none'}",
            f"auth         {'on' if self.auth else 'off'}",
        ]


def within_budget(faults: tuple[str, ...]) -> bool:
    per_route: dict[str, int] = {}
    for rule in faults:
        if rule.startswith("stall"):
            continue
        route = rule.rpartition("/")[2] if "/" in rule else "status"
        per_route[route] = per_route.get(route, 0) + 1
    return all(count <= MAX_FAULTS_PER_ROUTE for count in per_route.values())


def _retry_after_text(seconds: float) -> str:
    return f"{seconds:g}s" if seconds >= 1 else f"{seconds * 1000:g}ms"


@st.composite
def _fault(draw, retry_after: float, auth: bool) -> str:
    kinds = list(FAILING_FAULTS) + ([*AUTH_FAULTS] if auth else []) + [STALL]
    kind = draw(st.sampled_from(kinds))
    if kind == "429":
        kind = f"429:{_retry_after_text(retry_after)}"
    route = draw(st.sampled_from(("status", "data")))
    if route == "data":
        return f"{kind}@nth:{draw(st.integers(1, 3))}/data"
    trigger = draw(st.one_of(st.integers(1, 8).map(lambda n: f"nth:{n}"),
                             st.sampled_from(("on:running", "on:success"))))
    return f"{kind}@{trigger}/status"


def scenarios(*, retry_after: float = 1.0, auth: bool = False, max_faults: int = 4) -> st.SearchStrategy[Scenario]:
    """Scenarios within the recoverable budget. ``auth``: also draw auth on/off (and
    token-expiry faults when on); ``retry_after``: the Retry-After of 429 faults."""

    @st.composite
    def build(draw) -> Scenario:
        outcome = draw(st.sampled_from(("success", "failed")))
        use_auth = draw(st.booleans()) if auth else False
        faults = draw(st.lists(_fault(retry_after, use_auth), max_size=max_faults).filter(
            lambda items: within_budget(tuple(items))))
        others = [st.none(), st.integers(1, 6).map(lambda k: f"cancel@nth:{k}")]
        if outcome == "success":
            others.append(st.just("delete@on:success"))
        return Scenario(
            waiting=draw(st.integers(0, 4)),
            running=draw(st.integers(1, 6)),
            outcome=outcome,
            size=draw(st.sampled_from(SIZES)),
            numbers=draw(st.sampled_from(WIRE["numbers"])),
            data_shape=draw(st.sampled_from(WIRE["data_shape"])),
            before_success=draw(st.sampled_from(WIRE["before_success"])),
            cancel_answer=draw(st.sampled_from(WIRE["cancel_answer"])),
            faults=tuple(faults),
            other_party=draw(st.one_of(*others)),
            auth=use_auth,
            seed=draw(st.integers(0, 2**16)),
        )

    return build()


@dataclass
class Expectation:
    """What a correct client must do, known once the run is over (from the task's record)."""

    exit_code: int
    reason: str = field(default="")

    @property
    def meaning(self) -> str:
        return EXIT_MEANINGS[self.exit_code]


def expected_exit(task_detail: dict) -> Expectation:
    """The exit status a correct client reports, from the task's final record
    (``GET /__admin/tasks/{id}``): a cancel by another party wins, then a delete of a
    successful task before the download, then the planned outcome."""
    events = task_detail.get("events") or {}
    outcome = task_detail["plan"]["outcome"]
    if events.get("cancelAt") is not None:
        return Expectation(4, "another party cancelled the task while it was unfinished")
    if events.get("deleteAt") is not None and outcome == "success":
        return Expectation(5, "another party deleted the task when it succeeded, before any download")
    if outcome == "failed":
        return Expectation(3, "the timeline ends in failed")
    return Expectation(0, "the timeline ends in success")

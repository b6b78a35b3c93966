"""Faults: rules that make a route misbehave, so a client's error handling can be tested.

A rule is an *action* (what goes wrong), a *trigger* (when) and a *route* (where),
optionally scoped to one task. Compact form (config files, admin API, the
``X-Dfmock-Faults`` header at task creation), rules separated by ``;``::

    ACTION[@TRIGGER][/ROUTE]
    503@nth:2             the 2nd status read answers 503
    429:2s@every:3        every 3rd status read answers 429 with Retry-After: 2
    drop@on:success/status  the poll that would reveal success loses its connection
    truncate@once/data    the first file download is cut short
    delay:1s..3s@prob:0.1 one status read in ten is answered late (drawn, seeded)

Actions: ``500`` ``502`` ``503`` ``504`` (optionally ``:RETRY_AFTER``), ``429[:RETRY_AFTER]``
(Retry-After 1s unless given), ``drop`` (close the connection, no answer), ``empty``
(200, no body), ``truncate`` (the body cut in half under the full Content-Length),
``nonjson`` (200 with an HTML page), ``apim:4011`` / ``apim:4012`` (gateway token
expiry), ``delay:D`` (answer after D of emulated time: a real sleep on the real
clock, a clock advance on manual/step clocks), ``stall:D`` (always a real sleep; keep
D small), and ``cancel`` / ``delete`` (another party cancels or deletes the task
right after this request was answered; the answer itself is normal).

Triggers: ``once`` (the default: the first matching request), ``always``,
``nth:N``, ``every:N``, ``prob:P`` (drawn from the emulator's seed), and
``on:STATE`` (the first status read of a task that shows STATE, by name or code:
``on:running`` is the first poll after the task turned running, ``on:success``
the poll that would reveal success). Routes: ``status`` (default), ``create``,
``cancel``, ``data``, ``channels``, ``token``, ``any``.

The real answer is computed first (a faulted status read still moves the step clock
and a faulted cancel still cancels: the gateway lost the answer, not the request),
then the rule decides. No Flask here: ``FaultLayer`` is plain WSGI, sitting just
inside the journaling wrapper; ``FaultSet.active`` is the cheap check a fast path
reads to know it must defer to this layer.
"""

from __future__ import annotations

import itertools
import random
import re
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping

from .model import STATE_NAMES
from .units import UnitError, parse_duration

ROUTES = ("status", "create", "cancel", "data", "channels", "token", "any")
STATUS_ACTIONS = (500, 502, 503, 504, 429)
PLAIN_ACTIONS = ("drop", "empty", "truncate", "nonjson", "cancel", "delete")
#: Actions after which the client still got the real answer.
PASS_THROUGH = ("delay", "stall", "cancel", "delete")

FAULTS_HEADER = "X-Dfmock-Faults"
#: Bound on task-scoped rules kept, and on tasks an on:STATE rule remembers.
MAX_REMEMBERED = 10_000
STATE_KEY = "dfmock.state"  # the progress state a status/cancel answer showed (set by the handler)
FAULT_KEY = "dfmock.fault"  # the fault applied to this request (read by the journal)


class FaultError(ValueError):
    """A fault rule that cannot be read; the message names the rule and what was expected."""


@dataclass(frozen=True, slots=True)
class FaultRule:
    action: str  # "status", "delay", "stall", "apim" or one of PLAIN_ACTIONS
    trigger: str = "once"  # once | always | nth | every | prob | on
    route: str = "status"
    http_status: int | None = None
    retry_after: float | None = None
    delay: tuple[float, float] | None = None  # uniform [low, high] seconds
    apim_status: int | None = None
    n: int | None = None  # nth / every
    p: float | None = None  # prob
    state: int | None = None  # on:STATE
    times: int | None = None  # fire at most this many times (None: no cap)
    task_id: str | None = None  # scoped to one task

    def compact(self) -> str:
        if self.action == "status":
            text = str(self.http_status)
            if self.retry_after is not None and (self.http_status != 429 or self.retry_after != 1.0):
                text += f":{_seconds_text(self.retry_after)}"
        elif self.action in ("delay", "stall"):
            low, high = self.delay or (0.0, 0.0)
            text = f"{self.action}:{_seconds_text(low)}" + (f"..{_seconds_text(high)}" if high != low else "")
        elif self.action == "apim":
            text = f"apim:{self.apim_status}"
        else:
            text = self.action
        trigger = {"once": "once", "always": "always", "nth": f"nth:{self.n}", "every": f"every:{self.n}",
                   "prob": f"prob:{self.p:g}" if self.p is not None else "",
                   "on": f"on:{STATE_NAMES[self.state]}" if self.state is not None else ""}[self.trigger]
        return f"{text}@{trigger}/{self.route}"

    def to_json(self) -> dict:
        return {"fault": self.compact(), "route": self.route, "times": self.times, "task": self.task_id}


def _seconds_text(value: float) -> str:
    return f"{value:g}s" if value >= 1 or value == 0 else f"{value * 1000:g}ms"


def _duration(text: str, rule: str) -> float:
    try:
        return parse_duration(text)
    except UnitError as exc:
        raise FaultError(f"{rule!r}: {exc}") from None


def _range(text: str, rule: str) -> tuple[float, float]:
    low_text, _, high_text = text.partition("..")
    low = _duration(low_text, rule)
    high = _duration(high_text, rule) if high_text else low
    if high < low:
        raise FaultError(f"{rule!r}: the range {text!r} has its low end above its high end")
    return low, high


_RULE = re.compile(r"^(?P<action>[^@/]+)(?:@(?P<trigger>[^/]+))?(?:/(?P<route>[a-z]+))?$")


def parse_rule(text: str, *, task_id: str | None = None, times: int | None = None) -> FaultRule:
    """One rule from its compact form."""
    rule = text.strip()
    match = _RULE.match(rule.replace(" ", ""))
    if not match:
        raise FaultError(f"cannot read fault {rule!r}: expected ACTION[@TRIGGER][/ROUTE], e.g. 503@nth:2/status")
    kwargs: dict[str, Any] = _action(match["action"], rule)
    kwargs.update(_trigger(match["trigger"] or "once", rule))
    route = match["route"] or "status"
    if route not in ROUTES:
        raise FaultError(f"{rule!r}: unknown route {route!r}; use one of {', '.join(ROUTES)}")
    if kwargs.get("trigger") == "on" and route != "status":
        raise FaultError(f"{rule!r}: on:STATE triggers only apply to the status route")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise FaultError(f"{rule!r}: times must be a whole number of at least 1")
    return FaultRule(route=route, times=times, task_id=task_id, **kwargs)


def _action(text: str, rule: str) -> dict[str, Any]:
    name, _, arg = text.lower().partition(":")
    if name.isdigit():
        status = int(name)
        if status not in STATUS_ACTIONS:
            raise FaultError(f"{rule!r}: HTTP status faults are {', '.join(map(str, STATUS_ACTIONS))}")
        retry_after = _duration(arg, rule) if arg else (1.0 if status == 429 else None)
        return {"action": "status", "http_status": status, "retry_after": retry_after}
    if name in ("delay", "stall"):
        if not arg:
            raise FaultError(f"{rule!r}: {name} needs a duration, e.g. {name}:500ms or {name}:1s..3s")
        return {"action": name, "delay": _range(arg, rule)}
    if name == "apim":
        code = int(arg) if arg.isdigit() else 4011 if not arg else 0
        if code not in (4011, 4012):
            raise FaultError(f"{rule!r}: apim faults answer apim_status 4011 or 4012")
        return {"action": "apim", "apim_status": code}
    if name in PLAIN_ACTIONS and not arg:
        return {"action": name}
    raise FaultError(f"{rule!r}: unknown fault {text!r}; use 500, 502, 503, 504, 429[:Retry-After], "
                     "drop, empty, truncate, nonjson, apim:4011|4012, delay:D, stall:D, cancel or delete")


def _trigger(text: str, rule: str) -> dict[str, Any]:
    name, _, arg = text.lower().partition(":")
    if name in ("once", "always") and not arg:
        return {"trigger": name}
    if name in ("nth", "every"):
        if not arg.isdigit() or int(arg) < 1:
            raise FaultError(f"{rule!r}: {name} needs a whole number of at least 1, e.g. {name}:3")
        return {"trigger": name, "n": int(arg)}
    if name == "prob":
        try:
            p = float(arg)
        except ValueError:
            p = -1.0
        if not 0 <= p <= 1:
            raise FaultError(f"{rule!r}: prob needs a probability between 0 and 1, e.g. prob:0.1")
        return {"trigger": "prob", "p": p}
    if name == "on":
        state = int(arg) if arg.isdigit() else STATE_NAMES.index(arg) if arg in STATE_NAMES else -1
        if not 0 <= state < len(STATE_NAMES):
            raise FaultError(f"{rule!r}: on needs a state name or code, e.g. on:running or on:3")
        return {"trigger": "on", "state": state}
    raise FaultError(f"{rule!r}: unknown trigger {text!r}; use once, always, nth:N, every:N, prob:P or on:STATE")


def parse_rules(spec: Any, *, task_id: str | None = None) -> list[FaultRule]:
    """Rules from a compact string (``;``-separated), an object, or a list of either.

    Object form: ``{"fault": "503", "when": "nth:2", "route": "status", "times": 3, "task": id}``
    (only ``fault`` is required)."""
    if spec is None:
        return []
    if isinstance(spec, str):
        return [parse_rule(part, task_id=task_id) for part in spec.split(";") if part.strip()]
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"fault", "when", "route", "times", "task"}
        if unknown or not isinstance(spec.get("fault"), (str, int)):
            raise FaultError(f"a fault object has a 'fault' (e.g. \"503\") and optionally 'when', 'route', "
                             f"'times', 'task'; got {dict(spec)!r}")
        text = str(spec["fault"])
        for key, sep in (("when", "@"), ("route", "/")):
            if spec.get(key) is not None:
                if not isinstance(spec[key], str):
                    raise FaultError(f"fault {text!r}: '{key}' must be a string")
                text += sep + spec[key]
        task = spec.get("task", task_id)
        if task is not None and not isinstance(task, str):
            raise FaultError(f"fault {text!r}: 'task' must be a task id")
        return [parse_rule(text, task_id=task, times=spec.get("times"))]
    if isinstance(spec, (list, tuple)):
        return [rule for item in spec for rule in parse_rules(item, task_id=task_id)]
    raise FaultError(f"faults are a compact string, an object or a list, not {type(spec).__name__}")


@dataclass(slots=True)
class _Installed:
    rule_id: str
    rule: FaultRule
    seq: int = 0  # installation order: the first rule to replace an answer wins
    seen: int = 0  # matching requests so far
    fired: int = 0
    fired_tasks: dict = field(default_factory=dict)  # tasks an on:STATE rule fired for (oldest first)

    def to_json(self) -> dict:
        return {"id": self.rule_id, **self.rule.to_json(), "matched": self.seen, "fired": self.fired}


@dataclass(frozen=True, slots=True)
class Decision:
    """A rule that fired on one request: what to do, and the text the journal records."""

    rule: FaultRule
    rule_id: str
    seconds: float = 0.0  # the drawn delay, for delay/stall

    @property
    def label(self) -> str:
        text = self.rule.compact()
        if self.rule.action in ("delay", "stall") and self.rule.delay and self.rule.delay[0] != self.rule.delay[1]:
            text += f" ({_seconds_text(self.seconds)})"
        return f"{self.rule_id} {text}"


class FaultSet:
    """The rules in force in one emulator, with their counters. Thread-safe.

    ``active`` is a plain attribute kept in sync under the lock: a fast path may read
    it without locking and must hand the request to the full path when it is true.
    Task-scoped rules are indexed by task, so a request only looks at the global
    rules and its own task's; at most ``MAX_REMEMBERED`` tasks keep rules (the oldest
    go first: their tasks are long finished or evicted).
    """

    def __init__(self, rules: Iterable[FaultRule] = (), seed: int | str = 0,
                 sleep: Callable[[float], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._global: dict[str, _Installed] = {}
        self._by_task: dict[str, dict[str, _Installed]] = {}  # oldest task first
        self._ids = itertools.count(1)
        self._seed = seed
        self._rng = random.Random(f"{seed}/faults")
        #: Sleeps for ``stall`` (and ``delay`` on a real clock); tests may replace it.
        self.sleep: Callable[[float], None] = sleep or time.sleep
        self.active = False
        self.add(rules)

    def _sync(self) -> None:
        self.active = bool(self._global or self._by_task)

    def _all(self) -> list[_Installed]:
        rules = [*self._global.values(), *(i for task in self._by_task.values() for i in task.values())]
        return sorted(rules, key=lambda i: i.seq)

    def add(self, rules: Iterable[FaultRule]) -> list[str]:
        with self._lock:
            ids = []
            for rule in rules:
                seq = next(self._ids)
                installed = _Installed(f"f{seq}", rule, seq)
                if rule.task_id is None:
                    self._global[installed.rule_id] = installed
                else:
                    self._by_task.setdefault(rule.task_id, {})[installed.rule_id] = installed
                ids.append(installed.rule_id)
            while len(self._by_task) > MAX_REMEMBERED:
                del self._by_task[next(iter(self._by_task))]
            self._sync()
            return ids

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            found = self._global.pop(rule_id, None) is not None
            for task_id, rules in list(self._by_task.items()):
                if rules.pop(rule_id, None) is not None:
                    found = True
                    if not rules:
                        del self._by_task[task_id]
            self._sync()
            return found

    def clear(self, keep: Iterable[FaultRule] = ()) -> int:
        """Forget every rule (and counter); re-install ``keep`` (the configured ones)."""
        with self._lock:
            count = len(self._all())
            self._global.clear()
            self._by_task.clear()
            self._ids = itertools.count(1)
            self._rng = random.Random(f"{self._seed}/faults")
        self.add(keep)
        return count

    def forget_task(self, task_id: str) -> None:
        with self._lock:
            self._by_task.pop(task_id, None)
            self._sync()

    def to_json(self) -> list[dict]:
        with self._lock:
            return [installed.to_json() for installed in self._all()]

    def _candidates(self, route: str, task_id: str | None) -> list[_Installed]:
        own = self._by_task.get(task_id, {}) if task_id is not None else {}
        rules = [*self._global.values(), *own.values()]
        if own and self._global:
            rules.sort(key=lambda i: i.seq)
        return [i for i in rules if i.rule.route in ("any", route)]

    def wants(self, route: str, task_id: str | None) -> bool:
        """Whether any rule could fire on this request (cheap; no counters move)."""
        if not self.active:
            return False
        with self._lock:
            return bool(self._candidates(route, task_id))

    def decide(self, route: str, task_id: str | None, state: int | None) -> list[Decision]:
        """Count this request against every matching rule; the rules that fire, in order."""
        fired: list[Decision] = []
        with self._lock:
            for installed in self._candidates(route, task_id):
                rule = installed.rule
                installed.seen += 1
                if rule.times is not None and installed.fired >= rule.times:
                    continue
                if not self._triggered(installed, task_id, state):
                    continue
                installed.fired += 1
                seconds = 0.0
                if rule.delay is not None:
                    low, high = rule.delay
                    seconds = low if low == high else self._rng.uniform(low, high)
                fired.append(Decision(rule, installed.rule_id, seconds))
        return fired

    def _triggered(self, installed: _Installed, task_id: str | None, state: int | None) -> bool:
        rule = installed.rule
        if rule.trigger == "always":
            return True
        if rule.trigger == "once":
            return installed.fired == 0
        if rule.trigger == "nth":
            return installed.seen == rule.n
        if rule.trigger == "every":
            return installed.seen % rule.n == 0  # type: ignore[operator]
        if rule.trigger == "prob":
            return self._rng.random() < rule.p  # type: ignore[operator]
        # on:STATE, once per task
        if state != rule.state or task_id in installed.fired_tasks:
            return False
        installed.fired_tasks[task_id] = None
        if len(installed.fired_tasks) > MAX_REMEMBERED:
            del installed.fired_tasks[next(iter(installed.fired_tasks))]
        return True


def scoped(rules: Iterable[FaultRule], task_id: str) -> list[FaultRule]:
    return [replace(rule, task_id=task_id) for rule in rules]

"""Timelines: how a task's life is planned, before any random draw is made.

A ``TimelineSpec`` holds distributions (fixed values or uniform ranges, weighted
outcomes). ``TimelineSpec.draw(rng)`` makes every random choice once, at task
creation, and returns a ``Plan`` of plain numbers that the pure model stores.
Specs layer: built-in defaults <- config ``timeline`` <- channel ``timeline`` <-
per-task header or admin call; each layer only changes the fields it names.

Compact form (``--timeline``, the ``X-Dfmock-Timeline`` header), comma-separated:
``waiting:2s,running:5s,success`` or
``waiting:1s..3s,running:5s,success:0.9|failed:0.1,size:10k..1M,cancelling:1s,deleting:2s,retention:1h``.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from typing import Any, Mapping

from .units import UnitError, format_duration, parse_duration, parse_size

OUTCOMES = ("success", "failed")


class TimelineError(ValueError):
    """A timeline that cannot be read; the message names the item and what was expected."""


@dataclass(frozen=True, slots=True)
class Uniform:
    """A value drawn uniformly from [low, high]; fixed when low == high."""

    low: float
    high: float

    def sample(self, rng: random.Random) -> float:
        if self.low == self.high:
            return self.low
        return rng.uniform(self.low, self.high)

    def sample_int(self, rng: random.Random) -> int:
        if self.low == self.high:
            return int(self.low)
        return rng.randint(int(self.low), int(self.high))

    def as_duration_text(self) -> str:
        if self.low == self.high:
            return format_duration(self.low)
        return f"{format_duration(self.low)}..{format_duration(self.high)}"

    def as_size_text(self) -> str:
        if self.low == self.high:
            return str(int(self.low))
        return f"{int(self.low)}..{int(self.high)}"


def _fixed(value: float) -> Uniform:
    return Uniform(value, value)


@dataclass(frozen=True, slots=True)
class Plan:
    """Every draw of one task's timeline, fixed at creation (seconds and bytes)."""

    waiting: float
    running: float
    outcome: str
    data_size: int
    cancelling: float
    deleting: float
    retention: float | None


@dataclass(frozen=True, slots=True)
class TimelineSpec:
    waiting: Uniform = _fixed(1.0)
    running: Uniform = _fixed(5.0)
    outcome: tuple[tuple[str, float], ...] = (("success", 1.0),)
    data_size: Uniform = _fixed(12345)
    cancelling: Uniform = _fixed(1.0)
    deleting: Uniform = _fixed(1.0)
    retention: Uniform | None = None

    def draw(self, rng: random.Random) -> Plan:
        # The order of draws is part of the seed contract: never reorder it.
        waiting = self.waiting.sample(rng)
        running = self.running.sample(rng)
        outcome = self._draw_outcome(rng)
        data_size = self.data_size.sample_int(rng)
        cancelling = self.cancelling.sample(rng)
        deleting = self.deleting.sample(rng)
        retention = self.retention.sample(rng) if self.retention is not None else None
        return Plan(waiting, running, outcome, data_size, cancelling, deleting, retention)

    def _draw_outcome(self, rng: random.Random) -> str:
        if len(self.outcome) == 1:
            return self.outcome[0][0]
        names = [name for name, _ in self.outcome]
        weights = [weight for _, weight in self.outcome]
        return rng.choices(names, weights=weights, k=1)[0]

    def to_compact(self) -> str:
        """The compact form that parses back to this spec."""
        items = [f"waiting:{self.waiting.as_duration_text()}", f"running:{self.running.as_duration_text()}"]
        if len(self.outcome) == 1:
            items.append(self.outcome[0][0])
        else:
            items.append("|".join(f"{name}:{weight:g}" for name, weight in self.outcome))
        items.append(f"size:{self.data_size.as_size_text()}")
        items.append(f"cancelling:{self.cancelling.as_duration_text()}")
        items.append(f"deleting:{self.deleting.as_duration_text()}")
        if self.retention is not None:
            items.append(f"retention:{self.retention.as_duration_text()}")
        return ",".join(items)

    def with_overrides(self, overrides: str | Mapping[str, Any] | None) -> "TimelineSpec":
        """This spec with the fields named by a compact string or a mapping replaced."""
        if overrides is None or overrides == "":
            return self
        if isinstance(overrides, str):
            return dataclasses.replace(self, **parse_compact(overrides))
        if isinstance(overrides, Mapping):
            return dataclasses.replace(self, **parse_mapping(overrides))
        raise TimelineError(f"a timeline is a compact string or an object, not {type(overrides).__name__}")


DEFAULT_TIMELINE = TimelineSpec()

_DURATION_FIELDS = ("waiting", "running", "cancelling", "deleting", "retention")


def _range(text: Any, item: str, parse_one) -> Uniform:
    """A fixed value or a ``low..high`` / ``[low, high]`` uniform range, read by ``parse_one``."""
    try:
        if isinstance(text, str) and ".." in text:
            low_text, high_text = text.split("..", 1)
            low, high = parse_one(low_text), parse_one(high_text)
        elif isinstance(text, (list, tuple)) and len(text) == 2:
            low, high = parse_one(text[0]), parse_one(text[1])
        else:
            low = high = parse_one(text)
    except UnitError as exc:
        raise TimelineError(f"{item}: {exc}") from None
    if low > high:
        raise TimelineError(f"{item}: range {text!r} has its low end above its high end")
    return Uniform(low, high)


def _duration_range(text: Any, item: str) -> Uniform:
    return _range(text, item, parse_duration)


def _size_range(text: Any, item: str) -> Uniform:
    return _range(text, item, parse_size)


def _outcome_weights(pairs: list[tuple[str, Any]], item: str) -> tuple[tuple[str, float], ...]:
    result = []
    for name, weight in pairs:
        if name not in OUTCOMES:
            raise TimelineError(f"{item}: unknown outcome {name!r}; use success or failed")
        try:
            value = float(weight)
        except (TypeError, ValueError):
            raise TimelineError(f"{item}: weight of {name} must be a number, got {weight!r}") from None
        if value < 0 or value != value:
            raise TimelineError(f"{item}: weight of {name} must not be negative")
        result.append((name, value))
    if not result or sum(w for _, w in result) <= 0:
        raise TimelineError(f"{item}: the outcome weights must add up to more than 0")
    return tuple(result)


def parse_compact(text: str) -> dict[str, Any]:
    """Fields named by a compact timeline string (only those it names)."""
    fields: dict[str, Any] = {}
    for raw_item in text.split(","):
        item = raw_item.strip()
        if not item:
            continue
        name, _, value = item.partition(":")
        name = name.strip().lower()
        if "|" in item or name in OUTCOMES:
            if value and "|" not in item:
                fields["outcome"] = _outcome_weights([(name, value)], item)
            elif "|" in item:
                pairs = [part.strip().partition(":")[::2] for part in item.split("|")]
                fields["outcome"] = _outcome_weights([(n.strip().lower(), w or 1) for n, w in pairs], item)
            else:
                fields["outcome"] = ((name, 1.0),)
        elif name in _DURATION_FIELDS:
            if not value:
                raise TimelineError(f"{item!r}: {name} needs a duration, e.g. {name}:2s")
            fields[name] = _duration_range(value.strip(), item)
        elif name in ("size", "datasize", "data_size"):
            if not value:
                raise TimelineError(f"{item!r}: size needs bytes, e.g. size:2200 or size:10k..1M")
            fields["data_size"] = _size_range(value.strip(), item)
        else:
            raise TimelineError(
                f"unknown timeline item {item!r}: expected waiting:, running:, success, failed, "
                "size:, cancelling:, deleting: or retention:"
            )
    return fields


def _range_from_object(value: Any, item: str, parse_range) -> Uniform:
    if isinstance(value, Mapping):
        bounds = value.get("uniform")
        if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
            raise TimelineError(f"{item}: expected {{uniform: [low, high]}}")
        return parse_range(list(bounds), item)
    return parse_range(value, item)


def parse_mapping(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Fields named by the object form of a timeline (config files, admin API)."""
    fields: dict[str, Any] = {}
    for key, value in obj.items():
        if key in _DURATION_FIELDS:
            if key == "retention" and value is None:
                fields["retention"] = None
                continue
            fields[key] = _range_from_object(value, key, _duration_range)
        elif key in ("data_size", "size", "dataSize"):
            fields["data_size"] = _range_from_object(value, key, _size_range)
        elif key == "outcome":
            if isinstance(value, str):
                fields["outcome"] = parse_compact(value)["outcome"] if value else _outcome_weights([], key)
            elif isinstance(value, Mapping):
                fields["outcome"] = _outcome_weights(list(value.items()), key)
            else:
                raise TimelineError("outcome: expected success, failed, or weights like {success: 9, failed: 1}")
        else:
            raise TimelineError(f"unknown timeline field {key!r}")
    return fields


def parse_timeline(spec: str | Mapping[str, Any] | None, base: TimelineSpec = DEFAULT_TIMELINE) -> TimelineSpec:
    """A full spec: ``base`` with what ``spec`` names replaced."""
    return base.with_overrides(spec)

"""Timeline strategies in the emulator's compact form (the ``X-Dfmock-Timeline`` header).

Grammar, comma-separated items (each optional; the emulator fills the rest):
``waiting:DUR``, ``running:DUR``, outcome ``success`` | ``failed`` | weighted
``success:0.9|failed:0.1``, ``size:N`` or ``size:A..B`` (integers, optional k/M/G
suffix), ``cancelling:DUR``, ``deleting:DUR``, ``retention:DUR``. ``DUR`` is
``2s``, ``500ms``, ``1.5s``, ``1m``, or a uniform range ``1s..3s``.

``timelines()`` covers the grammar (ranges, weights, suffixes); ``fixed_timelines()``
gives ``FixedTimeline``s without randomness, whose states a suite can predict.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

_SIZE_UNITS = {"": 1, "k": 1024, "M": 1024**2, "G": 1024**3}


def _duration_text(ms: int) -> str:
    """Compact text of a whole number of milliseconds, in the unit that reads best."""
    if ms % 60_000 == 0 and ms:
        return f"{ms // 60_000}m"
    if ms % 1000 == 0:
        return f"{ms // 1000}s"
    if ms % 100 == 0 and ms > 1000:
        return f"{ms / 1000:g}s"
    return f"{ms}ms"


def durations(max_ms: int = 60_000) -> st.SearchStrategy[str]:
    """A fixed duration (``2s``, ``500ms``, ``1.5s``, ``1m``) or a range ``low..high``."""
    fixed = st.integers(0, max_ms).map(_duration_text)
    ranged = st.tuples(st.integers(0, max_ms), st.integers(0, max_ms)).map(
        lambda pair: f"{_duration_text(min(pair))}..{_duration_text(max(pair))}")
    return fixed | ranged


def sizes(max_bytes: int = 10 * 1024**2) -> st.SearchStrategy[str]:
    """``2200``, ``10k``, ``1M``, or a range ``A..B`` with A <= B (k = 1024, as the emulator reads)."""
    one = st.sampled_from(sorted(_SIZE_UNITS)).flatmap(
        lambda unit: st.integers(0, max(0, max_bytes // _SIZE_UNITS[unit])).map(lambda n: (n * _SIZE_UNITS[unit], f"{n}{unit}")))
    ranged = st.tuples(one, one).map(lambda pair: "..".join(text for _, text in sorted(pair)))
    return one.map(lambda sized: sized[1]) | ranged


def outcomes() -> st.SearchStrategy[str]:
    weights = st.integers(0, 100).map(lambda n: f"{n / 100:g}")
    weighted = st.tuples(weights, weights).filter(lambda pair: float(pair[0]) + float(pair[1]) > 0).map(
        lambda pair: f"success:{pair[0]}|failed:{pair[1]}")
    return st.sampled_from(["success", "failed"]) | weighted


@st.composite
def timelines(draw, max_ms: int = 60_000, max_bytes: int = 10 * 1024**2) -> str:
    """A compact timeline naming any subset of the items, in the canonical order."""
    items = []
    for name in ("waiting", "running"):
        if draw(st.booleans()):
            items.append(f"{name}:{draw(durations(max_ms))}")
    if draw(st.booleans()):
        items.append(draw(outcomes()))
    if draw(st.booleans()):
        items.append(f"size:{draw(sizes(max_bytes))}")
    for name in ("cancelling", "deleting", "retention"):
        if draw(st.booleans()):
            items.append(f"{name}:{draw(durations(max_ms))}")
    if not items:
        items.append(draw(st.sampled_from(["success", "failed"])))
    return ",".join(items)


@dataclass(frozen=True)
class FixedTimeline:
    """A timeline without randomness: seconds and bytes a suite can reason with."""

    waiting: float
    running: float
    outcome: str
    size: int
    cancelling: float
    deleting: float
    retention: float | None = None

    def compact(self) -> str:
        items = [f"waiting:{self.waiting:g}s", f"running:{self.running:g}s", self.outcome,
                 f"size:{self.size}", f"cancelling:{self.cancelling:g}s", f"deleting:{self.deleting:g}s"]
        if self.retention is not None:
            items.append(f"retention:{self.retention:g}s")
        return ",".join(items)


def fixed_timelines(max_seconds: int = 30, max_bytes: int = 64 * 1024,
                    outcome: str | None = None) -> st.SearchStrategy[FixedTimeline]:
    """Whole-second phases (1..max_seconds) so clock advances land on clear states."""
    seconds = st.integers(1, max_seconds).map(float)
    return st.builds(
        FixedTimeline,
        waiting=seconds, running=seconds,
        outcome=st.just(outcome) if outcome else st.sampled_from(["success", "failed"]),
        size=st.integers(0, max_bytes), cancelling=seconds, deleting=seconds,
        retention=st.none() | seconds,
    )

"""Clocks the emulator can run on. The model never reads time itself; the service
asks the injected clock.

* ``RealClock``: wall time, optionally sped up (``--speed 10`` = ten emulated
  seconds per real second).
* ``ManualClock``: moves only when told (admin API, Python call); tests use it.
* ``StepClock``: a manual clock that the service explicitly advances by a fixed
  step *before* each status read, so a client under test sees the same sequence of
  states whatever its sleep interval. Only status reads step it; a GET of anything
  else never moves time.
"""

from __future__ import annotations

import threading
import time

from .units import UnitError, parse_duration

#: Manual and step clocks start here unless told otherwise: 2024-01-01T00:00:00Z,
#: fixed so that seeded runs are byte-identical.
DEFAULT_EPOCH = 1704067200.0


class ClockError(ValueError):
    pass


class RealClock:
    mode = "real"

    def __init__(self, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ClockError(f"speed must be above 0, got {speed!r}")
        self.speed = speed
        self._wall0 = time.time()
        self._mono0 = time.monotonic()

    def now(self) -> float:
        return self._wall0 + (time.monotonic() - self._mono0) * self.speed

    def before_status_read(self) -> None:
        pass

    def advance(self, seconds: float) -> float:
        raise ClockError("the real clock cannot be advanced; start the emulator with --clock manual")

    def describe(self) -> dict:
        return {"mode": self.mode, "now": self.now(), "speed": self.speed}


class ManualClock:
    mode = "manual"

    def __init__(self, start: float = DEFAULT_EPOCH) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
        self._listeners: list = []

    def now(self) -> float:
        return self._now

    def add_listener(self, listener) -> None:
        """``listener()`` is called (outside the lock, in the advancing thread) after
        each move; it must return quickly (the callback dispatcher only wakes up)."""
        self._listeners.append(listener)

    def _moved(self) -> None:
        for listener in self._listeners:
            listener()

    def before_status_read(self) -> None:
        pass

    def advance(self, seconds: float) -> float:
        if not seconds >= 0:
            raise ClockError(f"the clock only moves forward; got {seconds!r} seconds")
        with self._lock:
            self._now += seconds
            now = self._now
        self._moved()
        return now

    def set(self, now: float) -> float:
        with self._lock:
            if now < self._now:
                raise ClockError(f"the clock only moves forward: {now} is before {self._now}")
            self._now = float(now)
        self._moved()
        return self._now

    def describe(self) -> dict:
        return {"mode": self.mode, "now": self._now}


class StepClock(ManualClock):
    mode = "step"

    def __init__(self, step: float, start: float = DEFAULT_EPOCH) -> None:
        super().__init__(start)
        if not step > 0:
            raise ClockError(f"the step must be above 0, got {step!r}")
        self.step = step

    def before_status_read(self) -> None:
        self.advance(self.step)

    def describe(self) -> dict:
        return {"mode": self.mode, "now": self._now, "step": self.step}


Clock = RealClock | ManualClock | StepClock


def make_clock(spec: str, speed: float = 1.0, start: float | None = None) -> Clock:
    """A clock from ``real``, ``manual`` or ``step:<duration>`` (e.g. ``step:2s``)."""
    mode, _, arg = spec.strip().partition(":")
    epoch = DEFAULT_EPOCH if start is None else start
    if mode == "real" and not arg:
        return RealClock(speed)
    if mode == "manual" and not arg:
        return ManualClock(epoch)
    if mode == "step":
        try:
            return StepClock(parse_duration(arg or "1s"), epoch)
        except UnitError as exc:
            raise ClockError(f"clock {spec!r}: {exc}") from None
    raise ClockError(f"unknown clock {spec!r}: use real, manual or step:<duration> (e.g. step:2s)")

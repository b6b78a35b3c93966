"""Parsing of the human units used in timelines and flags: durations and byte sizes.

Kept apart from the timeline so the CLI, the config loader and the admin API share
one grammar (and one set of error messages).
"""

from __future__ import annotations

import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?\s*$")
_DURATION_FACTORS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]i?[bB]?|[bB])?\s*$")
_SIZE_FACTORS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


class UnitError(ValueError):
    """A duration or size that cannot be read; the message says what was expected."""


def parse_duration(text: str | int | float) -> float:
    """Seconds from ``2s``, ``500ms``, ``1.5m``, ``1h``, ``1d`` or a bare number (seconds)."""
    if isinstance(text, bool):
        raise UnitError(f"expected a duration, got {text!r}")
    if isinstance(text, (int, float)):
        if text < 0:
            raise UnitError(f"a duration cannot be negative: {text!r}")
        return float(text)
    match = _DURATION.match(str(text))
    if not match:
        raise UnitError(
            f"cannot read duration {text!r}: use a number with ms, s, m, h or d (e.g. 2s, 500ms)"
        )
    return float(match.group(1)) * _DURATION_FACTORS[match.group(2) or "s"]


def parse_size(text: str | int) -> int:
    """Bytes from ``12345``, ``10k``, ``1.5M``, ``1G`` (binary multiples)."""
    if isinstance(text, bool):
        raise UnitError(f"expected a size in bytes, got {text!r}")
    if isinstance(text, int):
        if text < 0:
            raise UnitError(f"a size cannot be negative: {text!r}")
        return text
    match = _SIZE.match(str(text))
    if not match:
        raise UnitError(f"cannot read size {text!r}: use bytes or a k, M, G suffix (e.g. 2200, 10k, 1G)")
    unit = (match.group(2) or "").lower()[:1]
    return int(float(match.group(1)) * _SIZE_FACTORS[unit])


def format_duration(seconds: float) -> str:
    """The shortest exact compact form of a duration, for round-tripping plans."""
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{seconds:g}s"

"""The one shape every check reports in: a ``Violation`` (JSON path, rule, message,
value), and a ``Report`` that renders a list of them as text or JSON."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Missing:
    """The value of a field that is not there (distinct from JSON null)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


def json_path(parts: Iterable[str | int]) -> str:
    """``$.data[0].progressCode`` from ``["data", 0, "progressCode"]``."""
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(part):
            text += f".{part}"
        else:
            text += "[" + json.dumps(part, ensure_ascii=False) + "]"
    return text


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    ``rule`` is ``schema:<keyword>`` for a JSON Schema failure (``schema:type``,
    ``schema:required``...), ``semantic:<name>`` for a rule beside the schema,
    ``lifecycle:<name>`` for a sequence of observations, ``parse:<what>`` for input
    that could not be read.
    """

    json_path: str
    rule: str
    message: str
    value: Any = None

    def to_dict(self) -> dict[str, Any]:
        value = None if self.value is MISSING else self.value
        return {"json_path": self.json_path, "rule": self.rule, "message": self.message,
                "value": value, "missing": self.value is MISSING}

    def __str__(self) -> str:
        shown = "<missing>" if self.value is MISSING else json.dumps(self.value, ensure_ascii=False, default=str)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        return f"{self.json_path}: {self.message} [{self.rule}] (value: {shown})"


def sort_violations(violations: Iterable[Violation]) -> list[Violation]:
    return sorted(violations, key=lambda v: (v.json_path, v.rule, v.message))


@dataclass
class Report:
    """The verdict on one message: which kind it was read as, under which profile."""

    kind: str | None
    profile: str
    violations: list[Violation] = field(default_factory=list)
    source: str | None = None

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "profile": self.profile,
            "valid": self.ok,
            "violations": [v.to_dict() for v in self.violations],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_text(self) -> str:
        what = f"{self.source}: " if self.source else ""
        head = f"{what}{self.kind or 'unknown kind'} under profile {self.profile}"
        if self.ok:
            return f"{head}: valid"
        count = len(self.violations)
        lines = [f"{head}: {count} violation{'s' if count != 1 else ''}"]
        lines += [f"  - {v}" for v in self.violations]
        return "\n".join(lines)

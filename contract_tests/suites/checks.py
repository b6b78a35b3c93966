"""Assertions the suites share: each wraps one kit check and fails with the kit's
readable report (JSON path, rule, value) plus the request that got the answer.

They raise ``ContractFailure`` (an ``AssertionError``), so pytest and Hypothesis
treat a violation as a test failure and shrink on it.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..lifecycle import check_lifecycle
from ..states import STATE_NAMES, state_code
from ..targets import Response
from ..validator import check_response


class ContractFailure(AssertionError):
    """An answer or a history that breaks the contract."""


def _where(response: Response) -> str:
    return f"HTTP {response.status} from {response.url or '?'}"


def assert_valid(response: Response, kind: str, profile: str, *, task_id: str | None = None) -> Any:
    """The parsed body of ``response`` once it is a valid ``kind`` under ``profile``."""
    report = check_response(response, kind, profile, task_id=task_id)
    if not report.ok:
        report.source = _where(response)
        raise ContractFailure(report.to_text() + f"\n  body: {response.body[:300]!r}")
    return response.json()


def assert_success(response: Response, kind: str, profile: str, *, task_id: str | None = None) -> Any:
    """A valid success envelope (``code`` 0) of ``kind``; its parsed body."""
    body = response.json() if _is_json(response) else None
    if not isinstance(body, dict) or body.get("code") != 0:
        raise ContractFailure(f"expected a {kind} (code 0), got {_where(response)}: {response.body[:300]!r}")
    return assert_valid(response, kind, profile, task_id=task_id)


def assert_refused(response: Response, code: int, profile: str, *, http_status: int | None = None) -> dict:
    """A valid error envelope with ``code``; with ``http_status``, sent with that status."""
    body = assert_valid(response, "error-envelope", profile)
    if body.get("code") != code:
        raise ContractFailure(f"expected error code {code}, got {body.get('code')} ({body.get('msg')!r}); "
                              f"{_where(response)}")
    if http_status is not None and response.status != http_status:
        raise ContractFailure(f"error {code} came with HTTP {response.status}, expected {http_status}")
    return body


def status_struct(body: Any) -> dict:
    """The Status Struct of a status answer: ``data`` itself or its only item."""
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, dict):
        raise ContractFailure(f"no Status Struct in {body!r}")
    return data


def state_of(struct: dict) -> int:
    code = state_code(struct.get("progressCode"))
    if code is None:
        raise ContractFailure(f"unreadable progressCode in {struct!r}")
    return code


def assert_lifecycle(task_id: str, observations: Iterable[Any], *, dense: bool = False) -> None:
    """The observations of one task form a possible life (``contract_tests.lifecycle``)."""
    observations = list(observations)
    found = check_lifecycle(observations, dense=dense)
    if found:
        seen = " -> ".join(_label(o) for o in observations)
        lines = [f"task {task_id}: {len(found)} lifecycle violation(s); observed {seen}"]
        lines += [f"  - {v}" for v in found]
        raise ContractFailure("\n".join(lines))


def _label(observation: Any) -> str:
    struct = observation.get("data", observation) if isinstance(observation, dict) else observation
    if isinstance(struct, list) and len(struct) == 1:
        struct = struct[0]
    code = state_code(struct.get("progressCode")) if isinstance(struct, dict) else None
    return "?" if code is None else f"{code}:{STATE_NAMES[code]}"


def _is_json(response: Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


__all__ = ["ContractFailure", "assert_lifecycle", "assert_refused", "assert_success", "assert_valid",
           "state_of", "status_struct"]

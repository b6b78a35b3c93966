"""Validate one message against the contract: schema first, then the semantic rules.

    >>> validate_message('{"code": 0, "msg": "OK", "data": {"taskId": "x"}}', "create-answer")
    [Violation(json_path='$.data.taskId', rule='schema:pattern', ...)]

A message may be parsed JSON, JSON text (``str``), ``bytes``, a file path
(``pathlib.Path``; a plain ``str`` is always read as JSON text) or a kit
``Response``. The kind is detected from the content when not given.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .schema_check import schema_violations
from .schemas import check_kind, check_profile
from .semantics import semantic_violations
from .states import CANCEL_ANSWER_STATES, state_code
from .violations import Report, Violation, sort_violations


class Unreadable(Exception):
    """Input that is not JSON; carries the violation describing why."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.message)
        self.violation = violation


def load_message(source: Any) -> tuple[Any, str | None]:
    """(parsed JSON, label of the source) from any accepted input, or ``Unreadable``."""
    label = None
    if isinstance(source, os.PathLike):
        label = os.fspath(source)
        try:
            source = Path(source).read_bytes()
        except OSError as exc:
            raise Unreadable(Violation("$", "parse:file", f"cannot read {label}: {exc.strerror}", label)) from None
    elif hasattr(source, "body") and hasattr(source, "status"):  # a kit Response
        source = source.body
    if isinstance(source, (bytes, bytearray)):
        try:
            source = bytes(source).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Unreadable(Violation("$", "parse:utf-8", f"not UTF-8 text: {exc.reason} at byte {exc.start}",
                                       None)) from None
    if isinstance(source, str):
        try:
            return json.loads(source), label
        except json.JSONDecodeError as exc:
            raise Unreadable(Violation("$", "parse:json", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                                       source[:80])) from None
    return source, label


def detect_kind(message: Any) -> str | None:
    """The message kind read from its fields, or None when nothing fits.

    A status answer whose ``before_success`` fields are omitted, in state 4-7, has
    exactly the fields of a cancel answer; it is read as a cancel answer. Pass the
    kind explicitly when you know it.
    """
    if not isinstance(message, dict):
        return None
    if "appKey" in message:
        return "token-request"
    if "business" in message or ("status" in message and "code" not in message):
        return "token-answer"
    if "returnCode" in message:
        return "callback"
    if "querySql" in message or "taskName" in message:
        return "create-request"
    if "code" not in message:
        return "status-struct" if "progressCode" in message else None
    if message["code"] != 0:
        return "error-envelope"
    data = message.get("data")
    if isinstance(data, list):
        if not data or all(isinstance(item, dict) and "channelId" in item for item in data):
            return "channels-answer"
        return "status-answer"
    if not isinstance(data, dict):
        return "envelope"
    if {"downloadUrl", "dataSize"} & data.keys():
        return "status-answer"
    if "progressCode" in data or "progressDesc" in data:
        code = state_code(data.get("progressCode"))
        return "cancel-answer" if code in CANCEL_ANSWER_STATES else "status-answer"
    if "taskId" in data:
        return "create-answer"
    return "envelope"


def check_message(message: Any, kind: str | None = None, profile: str = "lenient", *,
                  task_id: str | None = None, source: str | None = None) -> Report:
    """The full verdict: detected kind, profile and every violation, sorted by path.

    ``kind`` and ``profile`` that are not known raise ``ValueError`` (a usage error,
    not a violation of the message).
    """
    check_profile(profile)
    if kind is not None:
        check_kind(kind)
    try:
        parsed, label = load_message(message)
    except Unreadable as exc:
        return Report(kind, profile, [exc.violation], source)
    kind = kind or detect_kind(parsed)
    if kind is None:
        found = [Violation("$", "kind:unknown", "cannot tell which message this is; give its kind", parsed)]
        return Report(None, profile, found, source or label)
    found = schema_violations(parsed, kind, profile) + semantic_violations(parsed, kind, task_id)
    return Report(kind, profile, sort_violations(found), source or label)


def validate_message(message: Any, kind: str | None = None, profile: str = "lenient", *,
                     task_id: str | None = None) -> list[Violation]:
    """Every violation of the contract in ``message`` (empty when valid).

    ``task_id``: when the request's task is known, answers must be about it.
    """
    return check_message(message, kind, profile, task_id=task_id).violations


def check_response(response: Any, kind: str | None = None, profile: str = "lenient", *,
                   task_id: str | None = None) -> Report:
    """A kit ``Response``: its body as ``check_message`` does, plus the HTTP rule
    ``http:status-matches-code`` (a success envelope travels with a 2xx status; an
    error envelope with 200 or a 4xx/5xx, as the ``error_status`` switch allows)."""
    report = check_message(response, kind, profile, task_id=task_id)
    try:
        body = json.loads(response.body)
    except ValueError:
        return report
    code = body.get("code") if isinstance(body, dict) else None
    status = response.status
    if code == 0 and not 200 <= status < 300:
        report.violations.append(Violation("$.code", "http:status-matches-code",
                                           f"a success envelope came with HTTP {status}", code))
    elif isinstance(code, int) and code != 0 and not (status == 200 or 400 <= status < 600):
        report.violations.append(Violation("$.code", "http:status-matches-code",
                                           f"an error envelope came with HTTP {status}", code))
    return report

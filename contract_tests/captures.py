"""Captured traffic for ``dfmock validate``: a HAR file (browser devtools, mitmproxy,
Charles...) or JSON lines, checked exchange by exchange and task by task with the
same checker as the validating proxy (contract_tests.exchanges).

JSON lines: one object per line, either an exchange
``{"method", "url" (absolute, or a path with its query), "status",
"request_body"?, "response_headers"?, "response_body"}`` (bodies as text or as JSON
values; ``body`` is accepted for ``response_body``), or a bare message (any other
object), which is validated alone, its kind detected. Blank lines and lines
starting with ``#`` are skipped.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

from .exchanges import ExchangeChecker, Finding
from .validator import check_message
from .violations import Violation

CAPTURE_SUFFIXES = {".har": "har", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class CaptureError(ValueError):
    """A capture that cannot be read at all."""


def capture_format(path: str | Path) -> str | None:
    """``har`` or ``jsonl`` from the file name, else None (a single message)."""
    return CAPTURE_SUFFIXES.get(Path(path).suffix.lower())


def _body_bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path or "/"


def har_exchanges(data: Any) -> Iterator[tuple[str, str, int, bytes | None, dict, bytes | None]]:
    try:
        entries = data["log"]["entries"]
    except (TypeError, KeyError):
        raise CaptureError("not a HAR file: expected {\"log\": {\"entries\": [...]}}") from None
    for entry in entries:
        request, response = entry.get("request", {}), entry.get("response", {})
        post = request.get("postData") or {}
        content = response.get("content") or {}
        text = content.get("text")
        if text is not None and content.get("encoding") == "base64":
            body: bytes | None = base64.b64decode(text)
        else:
            body = _body_bytes(text)
        headers = {h.get("name", ""): h.get("value", "") for h in response.get("headers", [])}
        yield (request.get("method", "GET"), _path(request.get("url", "/")), int(response.get("status") or 0),
               _body_bytes(post.get("text")), headers, body)


def check_capture(path: str | Path, profile: str = "lenient") -> ExchangeChecker:
    """Every exchange (and bare message) of a capture, checked in order."""
    path = Path(path)
    fmt = capture_format(path)
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaptureError(f"cannot read {path}: {exc}") from None
    checker = ExchangeChecker(profile)
    if fmt == "har":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CaptureError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from None
        for method, url_path, status, request_body, headers, body in har_exchanges(data):
            checker.check_exchange(method, url_path, status, request_body, headers, body)
        return checker
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            _bad_line(checker, number, Violation("$", "parse:json", f"line {number} is not JSON: {exc.msg}", line[:80]))
            continue
        if isinstance(item, dict) and "method" in item and ("url" in item or "path" in item) and "status" in item:
            body = item.get("response_body", item.get("body"))
            checker.check_exchange(str(item["method"]), _path(str(item.get("url") or item.get("path"))),
                                   int(item["status"]), _body_bytes(item.get("request_body")),
                                   item.get("response_headers") or {"Content-Type": "application/json"},
                                   _body_bytes(body))
        else:
            report = check_message(item, None, profile)
            finding = Finding(checker.next_seq(), "-", f"line {number}", 0, None, report.kind, None,
                              list(report.violations))
            checker.keep(finding)
    return checker


def _bad_line(checker: ExchangeChecker, number: int, violation: Violation) -> None:
    checker.keep(Finding(checker.next_seq(), "-", f"line {number}", 0, None, None, None, [violation]))


def run_capture(path: str | Path, profile: str, output_format: str = "text") -> int:
    """``dfmock validate CAPTURE``: 0 valid, 1 violations, 2 unreadable."""
    import sys

    try:
        checker = check_capture(path, profile)
    except CaptureError as exc:
        print(f"dfmock validate: {exc}", file=sys.stderr)
        return 2
    if output_format == "json":
        print(json.dumps({"source": str(path), **checker.to_dict()}, ensure_ascii=False, indent=2))
    else:
        print(f"{path}: " + checker.to_text())
    return 1 if checker.violations else 0

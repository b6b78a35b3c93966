"""Checking a stream of HTTP exchanges (request + answer) against the contract: what
the validating proxy (contract_tests.proxy) sees live and what a capture
(contract_tests.captures: HAR, JSON lines) holds.

For each exchange: the request body (create-request, token-request), the answer
(by route: create-answer, status-answer, cancel-answer, channels-answer,
token-answer; an error envelope or a gateway refusal by its content), each task's
sequence of observations (status and cancel answers, with the lifecycle checker)
and a downloaded file's size against the last ``dataSize`` seen for its task.
Violations keep the kit's shape; lifecycle ones point into the answer that broke
the sequence (``$.data.progressCode``). Memory is bounded: a fixed number of tasks
is remembered (least recently seen forgotten first) and a fixed number of findings.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import parse_qsl

from .lifecycle import check_lifecycle
from .states import STATE_NAMES, SUCCESS, byte_count, state_code
from .targets import Response
from .validator import check_message, check_response, detect_kind
from .violations import Violation

_API = r"^/data-federation/v2\.0"
ROUTES = (
    ("status", "GET", re.compile(_API + r"/channels/read/[^/]+/download/(?P<task>[^/]+)/status/?$")),
    ("cancel", "DELETE", re.compile(_API + r"/channels/read/[^/]+/download/(?P<task>[^/]+)/?$")),
    ("data", "GET", re.compile(r"^(?:/data-federation/v2\.0)?/channels/read/[^/]+/download/(?P<task>[^/]+)/data/?$")),
    ("create", "POST", re.compile(_API + r"/channels/read/[^/]+/download-request/?$")),
    ("channels", "GET", re.compile(_API + r"/channels/?$")),
    ("token", "POST", re.compile(r"^/apim-token-service/v2\.0/token/get/?$")),
)
ANSWER_KINDS = {"status": "status-answer", "cancel": "cancel-answer", "create": "create-answer",
                "channels": "channels-answer", "token": "token-answer"}
REQUEST_KINDS = {"create": "create-request", "token": "token-request"}


def classify(method: str, path: str) -> tuple[str | None, str | None]:
    """(route, task id) of a request; (None, None) when it is not a route of the family."""
    for name, route_method, pattern in ROUTES:
        match = pattern.match(path)
        if match and method.upper() == route_method:
            return name, match.groupdict().get("task")
    return None, None


@dataclass
class Finding:
    """The verdict on one exchange (kept only when something was wrong)."""

    seq: int
    method: str
    path: str
    status: int
    route: str | None
    kind: str | None
    task: str | None
    violations: list[Violation] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"#{self.seq} {self.method} {self.path}"

    def summary(self, limit: int = 3) -> str:
        shown = "; ".join(f"{v.json_path} {v.rule}" for v in self.violations[:limit])
        more = len(self.violations) - limit
        return shown + (f"; and {more} more" if more > 0 else "")

    def to_dict(self) -> dict:
        return {"seq": self.seq, "method": self.method, "path": self.path, "status": self.status,
                "route": self.route, "kind": self.kind, "task": self.task,
                "violations": [v.to_dict() for v in self.violations]}


@dataclass
class _Task:
    last: dict | None = None  # the last readable observation (a Status Struct)
    last_seq: int | None = None
    size: int | None = None  # dataSize of the last success observation
    states: list[int] = field(default_factory=list)


def _json(body: bytes | None) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


class ExchangeChecker:
    """Checks exchanges in order and keeps the findings. Not thread-safe: callers lock."""

    MAX_STATES = 200  # states remembered per task, for the report

    def __init__(self, profile: str = "lenient", *, max_tasks: int = 10_000, max_findings: int = 10_000) -> None:
        self.profile = profile
        self.max_tasks = max_tasks
        self.max_findings = max_findings
        self.tasks: OrderedDict[str, _Task] = OrderedDict()
        self.findings: list[Finding] = []
        self.exchanges = 0
        self.violations = 0
        self.dropped_findings = 0
        self.unchecked = 0  # exchanges outside the family's routes

    def _task(self, task_id: str) -> _Task:
        task = self.tasks.get(task_id)
        if task is None:
            task = self.tasks[task_id] = _Task()
            while len(self.tasks) > self.max_tasks:
                self.tasks.popitem(last=False)
        else:
            self.tasks.move_to_end(task_id)
        return task

    def next_seq(self) -> int:
        self.exchanges += 1
        return self.exchanges

    # -- the parts of one exchange -------------------------------------------

    def check_request(self, route: str | None, body: bytes | None) -> list[Violation]:
        kind = REQUEST_KINDS.get(route or "")
        if kind is None or not body:
            return []
        return [_prefixed(v, "request") for v in check_message(body, kind, self.profile).violations]

    def answer_kind(self, route: str | None, status: int, body: Any) -> str | None:
        if not isinstance(body, dict):
            return ANSWER_KINDS.get(route or "")
        if "apim_status" in body:
            return "apim-token-expiry"  # the SDKs' refresh signal: not a message of the contract
        if body.get("code") == 0 and route in ANSWER_KINDS:
            return ANSWER_KINDS[route]
        return detect_kind(body) or ANSWER_KINDS.get(route or "")

    def check_answer(self, route: str | None, task_id: str | None, status: int, headers: Mapping[str, str],
                     body: bytes) -> tuple[str | None, list[Violation]]:
        parsed = _json(body)
        kind = self.answer_kind(route, status, parsed)
        if kind == "apim-token-expiry":
            return kind, []
        report = check_response(Response(status, dict(headers), body), kind, self.profile, task_id=task_id)
        found = list(report.violations)
        if route in ("status", "cancel") and task_id and isinstance(parsed, dict) and parsed.get("code") == 0:
            found += self._observe(task_id, parsed)
        return report.kind or kind, found

    def _observe(self, task_id: str, answer: dict) -> list[Violation]:
        data, prefix = answer.get("data"), "$.data"
        if isinstance(data, list) and len(data) == 1:
            data, prefix = data[0], "$.data[0]"
        if not isinstance(data, dict) or state_code(data.get("progressCode")) is None:
            return []
        task = self._task(task_id)
        found = []
        if task.last is not None:
            before = STATE_NAMES[state_code(task.last.get("progressCode"))]  # type: ignore[index]
            for v in check_lifecycle([task.last, data]):
                if v.json_path.startswith("$[1]"):
                    found.append(Violation(prefix + v.json_path[4:], v.rule,
                                           f"{v.message} (previous observation: {before}, exchange #{task.last_seq})",
                                           v.value))
        state = state_code(data.get("progressCode"))
        task.last, task.last_seq = data, self.exchanges
        if len(task.states) < self.MAX_STATES and (not task.states or task.states[-1] != state):
            task.states.append(state)  # type: ignore[arg-type]
        if state == SUCCESS:
            task.size = byte_count(data.get("dataSize"))
        return found

    def expected_size(self, task_id: str | None) -> int | None:
        task = self.tasks.get(task_id or "")
        return task.size if task else None

    def check_file(self, task_id: str | None, size: int | None, *, announced: bool) -> list[Violation]:
        """A file of ``size`` bytes (from Content-Length when ``announced``, else counted)."""
        expected = self.expected_size(task_id)
        if expected is None or size is None or size == expected:
            return []
        what = "Content-Length" if announced else "the file"
        return [Violation("$", "file:size-matches-data-size",
                          f"{what} has {size} bytes, but the last status of task {task_id} said dataSize {expected}",
                          size)]

    # -- one whole exchange ----------------------------------------------------

    def check_exchange(self, method: str, path: str, status: int, request_body: bytes | None,
                       response_headers: Mapping[str, str], response_body: bytes | None) -> Finding:
        """Check a complete exchange (a capture, or the proxy once it has the answer)."""
        seq = self.next_seq()
        route, task_id = classify(method, path)
        finding = Finding(seq, method.upper(), path, status, route, None, task_id)
        if route is None:
            self.unchecked += 1
            return finding
        finding.violations += self.check_request(route, request_body)
        content_type = (_header(response_headers, "content-type") or "").lower()
        if route == "data" and status == 200 and "json" not in content_type:
            finding.kind = "file"
            size = len(response_body) if response_body is not None else None
            finding.violations += self.check_file(task_id, size, announced=False)
        else:
            finding.kind, found = self.check_answer(route, task_id, status, response_headers, response_body or b"")
            finding.violations += found
        self.keep(finding)
        return finding

    def keep(self, finding: Finding) -> None:
        if not finding.violations:
            return
        self.violations += len(finding.violations)
        if len(self.findings) < self.max_findings:
            self.findings.append(finding)
        else:
            self.dropped_findings += 1

    # -- reports ---------------------------------------------------------------

    def to_dict(self) -> dict:
        return {
            "profile": self.profile, "exchanges": self.exchanges, "unchecked": self.unchecked,
            "violations": self.violations, "findings": [f.to_dict() for f in self.findings],
            "droppedFindings": self.dropped_findings,
            "tasks": {task_id: [STATE_NAMES[s] for s in task.states] for task_id, task in self.tasks.items()},
        }

    def to_text(self) -> str:
        head = (f"{self.exchanges} exchange(s) checked under profile {self.profile}: "
                f"{self.violations} violation(s)")
        lines = [head]
        for finding in self.findings:
            lines.append(f"  {finding.name} -> HTTP {finding.status} ({finding.kind or 'unknown kind'})")
            lines += [f"    - {v}" for v in finding.violations]
        return "\n".join(lines)

    def to_junit(self, suite: str = "dfmock") -> bytes:
        """JUnit XML: one test case per exchange with violations, plus one that sums up
        the clean ones (so a CI shows the count)."""
        from xml.etree import ElementTree as ET

        root = ET.Element("testsuites")
        failures = len(self.findings) + (1 if self.dropped_findings else 0)
        node = ET.SubElement(root, "testsuite", name=suite, tests=str(max(1, self.exchanges)),
                             failures=str(failures), errors="0", skipped="0")
        for finding in self.findings:
            case = ET.SubElement(node, "testcase", classname=f"{suite}.{finding.route or 'other'}", name=finding.name)
            failure = ET.SubElement(case, "failure", message=finding.summary(), type="contract")
            failure.text = "\n".join(str(v) for v in finding.violations)
        if self.dropped_findings:
            case = ET.SubElement(node, "testcase", classname=suite, name="more findings")
            ET.SubElement(case, "failure", message=f"{self.dropped_findings} more exchange(s) with violations "
                                                   "were not kept", type="contract")
        clean = self.exchanges - len(self.findings) - self.dropped_findings
        ET.SubElement(node, "testcase", classname=suite, name=f"{clean} exchange(s) without violations")
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _prefixed(violation: Violation, where: str) -> Violation:
    return Violation(violation.json_path, violation.rule, f"{where}: {violation.message}", violation.value)


def query_task(query: str) -> dict[str, str]:
    return dict(parse_qsl(query, keep_blank_values=True))

"""The rules a client run is judged by: named checks, each returning the violations
it found (an empty list when the client kept the rule).

Every check reads only the run's facts: the exit status, the files, and the
emulator's journal (``GET /__admin/requests``: method, path, query, status, the
fault injected, the progress state the answer carried, the wall time it arrived).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import parse_qs

from ..states import STATE_NAMES, TERMINAL
from .scenario import EXIT_MEANINGS, MAX_FAULTS_PER_ROUTE

FINAL_STATES = {state: STATE_NAMES[state] for state in sorted(TERMINAL)}  # 2, 3, 5, 7
#: Fault actions after which the client still got the real answer.
PASS_THROUGH = ("delay", "stall", "cancel", "delete")
#: Slack on timing rules: clocks and schedulers are not exact.
TIMING_TOLERANCE = 0.8

_API = r"^/data-federation/v2\.0"
ROUTES = (
    ("status", "GET", re.compile(_API + r"/channels/read/[^/]+/download/[^/]+/status$")),
    ("cancel", "DELETE", re.compile(_API + r"/channels/read/[^/]+/download/[^/]+$")),
    ("data", "GET", re.compile(r"^/channels/read/[^/]+/download/[^/]+/data$")),
    ("create", "POST", re.compile(_API + r"/channels/read/[^/]+/download-request$")),
    ("channels", "GET", re.compile(_API + r"/channels$")),
    ("token", "POST", re.compile(r"^/apim-token-service/v2\.0/token/get$")),
)


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    seqs: tuple[int, ...] = ()  # journal entries that show it


@dataclass
class RunFacts:
    """What one run produced, as the checks see it."""

    exit_code: int | None  # None: killed
    killed_reason: str | None
    elapsed: float
    expected_exit: int
    expected_reason: str
    journal: list[dict]
    org_id: str
    poll_interval: float
    output: bytes | None  # None: no file written
    served: bytes | None  # the file the emulator serves (None unless the task succeeded)
    auth: bool = False  # the scenario turned APIM auth on


def route_of(entry: dict) -> str | None:
    for name, method, pattern in ROUTES:
        if entry["method"] == method and pattern.match(entry["path"]):
            return name
    return None


def fault_action(entry: dict) -> str | None:
    """The action of the fault that hit this answer (``503``, ``drop``...), if any."""
    if not entry.get("fault"):
        return None
    actions = [label.split(" ", 2)[1].split("@")[0].split(":")[0] for label in entry["fault"].split("; ")
               if not label.endswith("(superseded)")]
    failing = [a for a in actions if a not in PASS_THROUGH]
    return failing[0] if failing else actions[0]


def answered(entry: dict) -> bool:
    """The client got the real answer (no fault replaced it)."""
    action = fault_action(entry)
    return entry["status"] != 0 and (action is None or action in PASS_THROUGH)


def retry_after_of(entry: dict) -> float | None:
    """The Retry-After a 429 fault answered with (dfmock's labels carry it)."""
    if entry["status"] != 429:
        return None
    for label in (entry.get("fault") or "").split("; "):
        match = re.match(r"^\S+ 429(?::(\d+(?:\.\d+)?)(ms|s))?@", label)
        if match:
            if match.group(1) is None:
                return 1.0
            return float(match.group(1)) * (0.001 if match.group(2) == "ms" else 1.0)
    return None


def failed_answer(entry: dict) -> bool:
    return not answered(entry) or entry["status"] >= 500 or entry["status"] == 429


def faults_in_a_row(journal: list[dict]) -> int:
    """The longest run of failed answers on one route (the budget measure)."""
    longest: dict[str, int] = {}
    current: dict[str, int] = {}
    for entry in journal:
        route = route_of(entry) or "other"
        current[route] = current.get(route, 0) + 1 if failed_answer(entry) else 0
        longest[route] = max(longest.get(route, 0), current[route])
    return max(longest.values(), default=0)


def _exit_text(code: int | None) -> str:
    if code is None:
        return "no exit (killed)"
    return f"exit {code} ({EXIT_MEANINGS.get(code, 'gave up')})"


def check_exit_status(facts: RunFacts) -> list[Violation]:
    if facts.exit_code is None:
        if facts.killed_reason and facts.killed_reason.startswith("still polling"):
            return []  # stopped for breaking a rule that check_stops_after_final reports
        return [Violation("finishes in time", f"the client was killed: {facts.killed_reason}")]
    if facts.exit_code == facts.expected_exit:
        return []
    wanted = f"exit {facts.expected_exit} ({EXIT_MEANINGS[facts.expected_exit]}: {facts.expected_reason})"
    if facts.exit_code not in EXIT_MEANINGS:
        in_a_row = faults_in_a_row(facts.journal)
        if in_a_row > MAX_FAULTS_PER_ROUTE:
            return []  # beyond the budget: giving up is allowed
        failed = ("no transient failure (5xx, 429, dropped connection) was served" if not in_a_row
                  else f"at most {in_a_row} transient failure(s) in a row were served")
        return [Violation("does not give up within the recoverable budget",
                          f"the client gave up (exit {facts.exit_code}) although {failed} "
                          f"(budget: {MAX_FAULTS_PER_ROUTE} in a row); expected {wanted}")]
    return [Violation("exit status matches the outcome", f"got {_exit_text(facts.exit_code)}; expected {wanted}")]


def check_file(facts: RunFacts) -> list[Violation]:
    if facts.exit_code != 0 or facts.expected_exit != 0 or facts.served is None:
        return []
    if facts.output is None:
        return [Violation("writes the served file", "the client exited 0 but wrote nothing to DFMOCK_OUTPUT")]
    if facts.output == facts.served:
        return []
    first = next((i for i, (a, b) in enumerate(zip(facts.output, facts.served)) if a != b),
                 min(len(facts.output), len(facts.served)))
    return [Violation("writes the served file",
                      f"the file written has {len(facts.output)} bytes, the served file {len(facts.served)}; "
                      f"they first differ at byte {first}")]


def check_routes(facts: RunFacts) -> list[Violation]:
    found = []
    for entry in facts.journal:
        route = route_of(entry)
        if route is None:
            found.append(Violation("uses documented routes only",
                                   f"#{entry['seq']} {entry['method']} {entry['path']} is not a documented route",
                                   (entry["seq"],)))
            continue
        if route == "token":
            continue
        org = parse_qs(entry["query"]).get("orgId", [""])[0]
        if not org:
            found.append(Violation("sends orgId", f"#{entry['seq']} {entry['method']} {entry['path']} has no orgId",
                                   (entry["seq"],)))
        elif org != facts.org_id:
            found.append(Violation("sends orgId", f"#{entry['seq']} sent orgId={org!r}, not {facts.org_id!r}",
                                   (entry["seq"],)))
    return found


def check_stops_after_final(facts: RunFacts) -> list[Violation]:
    """After a final state (failed, cancelled, deleted) nothing more; after success,
    downloads, and status reads only once a download failed (to refresh the URL or
    learn the task was deleted)."""
    final: dict | None = None
    download_failed = False
    extra: list[int] = []
    for entry in facts.journal:
        route = route_of(entry)
        if final is not None:
            if final["state"] != 3:
                extra.append(entry["seq"])
            elif route == "data" and not (answered(entry) and entry["status"] == 200):
                download_failed = True
            elif route == "status" and not download_failed:
                extra.append(entry["seq"])
            continue
        if route == "status" and answered(entry) and entry.get("state") in FINAL_STATES and entry["code"] == 0:
            final = entry
    if not extra:
        return []
    name = f"{FINAL_STATES[final['state']]} ({final['state']})"  # type: ignore[index]
    return [Violation("stops polling after a final state",
                      f"after #{final['seq']} showed {name} the client sent {len(extra)} more request(s) "  # type: ignore[index]
                      f"(#{extra[0]}{'..#' + str(extra[-1]) if len(extra) > 1 else ''})", tuple(extra))]


def check_retry_after(facts: RunFacts) -> list[Violation]:
    found = []
    for entry, following in zip(facts.journal, facts.journal[1:]):
        wait = retry_after_of(entry)
        if wait is None or entry.get("received") is None or following.get("received") is None:
            continue
        gap = following["received"] - entry["received"]
        if gap < wait * TIMING_TOLERANCE:
            found.append(Violation("honours Retry-After",
                                   f"#{entry['seq']} answered 429 with Retry-After {wait:g} s; the next request "
                                   f"(#{following['seq']}) came {gap:.3f} s later", (entry["seq"], following["seq"])))
    return found


def check_poll_interval(facts: RunFacts) -> list[Violation]:
    reads = [e for e in facts.journal if route_of(e) == "status" and e.get("received") is not None]
    fastest = None
    for before, after in zip(reads, reads[1:]):
        gap = after["received"] - before["received"]
        if gap < facts.poll_interval * TIMING_TOLERANCE and (fastest is None or gap < fastest[0]):
            fastest = (gap, before["seq"], after["seq"])
    if fastest is None:
        return []
    gap, first, second = fastest
    return [Violation("does not poll faster than the interval",
                      f"status reads #{first} and #{second} came {gap:.4f} s apart; "
                      f"DFMOCK_POLL_INTERVAL is {facts.poll_interval:g} s", (first, second))]


#: Gateway refusals of an unsigned or badly signed call (REFERENCE.md section 5).
AUTH_REFUSALS = {1001: "repeated request", 1002: "appKey does not exist", 1003: "signature not valid",
                 1202: "parameter is empty", 1203: "access token expired"}


def check_signed(facts: RunFacts) -> list[Violation]:
    """With auth on, no call is refused by the gateway's checks."""
    if not facts.auth:
        return []
    refused = [e for e in facts.journal if route_of(e) not in (None, "token") and e.get("code") in AUTH_REFUSALS]
    if not refused:
        return []
    first = refused[0]
    return [Violation("signs its requests when auth is on",
                      f"{len(refused)} request(s) refused by the gateway, first #{first['seq']}: code {first['code']} "
                      f"({AUTH_REFUSALS[first['code']]}); DFMOCK_APP_KEY/DFMOCK_APP_SECRET were given",
                      tuple(e["seq"] for e in refused))]


CHECKS: tuple[Callable[[RunFacts], list[Violation]], ...] = (
    check_exit_status, check_file, check_routes, check_signed, check_stops_after_final, check_retry_after,
    check_poll_interval,
)


def judge(facts: RunFacts) -> list[Violation]:
    return [violation for check in CHECKS for violation in check(facts)]

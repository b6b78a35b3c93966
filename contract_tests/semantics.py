"""Rules beside the schema: what JSON Schema cannot say well about one message.

Each rule judges only values it can read: a progressCode of 9 or "nine" is the
schema's alone to report, so one wrong field does not cascade. A readable value
in the wrong form for the profile ("3" under documented) is still judged: both
facts are reported.

- ``semantic:progressDesc-matches-code``: progressDesc names progressCode's state.
- ``semantic:success-has-download-url``: state 3 carries an http(s) URL.
- ``semantic:success-has-data-size``: state 3 carries a dataSize.
- ``semantic:task-id-matches-request``: the answer is about the task asked for.
- ``semantic:cancel-answer-state``: a cancel/delete answer reports 4, 5, 6 or 7.
- ``semantic:callback-return-code``: a callback's returnCode "0" iff state 3.
- ``semantic:callback-id-matches-task-id``: a callback's id and taskId agree.
"""

from __future__ import annotations

from typing import Any, Iterator
from urllib.parse import urlsplit

from .states import CANCEL_ANSWER_STATES, STATE_NAMES, SUCCESS, state_code
from .violations import MISSING, Violation, json_path


def structs_of(message: Any, kind: str) -> Iterator[tuple[list, dict]]:
    """The Status-Struct-like objects in a message, each with its path."""
    if kind in ("status-struct", "callback"):
        if isinstance(message, dict):
            yield [], message
        return
    if kind not in ("status-answer", "cancel-answer") or not isinstance(message, dict):
        return
    data = message.get("data")
    if isinstance(data, dict):
        yield ["data"], data
    elif isinstance(data, list) and kind == "status-answer":
        for index, item in enumerate(data):
            if isinstance(item, dict):
                yield ["data", index], item


def is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def semantic_violations(message: Any, kind: str, task_id: str | None = None) -> list[Violation]:
    found: list[Violation] = []
    for path, struct in structs_of(message, kind):
        found.extend(_struct_rules(struct, path, kind, task_id))
    return found


def _struct_rules(struct: dict, path: list, kind: str, task_id: str | None) -> Iterator[Violation]:
    code = state_code(struct.get("progressCode"))
    desc = struct.get("progressDesc")
    if code is not None and desc in STATE_NAMES and desc != STATE_NAMES[code]:
        yield Violation(json_path([*path, "progressDesc"]), "semantic:progressDesc-matches-code",
                        f"progressDesc {desc!r} does not match progressCode {code} ({STATE_NAMES[code]!r})", desc)
    if kind == "cancel-answer" and code is not None and code not in CANCEL_ANSWER_STATES:
        yield Violation(json_path([*path, "progressCode"]), "semantic:cancel-answer-state",
                        f"a cancel/delete answer reports cancelling, cancelled, deleting or deleted (4-7), "
                        f"not {code} ({STATE_NAMES[code]})", struct.get("progressCode"))
    if code == SUCCESS and kind != "cancel-answer":
        yield from _success_rules(struct, path)
    if kind == "callback":
        yield from _callback_rules(struct, code, task_id)
        return
    echoed = struct.get("taskId")
    if task_id is not None and isinstance(echoed, str) and echoed != task_id:
        yield Violation(json_path([*path, "taskId"]), "semantic:task-id-matches-request",
                        f"answer is about task {echoed!r}, but task {task_id!r} was asked for", echoed)


def _success_rules(struct: dict, path: list) -> Iterator[Violation]:
    url = struct.get("downloadUrl", MISSING)
    if url is MISSING or url is None or url == "":
        yield Violation(json_path([*path, "downloadUrl"]), "semantic:success-has-download-url",
                        "a successful task must name its file, but downloadUrl is "
                        + ("missing" if url is MISSING else "null" if url is None else "empty"), url)
    elif isinstance(url, str) and not is_http_url(url):
        yield Violation(json_path([*path, "downloadUrl"]), "semantic:success-has-download-url",
                        "downloadUrl of a successful task is not an http(s) URL", url)
    size = struct.get("dataSize", MISSING)
    if size is MISSING or size is None:
        yield Violation(json_path([*path, "dataSize"]), "semantic:success-has-data-size",
                        "a successful task must report its file size, but dataSize is "
                        + ("missing" if size is MISSING else "null"), size)


def _callback_rules(body: dict, code: int | None, task_id: str | None) -> Iterator[Violation]:
    return_code = body.get("returnCode")
    if code is not None and isinstance(return_code, str) and (return_code == "0") != (code == SUCCESS):
        yield Violation("$.returnCode", "semantic:callback-return-code",
                        f"returnCode {return_code!r} contradicts progressCode {code} ({STATE_NAMES[code]}): "
                        '"0" means success, and only success', return_code)
    task_ref = body.get("taskId")
    if isinstance(task_ref, str) and isinstance(body.get("id"), str) and task_ref != body["id"]:
        yield Violation("$.taskId", "semantic:callback-id-matches-task-id",
                        f"taskId {task_ref!r} differs from id {body['id']!r}", task_ref)
    if task_id is not None and isinstance(body.get("id"), str) and body["id"] != task_id:
        yield Violation("$.id", "semantic:task-id-matches-request",
                        f"callback is about task {body['id']!r}, but task {task_id!r} was expected", body["id"])

"""Near misses: valid messages with exactly one rule broken, for testing validators.

Each ``NearMiss`` carries the broken message, the kind and profile to check it
under, the one (json_path, rule) a correct validator must report, and nothing
else; ``task_id`` is set when the rule needs the request's task id.

    @given(near_misses("documented"))
    def test_rejects(miss):
        found = validate_message(miss.message, miss.kind, miss.profile, task_id=miss.task_id)
        assert {(v.json_path, v.rule) for v in found} == {(miss.json_path, miss.rule)}
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

from hypothesis import strategies as st

from . import fake
from . import strategies as cs
from .states import STATE_NAMES, SUCCESS, state_code
from .violations import json_path


@dataclass(frozen=True)
class NearMiss:
    kind: str
    profile: str
    message: Any
    json_path: str
    rule: str
    description: str
    task_id: str | None = None


def _number_form(profile: str, value: int, draw) -> int | str:
    """``value`` in a number form the profile accepts."""
    forms = cs.PROFILE_FORMS[profile]["numbers"]
    return str(value) if draw(st.sampled_from(forms)) == "string" else value


def _struct_path(message: dict) -> list:
    return ["data", 0] if isinstance(message["data"], list) else ["data"]


def _at(message: dict, path: list) -> dict:
    node = message
    for part in path:
        node = node[part]
    return node


# A mutation: (draw, message copy, profile) -> (path parts, rule, description,
# task_id) or None when it does not apply to this message.
Mutation = Callable[[Any, dict, str], "tuple[list, str, str, str | None] | None"]


def _code_wrong_type(draw, msg, profile):
    path = _struct_path(msg)
    struct = _at(msg, path)
    code = state_code(struct["progressCode"])
    wrong = {"documented": str(code), "sample": code}.get(profile) or draw(st.sampled_from([True, 3.5, [code]]))
    struct["progressCode"] = wrong
    return [*path, "progressCode"], "schema:type", f"progressCode sent as {type(wrong).__name__}", None


def _code_out_of_range(draw, msg, profile):
    path = _struct_path(msg)
    value = _number_form(profile, draw(st.integers(8, 99)), draw)
    _at(msg, path)["progressCode"] = value
    return [*path, "progressCode"], ("schema:pattern" if isinstance(value, str) else "schema:maximum"), \
        "progressCode beyond 7", None


def _desc_mismatch(draw, msg, profile):
    path = _struct_path(msg)
    struct = _at(msg, path)
    struct["progressDesc"] = draw(st.sampled_from([n for n in STATE_NAMES if n != struct["progressDesc"]]))
    return [*path, "progressDesc"], "semantic:progressDesc-matches-code", "progressDesc of another state", None


def _desc_unknown(draw, msg, profile):
    path = _struct_path(msg)
    _at(msg, path)["progressDesc"] = draw(fake.fake(lambda f: f.word()).filter(lambda w: w not in STATE_NAMES))
    return [*path, "progressDesc"], "schema:enum", "progressDesc not a state name", None


def _size_negative(draw, msg, profile):
    path = _struct_path(msg)
    struct = _at(msg, path)
    if struct.get("dataSize") is None:
        return None
    as_string = isinstance(struct["dataSize"], str)
    size = -draw(st.integers(1, 10**9))
    struct["dataSize"] = str(size) if as_string else size
    return [*path, "dataSize"], ("schema:pattern" if as_string else "schema:minimum"), "negative dataSize", None


def _drop_field(draw, msg, profile):
    path = _struct_path(msg)
    struct = _at(msg, path)
    droppable = ["taskId", "progressCode", "progressDesc"]
    if profile != "lenient" and state_code(struct["progressCode"]) != SUCCESS:
        droppable += ["downloadUrl", "dataSize"]  # required by the table and the samples
    name = draw(st.sampled_from(droppable))
    del struct[name]
    return [*path, name], "schema:required", f"{name} left out", None


def _extra_field(draw, msg, profile):
    path = _struct_path(msg)
    name = draw(fake.fake(lambda f: f"x{f.word().capitalize()}"))
    _at(msg, path)[name] = draw(st.integers(0, 9))
    return [*path, name], "schema:additionalProperties", f"unknown field {name}", None


def _success_without_url(draw, msg, profile):
    path = _struct_path(msg)
    struct = _at(msg, path)
    if state_code(struct["progressCode"]) != SUCCESS:
        return None
    choices = ["", "ftp://files.example.com/a.csv", "/channels/read/ch-1/download/t/data"]
    if profile == "lenient":
        choices += [None, "<omit>"]
    bad = draw(st.sampled_from(choices))
    if bad == "<omit>":
        del struct["downloadUrl"]
    else:
        struct["downloadUrl"] = bad
    return [*path, "downloadUrl"], "semantic:success-has-download-url", f"success with downloadUrl {bad!r}", None


def _success_without_size(draw, msg, profile):
    path = _struct_path(msg)
    struct = _at(msg, path)
    if profile != "lenient" or state_code(struct["progressCode"]) != SUCCESS:
        return None
    if draw(st.booleans()):
        del struct["dataSize"]
    else:
        struct["dataSize"] = None
    return [*path, "dataSize"], "semantic:success-has-data-size", "success without dataSize", None


def _other_task(draw, msg, profile):
    path = _struct_path(msg)
    asked = draw(cs.task_ids().filter(lambda t: t != _at(msg, path)["taskId"]))
    return [*path, "taskId"], "semantic:task-id-matches-request", "answer about another task", asked


def _data_two_items(draw, msg, profile):
    if not isinstance(msg["data"], list):
        return None
    msg["data"].append(copy.deepcopy(msg["data"][0]))
    return ["data"], "schema:maxItems", "two structs in data", None


def _data_wrong_shape(draw, msg, profile):
    if profile == "documented":
        msg["data"] = msg["data"][0]  # fields stay valid: only the shape is wrong
    elif profile == "sample":
        msg["data"] = [msg["data"]]
    else:
        msg["data"] = draw(st.sampled_from(["OK", 0, True]))
    return ["data"], "schema:type", "data of the wrong shape", None


STATUS_MUTATIONS: tuple[Mutation, ...] = (
    _code_wrong_type, _code_out_of_range, _desc_mismatch, _desc_unknown, _size_negative, _drop_field,
    _extra_field, _success_without_url, _success_without_size, _other_task, _data_two_items, _data_wrong_shape,
)


def _envelope_code(draw, msg, profile):
    msg["code"] = draw(st.sampled_from(cs.ERROR_CODES))
    return ["code"], "schema:const", "success body with an error code", None


def _envelope_no_msg(draw, msg, profile):
    del msg["msg"]
    return ["msg"], "schema:required", "msg left out", None


def _envelope_extra(draw, msg, profile):
    name = "requestId" if profile != "lenient" else draw(st.sampled_from(["traceId", "success", "timestamp"]))
    msg[name] = "0a1b2c"
    return [name], "schema:unevaluatedProperties", f"envelope field {name} not allowed", None


ENVELOPE_MUTATIONS: tuple[Mutation, ...] = (_envelope_code, _envelope_no_msg, _envelope_extra)


def _create_bad_task_id(draw, msg, profile):
    task_id = msg["data"]["taskId"]
    msg["data"]["taskId"] = draw(st.sampled_from(["F" + task_id[1:], task_id[:31], task_id + "0", "yourtaskId"]))
    return ["data", "taskId"], "schema:pattern", "taskId not 32 lowercase hex", None


def _cancel_wrong_state(draw, msg, profile):
    state = draw(st.integers(0, 3))
    msg["data"]["progressCode"] = _number_form(profile, state, draw)
    msg["data"]["progressDesc"] = STATE_NAMES[state]
    return ["data", "progressCode"], "semantic:cancel-answer-state", "cancel answer in a non-cancel state", None


def _error_code_zero(draw, msg, profile):
    msg["code"] = 0
    return ["code"], "schema:not", "error envelope with code 0", None


def _error_with_data(draw, msg, profile):
    msg["data"] = draw(st.sampled_from([{}, [], "OK"]))
    return ["data"], "schema:type", "error envelope carrying data", None


def _channel_bad_enum(draw, msg, profile):
    if not msg["data"]:
        return None
    index = draw(st.integers(0, len(msg["data"]) - 1))
    name, value = draw(st.sampled_from([("channelType", "READONLY"), ("channelStatus", "RUNNING")]))
    msg["data"][index][name] = value
    return ["data", index, name], "schema:enum", f"{name} {value}", None


def _request_drop(draw, msg, profile):
    name = draw(st.sampled_from(["taskName", "sourceName", "querySql", "filePackageName"]))
    del msg[name]
    return [name], "schema:required", f"{name} left out", None


def _request_misspelt(draw, msg, profile):
    name = draw(st.sampled_from(["callbackUrl", "queryUrl", "fileName"]))
    msg[name] = "x"
    return [name], "schema:additionalProperties", f"unknown field {name}", None


def _request_bad_encoding(draw, msg, profile):
    if "files" not in msg:
        return None
    msg["files"][0]["encoding"] = draw(st.sampled_from(["latin1", "UTF-8", "utf8"]))
    return ["files", 0, "encoding"], "schema:enum", "encoding not utf-8 or gbk", None


def _callback_contradiction(draw, msg, profile):
    msg["returnCode"] = "1" if msg["returnCode"] == "0" else "0"
    return ["returnCode"], "semantic:callback-return-code", "returnCode contradicts progressCode", None


MUTATIONS: dict[str, tuple[Mutation, ...]] = {
    "status-answer": STATUS_MUTATIONS + ENVELOPE_MUTATIONS,
    "create-answer": (_create_bad_task_id, *ENVELOPE_MUTATIONS),
    "cancel-answer": (_cancel_wrong_state, *ENVELOPE_MUTATIONS),
    "error-envelope": (_error_code_zero, _error_with_data, _envelope_no_msg),
    "channels-answer": (_channel_bad_enum, *ENVELOPE_MUTATIONS),
    "create-request": (_request_drop, _request_misspelt, _request_bad_encoding),
    "callback": (_callback_contradiction,),
}


@st.composite
def near_misses(draw, profile: str = "lenient", kind: str | None = None) -> NearMiss:
    """A message of ``kind`` (any kind with mutations when None) with one rule broken."""
    kind = kind or draw(st.sampled_from(sorted(MUTATIONS)))
    mutations = MUTATIONS[kind]
    message = draw(cs.messages_of(kind, profile))
    # Try mutations in a drawn order until one applies (some need a success, a list...).
    for mutation in draw(st.permutations(mutations)):
        broken = copy.deepcopy(message)
        outcome = mutation(draw, broken, profile)
        if outcome is not None:
            path, rule, description, task_id = outcome
            return NearMiss(kind, profile, broken, json_path(path), rule, description, task_id)
    raise AssertionError(f"no mutation applies to {kind} message {message!r}")  # every kind has one that always does

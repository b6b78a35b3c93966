"""Hypothesis strategies for the contract: valid messages of every kind and profile,
request parameters and timelines. Near-miss (one-rule-broken) messages are in
``contract_tests.near_misses``.

    from contract_tests import strategies as cs

    @given(cs.status_answers(profile="sample", state=3))
    def test_my_client_reads_success(answer): ...

Every valid message strategy takes ``profile`` ("lenient", "documented",
"sample"); what each profile allows is ``PROFILE_FORMS``, in the terms of the
emulator's wire switches (docs/wire-format.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from . import fake
from .schemas import check_profile
from .states import CANCEL_ANSWER_STATES, DELETED, DELETING, FAILED, STATE_NAMES, SUCCESS, WAITING

#: For each profile, the wire forms it accepts (first = the profile's own form).
PROFILE_FORMS: dict[str, dict[str, tuple]] = {
    "lenient": {"numbers": ("string", "integer"), "data_shape": ("object", "list"),
                "before_success": ("progress", "empty", "null", "omit"), "request_id": (False, True)},
    "documented": {"numbers": ("integer",), "data_shape": ("list",),
                   "before_success": ("progress", "empty"), "request_id": (False,)},
    "sample": {"numbers": ("string",), "data_shape": ("object",),
               "before_success": ("progress", "empty"), "request_id": (False,)},
}

#: Error codes of REFERENCE.md s.4-5 and docs/wire-format.md.
ERROR_CODES = (1001, 1002, 1003, 1004, 1005, 1202, 1203, 1204,
               81400, 81404, 81409, 81410, 81429, 81500, 90404, 90405, 90413)

MAX_SIZE = 10 * 1024**3


@dataclass(frozen=True)
class WireForm:
    """One choice for each open question of the docs (the emulator's switches)."""

    numbers: str = "string"
    data_shape: str = "object"
    before_success: str = "progress"
    request_id: bool = False

    def number(self, value: int) -> int | str:
        return str(value) if self.numbers == "string" else value


def wire_forms(profile: str = "lenient") -> st.SearchStrategy[WireForm]:
    """Wire forms the profile accepts."""
    allowed = PROFILE_FORMS[check_profile(profile)]
    return st.builds(WireForm, **{name: st.sampled_from(values) for name, values in allowed.items()})


# -- identifiers and request parameters ---------------------------------------------

def task_ids() -> st.SearchStrategy[str]:
    """Task ids as the gateway issues them: 32 lowercase hex."""
    return st.integers(0, 2**128 - 1).map(lambda n: f"{n:032x}")


def org_ids() -> st.SearchStrategy[str]:
    """Org ids shaped like the samples' ``o15504722874071``."""
    return st.integers(10**13, 10**14 - 1).map(lambda n: f"o{n}")


def channel_ids() -> st.SearchStrategy[str]:
    """Read channel ids shaped like the samples' ``ch-dee0c5``."""
    return st.integers(0, 16**6 - 1).map(lambda n: f"ch-{n:06x}")


def file_configurations() -> st.SearchStrategy[dict]:
    """A valid File Configuration; ``fileRename`` only with ``split``, in either accepted form."""

    @st.composite
    def build(draw) -> dict:
        split = draw(st.booleans())
        config = {"split": split, "encoding": draw(st.sampled_from(["utf-8", "gbk"]))}
        if draw(st.booleans()):
            config["delimiter"] = draw(st.sampled_from(["\t", ",", ";"]))
        config["fileHeader"] = draw(fake.column_lists())
        if split and draw(st.booleans()):
            names = draw(st.lists(fake.file_names(), min_size=1, max_size=4, unique=True))
            renames = {f"file{i}": name for i, name in enumerate(names, start=1)}
            as_list = draw(st.booleans())
            config["fileRename"] = [{k: v} for k, v in renames.items()] if as_list else renames
        return config

    return build()


@st.composite
def create_requests(draw) -> dict:
    """A valid create-download-request body with realistic names and SQL."""
    body = {
        "taskName": draw(fake.task_names()),
        "sourceName": "hive_enos",
        "querySql": draw(fake.query_sql()),
        "filePackageName": draw(fake.file_names(extension="zip")).removesuffix(".zip"),
    }
    if draw(st.booleans()):
        body["files"] = [draw(file_configurations())]
    if draw(st.booleans()):
        body["callbackURL"] = f"http://{draw(fake.hostnames())}/dfmock/callback"
    if draw(st.booleans()):
        body["selfDefineQueuePara"] = "set mapreduce.job.queuename=default;set hive.exec.parallel=true"
    return body


# -- answers ---------------------------------------------------------------------------

def _envelope(data: Any, form: WireForm, request_id: str | None) -> dict:
    body: dict[str, Any] = {"code": 0, "msg": "OK"}
    if form.request_id and request_id is not None:
        body["requestId"] = request_id
    body["data"] = data
    return body


@st.composite
def download_urls(draw, channel_id: str | None = None, task_id: str | None = None,
                  org_id: str | None = None) -> str:
    """A file URL as the data-query proxy names it (no /data-federation/v2.0 prefix)."""
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(fake.hostnames())
    channel_id = channel_id or draw(channel_ids())
    task_id = task_id or draw(task_ids())
    org_id = org_id or draw(org_ids())
    return f"{scheme}://{host}/channels/read/{channel_id}/download/{task_id}/data?orgId={org_id}"


@st.composite
def status_structs(draw, profile: str = "lenient", state: int | None = None,
                   form: WireForm | None = None, task_id: str | None = None) -> dict:
    """A Status Struct as a conforming gateway sends it in ``state`` (any when None)."""
    form = form or draw(wire_forms(profile))
    state = draw(st.integers(WAITING, DELETED)) if state is None else state
    task_id = task_id or draw(task_ids())
    # Deleting/deleted keep the fields of the state they came from.
    from_success = state == SUCCESS or (state in (DELETING, DELETED) and draw(st.booleans()))
    struct: dict[str, Any] = {"taskId": task_id}
    if from_success:
        size = draw(st.integers(0, MAX_SIZE))
        struct["downloadUrl"] = draw(download_urls(task_id=task_id))
        struct["progressDesc"] = STATE_NAMES[state]
        struct["progressCode"] = form.number(state)
        struct["dataSize"] = form.number(size)
        return struct
    if form.before_success in ("progress", "empty"):
        struct["downloadUrl"] = ""
    elif form.before_success == "null":
        struct["downloadUrl"] = None
    struct["progressDesc"] = STATE_NAMES[state]
    struct["progressCode"] = form.number(state)
    if form.before_success == "progress":
        written = 0 if state in (WAITING, FAILED) else draw(st.integers(0, MAX_SIZE))
        struct["dataSize"] = form.number(written)
    elif form.before_success == "empty":
        struct["dataSize"] = form.number(0)
    elif form.before_success == "null":
        struct["dataSize"] = None
    return struct


@st.composite
def status_answers(draw, profile: str = "lenient", state: int | None = None, task_id: str | None = None) -> dict:
    """A status answer envelope valid under ``profile``."""
    form = draw(wire_forms(profile))
    struct = draw(status_structs(profile, state, form, task_id))
    data = [struct] if form.data_shape == "list" else struct
    return _envelope(data, form, draw(task_ids()))


@st.composite
def create_answers(draw, profile: str = "lenient") -> dict:
    form = draw(wire_forms(profile))
    return _envelope({"taskId": draw(task_ids())}, form, draw(task_ids()))


@st.composite
def cancel_answers(draw, profile: str = "lenient", state: int | None = None) -> dict:
    """A cancel/delete answer: 4 or 5 (cancel), 6 (delete), or 7 (already deleted)."""
    form = draw(wire_forms(profile))
    state = draw(st.sampled_from(sorted(CANCEL_ANSWER_STATES))) if state is None else state
    data = {"taskId": draw(task_ids()), "progressCode": form.number(state), "progressDesc": STATE_NAMES[state]}
    return _envelope(data, form, draw(task_ids()))


@st.composite
def error_envelopes(draw, profile: str = "lenient") -> dict:
    form = draw(wire_forms(profile))
    body: dict[str, Any] = {"code": draw(st.sampled_from(ERROR_CODES)), "msg": draw(fake.sentences())}
    if form.request_id:
        body["requestId"] = draw(task_ids())
    body["data"] = None
    return body


@st.composite
def channels_answers(draw, profile: str = "lenient") -> dict:
    form = draw(wire_forms(profile))
    channel = st.fixed_dictionaries({
        "channelId": channel_ids(),
        "channelType": st.sampled_from(["READ", "WRITE", "DOWNLOAD"]),
        "channelStatus": st.sampled_from(["STARTING", "START", "STOPING", "STOP", "ERROR"]),
        "dataSource": st.fixed_dictionaries({"sourceName": st.just("hive_enos"), "sourceType": st.just("HIVE")}),
    })
    return _envelope(draw(st.lists(channel, max_size=4)), form, draw(task_ids()))


@st.composite
def callbacks(draw, profile: str = "lenient") -> dict:
    """A callback body: the documented ``id``/``returnCode`` plus dfmock's status fields."""
    form = draw(wire_forms(profile))
    struct = draw(status_structs(profile, draw(st.sampled_from([FAILED, SUCCESS])), form))
    return {"id": struct["taskId"],
            "returnCode": "0" if struct["progressDesc"] == "success" else "1", **struct}


@st.composite
def token_requests(draw) -> dict:
    return {"appKey": draw(st.uuids().map(str)),
            "encryption": draw(st.binary(min_size=32, max_size=32).map(bytes.hex)),
            "timestamp": draw(st.integers(1_500_000_000_000, 2_500_000_000_000))}


@st.composite
def token_answers(draw) -> dict:
    return {"status": 0, "msg": "Success", "business": "apim-token-service",
            "data": {"accessToken": draw(st.uuids().map(str)), "expire": draw(st.integers(0, 7200))}}


def _profiled(profile: str) -> dict[str, st.SearchStrategy[dict]]:
    return {
        "status-answer": status_answers(profile),
        "create-answer": create_answers(profile),
        "cancel-answer": cancel_answers(profile),
        "error-envelope": error_envelopes(profile),
        "channels-answer": channels_answers(profile),
        "callback": callbacks(profile),
        "create-request": create_requests(),
        "token-request": token_requests(),
        "token-answer": token_answers(),
    }


def messages_of(kind: str, profile: str = "lenient") -> st.SearchStrategy[dict]:
    """Valid messages of one kind under ``profile``."""
    return _profiled(check_profile(profile))[kind]


def valid_messages(profile: str = "lenient") -> st.SearchStrategy[tuple[str, dict]]:
    """(kind, message) pairs of every kind, valid under ``profile``."""
    return st.one_of([strategy.map(lambda m, k=kind: (k, m)) for kind, strategy in _profiled(profile).items()])

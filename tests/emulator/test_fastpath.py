"""The fast path (mock_server/fastpath.py) answers exactly as the full Flask path.

Two apps are built from the same config and seed; one has its fast path switched
off. The same generated session of requests (creates, status reads with good and
bad ids/orgs/queries/headers, clock moves, cancels, deletes, health) runs on both:
every answer (status line, headers, body) must be identical, and so must the
journals (but for the wall-clock ``received`` time) and the clocks.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server import EmulatorConfig, create_app
from mock_server.config import WIRE_CHOICES, WireSettings
from mock_server.fastpath import FastPath

from .helpers import API, cancel_path, create_body, create_path

BASE = "http://dfmock.test:8080"
TIMELINES = ("waiting:1s,running:2s,success,size:4321", "waiting:0s,running:1s,failed",
             "waiting:1s..3s,running:1s..4s,success:1|failed:1,size:1..100k,retention:5s",
             "running:3s,success,deleting:2s")
ORGS = ("o1", "o2")
CHANNELS = ("ch-1", "ch.2")


def _apps(config: EmulatorConfig):
    fast, full = create_app(config), create_app(config)
    assert isinstance(fast.wsgi_app, FastPath)
    full.wsgi_app.enabled = False  # type: ignore[attr-defined]
    return fast, full


def _answer(response):
    return response.status, list(response.headers), response.data


def _journal(app):
    emu = app.extensions["dfmock"]
    return [dataclasses.replace(e, received=None) for e in emu.journal.entries()], emu.clock.now()


wire_settings = st.builds(WireSettings, **{name: st.sampled_from(choices) for name, choices in WIRE_CHOICES.items()},
                          request_id=st.booleans())
configs = st.builds(
    EmulatorConfig, seed=st.integers(0, 2**32), clock=st.sampled_from(["manual", "step:1s", "step:0.5s"]),
    public_base_url=st.sampled_from([BASE, None]), wire=wire_settings,
)  # faults are switched on mid-session through the admin API (the "faults" operation)
task_refs = st.integers(0, 7)
status_reads = st.tuples(
    st.just("status"), task_refs,
    st.sampled_from(ORGS + ("", "o 1", "o%31")),  # o%31 is o1 percent-encoded: the full path decodes it
    st.sampled_from(CHANNELS + ("ch-9", "bad!ch")),
    st.sampled_from(["", "&x=1", "&orgId=o2"]),
    st.dictionaries(st.sampled_from(["X-Client", "User-Agent", "Accept", "X_Under", "Cookie"]),
                    st.sampled_from(["a", "poller/1.0", "*/*"]), max_size=3),
)
operations = st.lists(st.one_of(
    st.tuples(st.just("create"), st.sampled_from(TIMELINES), st.sampled_from(ORGS), st.sampled_from(CHANNELS)),
    status_reads, status_reads, status_reads,
    st.tuples(st.just("advance"), st.sampled_from([0, 0.5, 1, 2, 3, 10])),
    st.tuples(st.just("delete"), task_refs),
    st.tuples(st.just("health"),),
    st.tuples(st.just("faults"), st.sampled_from(["503@nth:2", "500@always", "delay:1s@once"])),
    st.tuples(st.just("unknown-task"),),
), min_size=1, max_size=40)


def _run(app, ops):
    client = app.test_client()
    tasks: list[tuple[str, str, str]] = []
    answers = []
    for op in ops:
        kind = op[0]
        if kind == "create":
            _, timeline, org, channel = op
            r = client.post(create_path(channel, org), json=create_body(), headers={"X-Dfmock-Timeline": timeline})
            if r.status_code == 200:
                tasks.append((r.get_json()["data"]["taskId"], org, channel))
        elif kind == "status":
            _, ref, org, channel, extra, headers = op
            task_id = tasks[ref % len(tasks)][0] if tasks else "0" * 32
            own_channel = tasks[ref % len(tasks)][2] if tasks and channel in CHANNELS else channel
            r = client.get(f"{API}/channels/read/{own_channel}/download/{task_id}/status?orgId={org}{extra}",
                           headers=headers)
        elif kind == "advance":
            r = client.post("/__admin/clock/advance", json={"seconds": op[1]})
        elif kind == "delete" and tasks:
            task_id, org, channel = tasks[op[1] % len(tasks)]
            r = client.delete(cancel_path(task_id, channel, org))
        elif kind == "health":
            r = client.get("/__admin/health")
        elif kind == "faults":
            r = client.post("/__admin/faults", json=op[1])
        elif kind == "unknown-task":
            r = client.get(f"{API}/channels/read/ch-1/download/{'f' * 32}/status?orgId=o1")
        else:
            continue
        answers.append((op, _answer(r)))
    return answers


@settings(max_examples=120)
@given(config=configs, ops=operations)
def test_fast_path_answers_exactly_as_the_full_path(config, ops):
    fast, full = _apps(config)
    got, expected = _run(fast, ops), _run(full, ops)
    for (op, mine), (_, theirs) in zip(got, expected):
        assert mine == theirs, op
    assert _journal(fast) == _journal(full)


@pytest.mark.parametrize("wire", [WireSettings(), WireSettings(numbers="integer", data_shape="list", request_id=True),
                                  WireSettings(before_success="omit"), WireSettings(before_success="null")])
def test_plain_status_reads_never_reach_flask(wire):
    """The fast path really answers the plain case (and the full path is not asked)."""
    app = create_app(EmulatorConfig(clock="manual", seed=3, public_base_url=BASE, wire=wire))
    client = app.test_client()
    task_id = client.post(create_path(), json=create_body()).get_json()["data"]["taskId"]
    fast: FastPath = app.wsgi_app  # type: ignore[assignment]

    def refuse(environ, start_response):
        raise AssertionError(f"deferred: {environ['PATH_INFO']}")

    inner, fast.inner = fast.inner, refuse
    seen = []
    for _ in range(4):
        r = client.get(f"{API}/channels/read/ch-1/download/{task_id}/status?orgId=o1")
        seen.append(r.get_json()["data"])
        fast.inner = inner
        client.post("/__admin/clock/advance", json={"seconds": 2})
        fast.inner = refuse
    assert client.get("/__admin/health").get_json()["tasks"] == 1
    states = [(d[0] if isinstance(d, list) else d)["progressDesc"] for d in seen]
    assert states == ["waiting", "running", "running", "success"]
    entries = app.extensions["dfmock"].journal.entries()
    assert [e.state for e in entries if e.path.endswith("/status")] == [0, 1, 1, 3]


def test_fast_path_defers_when_faults_or_auth_are_on():
    from mock_server.fastpath import answer

    app = create_app(EmulatorConfig(clock="manual", seed=3, public_base_url=BASE))
    client = app.test_client()
    task_id = client.post(create_path(), json=create_body()).get_json()["data"]["taskId"]
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": f"{API}/channels/read/ch-1/download/{task_id}/status",
               "QUERY_STRING": "orgId=o1"}
    emu = app.extensions["dfmock"]
    assert answer(emu, dict(environ)) is not None
    client.post("/__admin/faults", json="503@always")
    assert answer(emu, dict(environ)) is None
    client.delete("/__admin/faults")
    assert answer(emu, dict(environ)) is not None
    client.post("/__admin/config", json={"auth": {"mode": "presence"}})
    assert answer(app.extensions["dfmock"], dict(environ)) is None

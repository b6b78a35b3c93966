"""Completion callbacks: delivered to a local receiver when a task ends, retried with
backoff, journaled; refused at creation for hosts off the allowlist."""

import dataclasses
import socket

import pytest
import requests

from contract_tests import check_message
from mock_server.callbacks import CallbackSettings, host_allowed

CREATE = "/data-federation/v2.0/channels/read/ch-1/download-request"
BODY = {"taskName": "t", "sourceName": "hive_enos", "querySql": "select 1", "filePackageName": "out"}


def create(running, callback_url, timeline="waiting:1s,running:2s,success,size:2200"):
    answer = requests.post(running.url(CREATE), params={"orgId": "o1"}, json={**BODY, "callbackURL": callback_url},
                           headers={"X-Dfmock-Timeline": timeline}, timeout=5)
    return answer


def advance(running, seconds):
    """The admin route: due callbacks are delivered before it answers."""
    answer = requests.post(running.url("/__admin/clock/advance"), json={"seconds": seconds}, timeout=10)
    assert answer.status_code == 200


def callback_entries(running):
    return [e for e in running.journal.entries() if e.kind == "callback"]


def with_callbacks(running, **changes):
    config = running.emulator.config
    running.replace_emulator(dataclasses.replace(config, callbacks=dataclasses.replace(config.callbacks, **changes)))


def test_success_callback_reaches_the_receiver_before_the_advance_returns(dfmock, receiver):
    task_id = create(dfmock, receiver.url).json()["data"]["taskId"]
    advance(dfmock, 2)
    assert receiver.calls == []  # still running
    advance(dfmock, 5)
    assert len(receiver.calls) == 1
    call = receiver.calls[0]
    assert call["path"] == "/hooks/done?src=dfmock"
    assert call["headers"]["Content-Type"] == "application/json"
    assert call["body"] == {
        "id": task_id, "returnCode": "0", "taskId": task_id,
        "downloadUrl": f"{dfmock.base_url}/channels/read/ch-1/download/{task_id}/data?orgId=o1",
        "progressDesc": "success", "progressCode": "3", "dataSize": "2200",
    }
    assert check_message(call["body"], "callback", task_id=task_id).ok
    [entry] = callback_entries(dfmock)
    assert entry.method == "POST" and entry.path == "/hooks/done" and entry.status == 200 and entry.state == 3
    assert entry.callback["outcome"] == "delivered" and entry.callback["attempt"] == 1
    assert entry.to_json()["kind"] == "callback"
    advance(dfmock, 60)
    assert len(receiver.calls) == 1  # once per task


def test_failed_and_cancelled_tasks_have_their_return_codes(dfmock, receiver):
    failed = create(dfmock, receiver.url, "waiting:1s,running:1s,failed").json()["data"]["taskId"]
    cancelled = create(dfmock, receiver.url, "waiting:5s,running:5s,cancelling:1s").json()["data"]["taskId"]
    requests.delete(dfmock.url(f"/data-federation/v2.0/channels/read/ch-1/download/{cancelled}"),
                    params={"orgId": "o1"}, timeout=5)
    advance(dfmock, 3)
    bodies = {call["body"]["id"]: call["body"] for call in receiver.calls}
    assert bodies[failed]["returnCode"] == "1" and bodies[failed]["progressCode"] == "2"
    assert bodies[failed]["downloadUrl"] == ""
    assert bodies[cancelled]["returnCode"] == "2" and bodies[cancelled]["progressDesc"] == "cancelled"
    for body in bodies.values():
        assert check_message(body, "callback").ok


def test_a_refused_delivery_is_retried_with_backoff(dfmock, receiver):
    receiver.script = [500, 503]
    create(dfmock, receiver.url)
    advance(dfmock, 3)
    assert [c["answered"] for c in receiver.calls] == [500]
    advance(dfmock, 0.5)
    assert len(receiver.calls) == 1  # the first retry waits 1 s
    advance(dfmock, 0.5)
    assert [c["answered"] for c in receiver.calls] == [500, 503]
    advance(dfmock, 2)  # then 2 s
    assert [c["answered"] for c in receiver.calls] == [500, 503, 200]
    outcomes = [e.callback["outcome"] for e in callback_entries(dfmock)]
    assert outcomes == ["retry", "retry", "delivered"]
    assert callback_entries(dfmock)[0].fault == "callback answered HTTP 500"


def test_an_unreachable_receiver_is_given_up_after_max_attempts(dfmock):
    with_callbacks(dfmock, max_attempts=2)
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    create(dfmock, f"http://127.0.0.1:{port}/hook")
    advance(dfmock, 3)
    advance(dfmock, 1)
    advance(dfmock, 100)
    entries = callback_entries(dfmock)
    assert [e.callback["outcome"] for e in entries] == ["retry", "gave-up"]
    assert entries[0].status == 0 and "ConnectionError" in entries[0].callback["error"]
    state = requests.get(dfmock.url("/__admin/callbacks"), timeout=5).json()
    assert state["pending"] == [] and state["done"][0]["outcome"] == "gave-up"


def test_python_advance_also_delivers_before_returning(dfmock, receiver):
    create(dfmock, receiver.url)
    dfmock.advance(5)
    assert len(receiver.calls) == 1


def test_other_clock_moves_reach_the_background_dispatcher(dfmock, receiver):
    create(dfmock, receiver.url)
    dfmock.clock.advance(5)  # a direct clock move: the dispatcher thread delivers
    assert receiver.arrived.wait(5)
    assert receiver.calls[0]["body"]["returnCode"] == "0"


@pytest.mark.parametrize("url", ["http://example.com/hook", "http://10.1.2.3/hook", "http://169.254.169.254/",
                                 "https://[2001:db8::1]/x", "ftp://127.0.0.1/x", "not a url"])
def test_a_callback_off_the_allowlist_is_refused_at_creation(dfmock, url):
    answer = create(dfmock, url)
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == 1004 and "callbackURL" in body["msg"]
    assert requests.get(dfmock.url("/__admin/tasks"), timeout=5).json()["count"] == 0


def test_the_allowlist_is_configurable(dfmock):
    with_callbacks(dfmock, allow_hosts=("10.0.0.0/8", "hooks.internal"))
    assert create(dfmock, "http://10.1.2.3/hook").json()["code"] == 0
    assert create(dfmock, "http://hooks.internal:8080/x").json()["code"] == 0
    assert create(dfmock, "http://example.com/hook").json()["code"] == 1004


def test_the_queue_is_bounded(dfmock, receiver):
    with_callbacks(dfmock, max_pending=1)
    assert create(dfmock, receiver.url).json()["code"] == 0
    full = create(dfmock, receiver.url)
    assert full.json()["code"] == 81429 and "callbacks" in full.json()["msg"]
    plain = requests.post(dfmock.url(CREATE), params={"orgId": "o1"}, json=BODY, timeout=5)
    assert plain.json()["code"] == 0  # a task without a callback is not limited


def test_host_allowed():
    assert host_allowed("127.0.0.1") and host_allowed("127.9.9.9") and host_allowed("::1")
    assert host_allowed("localhost") and host_allowed("LOCALHOST.")
    assert not host_allowed("10.0.0.1") and not host_allowed("localhost.example.com")
    assert host_allowed("10.0.0.1", ("10.0.0.0/8",)) and host_allowed("anything", ("*",))
    with pytest.raises(ValueError):
        CallbackSettings(allow_hosts=("bad host/x",))

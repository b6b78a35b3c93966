"""Faults: rule parsing, every action over real HTTP, triggers, the three ways to set
them (config, admin API, per-task header), and their journal records."""

import json

import pytest
import requests

from mock_server import EmulatorConfig, parse_timeline
from mock_server.config import config_from_mapping, ConfigError
from mock_server.faults import FaultError, parse_rules

from .helpers import cancel_path, create_body, create_path, data_path, status_path


@pytest.fixture
def dfm(dfmock_server):
    """The plugin's session server with a fresh emulator (no server start/stop per test)."""
    dfmock_server.replace_emulator(EmulatorConfig(
        clock="step:1s", seed=5, timeline=parse_timeline("waiting:2s,running:2s,success,size:3000")))
    return dfmock_server


def create(dfm, faults=None, timeline=None):
    headers = {}
    if faults:
        headers["X-Dfmock-Faults"] = faults
    if timeline:
        headers["X-Dfmock-Timeline"] = timeline
    response = requests.post(dfm.url(create_path()), json=create_body(), headers=headers, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()["data"]["taskId"]


def poll(dfm, task_id):
    return requests.get(dfm.url(status_path(task_id)), timeout=5)


def journal(dfm):
    return requests.get(dfm.url("/__admin/requests"), timeout=5).json()["requests"]


# -- parsing ---------------------------------------------------------------

@pytest.mark.parametrize("text, compact", [
    ("503", "503@once/status"),
    ("429", "429@once/status"),
    ("429:2s@every:3", "429:2s@every:3/status"),
    ("503:500ms@nth:2/data", "503:500ms@nth:2/data"),
    ("drop@on:success", "drop@on:success/status"),
    ("truncate@always/data", "truncate@always/data"),
    ("apim:4012@on:1", "apim:4012@on:running/status"),
    ("delay:1s..3s@prob:0.25/any", "delay:1s..3s@prob:0.25/any"),
    ("cancel@nth:3", "cancel@nth:3/status"),
])
def test_compact_rules_round_trip(text, compact):
    rule, = parse_rules(text)
    assert rule.compact() == compact
    assert parse_rules(compact)[0] == rule


@pytest.mark.parametrize("text, words", [
    ("418", "HTTP status faults are"),
    ("503@nth:0", "at least 1"),
    ("503@prob:2", "between 0 and 1"),
    ("503@on:bogus", "state name or code"),
    ("drop@on:success/data", "only apply to the status route"),
    ("explode", "unknown fault"),
    ("503/nowhere", "unknown route"),
    ("delay", "needs a duration"),
])
def test_bad_rules_are_named(text, words):
    with pytest.raises(FaultError, match=words):
        parse_rules(text)


def test_object_form_and_lists():
    rules = parse_rules([{"fault": 503, "when": "nth:2", "times": 1}, "drop@once/data; empty@every:2"])
    assert [r.compact() for r in rules] == ["503@nth:2/status", "drop@once/data", "empty@every:2/status"]
    with pytest.raises(FaultError, match="'fault'"):
        parse_rules({"when": "once"})


def test_config_file_faults_are_validated():
    config = config_from_mapping({"faults": ["503@every:2", {"fault": "429:1s", "route": "data"}]})
    assert [r.compact() for r in config.faults] == ["503@every:2/status", "429@once/data"]
    with pytest.raises(ConfigError) as info:
        config_from_mapping({"faults": ["503@nth:x"]})
    assert "$.faults" in info.value.report()
    with pytest.raises(ConfigError):
        config_from_mapping({"faults": [{"fault": "503", "colour": "red"}]})


# -- actions over HTTP -----------------------------------------------------

def test_status_fault_with_retry_after_then_normal(dfm):
    task = create(dfm, "429:2s@once; 503@nth:3")
    first, second, third = poll(dfm, task), poll(dfm, task), poll(dfm, task)
    assert first.status_code == 429 and first.headers["Retry-After"] == "2"
    assert first.json() == {"code": 429, "msg": "Too Many Requests (dfmock fault)", "data": None}
    assert second.status_code == 200 and second.json()["data"]["progressCode"] == "1"  # step clock: 1 s per read
    assert third.status_code == 503 and "Retry-After" not in third.headers
    entries = journal(dfm)[1:]
    assert [e["fault"] for e in entries] == ["f1 429:2s@once/status", None, "f2 503@nth:3/status"]
    assert [e["status"] for e in entries] == [429, 200, 503]
    assert [e["state"] for e in entries] == [0, 1, 1]  # what the answer would have shown
    assert all(isinstance(e["received"], float) for e in entries)


def test_drop_closes_the_connection_without_an_answer(dfm):
    task = create(dfm, "drop")
    with pytest.raises(requests.ConnectionError):
        poll(dfm, task)
    assert poll(dfm, task).status_code == 200
    dropped = journal(dfm)[1]
    assert dropped["fault"] == "f1 drop@once/status" and dropped["status"] == 0


def test_empty_and_nonjson_bodies(dfm):
    task = create(dfm, "empty@nth:1; nonjson@nth:2")
    empty, html = poll(dfm, task), poll(dfm, task)
    assert empty.status_code == 200 and empty.content == b""
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        html.json()


def test_truncated_status_and_file(dfm):
    task = create(dfm, "truncate@nth:1; truncate@once/data")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        poll(dfm, task)
    for _ in range(4):
        answer = poll(dfm, task).json()["data"]
    assert answer["progressCode"] == "3"
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(answer["downloadUrl"], timeout=5).content
    assert len(requests.get(answer["downloadUrl"], timeout=5).content) == 3000


def test_token_expiry_answer(dfm):
    task = create(dfm, "apim:4011")
    body = poll(dfm, task).json()
    assert body["apim_status"] == 4011


def test_lifecycle_triggers(dfm):
    task = create(dfm, "503@on:running; 502@on:success")
    statuses = []
    for _ in range(6):
        response = poll(dfm, task)
        statuses.append(response.status_code)
    states = [e["state"] for e in journal(dfm)[1:]]
    assert states == [0, 1, 1, 3, 3, 3]
    assert statuses == [200, 503, 200, 502, 200, 200]


def test_delay_moves_a_manual_clock_and_stall_uses_the_sleeper(dfm):
    slept = []
    dfm.emulator.faults.sleep = slept.append
    task = create(dfm, "delay:10s@nth:1; stall:50ms@nth:2")
    assert poll(dfm, task).json()["data"]["progressCode"] == "0"  # answered, then 10 s passed
    assert poll(dfm, task).json()["data"]["progressCode"] == "3"  # 1 + 10 + 1 s: done
    assert slept == [0.05]


def test_other_party_cancel_and_delete(dfm):
    task = create(dfm, "cancel@nth:1", timeline="cancelling:3s")
    assert poll(dfm, task).json()["data"]["progressCode"] == "0"
    assert poll(dfm, task).json()["data"]["progressCode"] == "4"
    task = create(dfm, "delete@on:success", timeline="deleting:3s")
    codes = [poll(dfm, task).json()["data"]["progressCode"] for _ in range(5)]
    assert codes == ["0", "1", "1", "3", "6"]
    assert requests.get(dfm.url(data_path(task)), timeout=5).json()["code"] == 81410
    refused = create(dfm, "cancel@nth:1/cancel")
    requests.delete(dfm.url(cancel_path(refused)), timeout=5)
    assert "(refused" in journal(dfm)[-1]["fault"]


def test_every_nth_and_seeded_probability_are_deterministic(dfmock_server):
    dfm = dfmock_server

    def run():
        dfm.replace_emulator(EmulatorConfig(clock="manual", seed=9, faults=tuple(parse_rules("503@prob:0.5"))))
        task = create(dfm)
        return [poll(dfm, task).status_code for _ in range(20)]
    first, second = run(), run()
    assert first == second and 503 in first and 200 in first
    dfm.replace_emulator(EmulatorConfig(clock="manual", seed=1, faults=tuple(parse_rules("500@every:3"))))
    task = create(dfm)
    assert [poll(dfm, task).status_code for _ in range(6)] == [200, 200, 500, 200, 200, 500]
    assert poll(dfm, task).json()["code"] == 0


def test_bad_header_is_refused_before_the_task_exists(dfm):
    response = requests.post(dfm.url(create_path()), json=create_body(), headers={"X-Dfmock-Faults": "teapot"}, timeout=5)
    assert response.status_code == 400 and response.json()["code"] == 1004
    assert "X-Dfmock-Faults" in response.json()["msg"]
    assert requests.get(dfm.url("/__admin/tasks"), timeout=5).json()["count"] == 0


# -- admin API ---------------------------------------------------------------

def test_admin_faults_routes(dfm):
    base = dfm.url("/__admin/faults")
    assert requests.get(base, timeout=5).json() == {"active": False, "count": 0, "rules": []}
    added = requests.post(base, json="503@every:2", timeout=5)
    assert added.status_code == 201 and added.json()["added"] == ["f1"]
    task = create(dfm)
    scoped = requests.post(base, json={"faults": [{"fault": "drop", "route": "data"}], "task": task}, timeout=5).json()
    assert scoped["rules"][1] == {"id": "f2", "fault": "drop@once/data", "route": "data", "times": None,
                                  "task": task, "matched": 0, "fired": 0}
    poll(dfm, task), poll(dfm, task)
    listed = requests.get(base, timeout=5).json()
    assert listed["rules"][0]["matched"] == 2 and listed["rules"][0]["fired"] == 1
    assert requests.delete(base + "/f1", timeout=5).json() == {"removed": "f1"}
    assert requests.delete(base + "/f1", timeout=5).status_code == 404
    assert requests.post(base, json={"fault": "nope"}, timeout=5).json()["code"] == 1004
    assert requests.post(base, json={"faults": "503", "task": "unknown"}, timeout=5).status_code == 404
    assert requests.delete(base, timeout=5).json() == {"cleared": 1}
    assert dfm.emulator.faults.active is False


def test_reset_keeps_configured_faults_only(dfm):
    requests.post(dfm.url("/__admin/config"), json={"faults": ["503@every:2"]}, timeout=5)
    requests.post(dfm.url("/__admin/faults"), json="drop", timeout=5)
    requests.post(dfm.url("/__admin/reset"), timeout=5)
    rules = requests.get(dfm.url("/__admin/faults"), timeout=5).json()["rules"]
    assert [r["fault"] for r in rules] == ["503@every:2/status"]


def test_admin_config_swaps_in_a_fresh_emulator(dfm):
    create(dfm)
    answer = requests.post(dfm.url("/__admin/config"), json={
        "wire": {"numbers": "integer", "data_shape": "list"}, "clock": "step:2s", "seed": 3,
        "timeline": "waiting:1s,running:1s,failed"}, timeout=5).json()
    assert answer["wire"]["numbers"] == "integer" and answer["clock"]["step"] == 2.0 and answer["seed"] == 3
    assert requests.get(dfm.url("/__admin/tasks"), timeout=5).json()["count"] == 0
    task = create(dfm)
    data = poll(dfm, task).json()["data"]
    assert data[0]["progressCode"] == 2 and data[0]["downloadUrl"] == ""  # 2 s step: already failed
    assert json.loads(requests.get(dfm.url("/__admin/config"), timeout=5).text)["publicBaseUrl"] == dfm.base_url
    bad = requests.post(dfm.url("/__admin/config"), json={"clock": "sundial"}, timeout=5)
    assert bad.status_code == 400 and "sundial" in bad.json()["msg"]
    assert requests.post(dfm.url("/__admin/config"), json={"colour": 1}, timeout=5).status_code == 400


def test_one_answer_per_request_the_others_are_superseded(dfm):
    task = create(dfm, "503@nth:1; 429@nth:1; stall:1ms@nth:1")
    dfm.emulator.faults.sleep = lambda seconds: None
    assert poll(dfm, task).status_code == 503
    assert journal(dfm)[1]["fault"] == "f1 503@nth:1/status; f2 429@nth:1/status (superseded); f3 stall:1ms@nth:1/status"


def test_token_expiry_fault_carries_a_fresh_token_when_auth_is_on(dfm):
    pytest.importorskip("mock_server.auth")
    from contract_tests.signing import Signer

    requests.post(dfm.url("/__admin/config"), json={"auth": {"mode": "verify", "apps": ["k:s"],
                                                              "timestamp_window": "off"}}, timeout=5)
    assert requests.get(dfm.url("/__admin/config"), timeout=5).json()["auth"]["mode"] == "verify"
    task = requests.post(dfm.url("/__admin/tasks"), json={"orgId": "o1", "channelId": "ch-1"}, timeout=5).json()["taskId"]
    requests.post(dfm.url("/__admin/faults"), json={"faults": "apim:4011", "task": task}, timeout=5)
    signer = Signer(dfm.base_url, "k", "s")
    url = dfm.url(status_path(task))
    body = requests.get(url, headers=signer.headers("GET", url), timeout=5).json()
    assert body["apim_status"] == 4011 and body["apim_refreshtoken"] == signer.token()
    assert requests.get(url, headers=signer.headers("GET", url), timeout=5).json()["code"] == 0
    assert requests.get(url, timeout=5).status_code == 400  # unsigned: the gateway refuses
    bad = requests.post(dfm.url("/__admin/config"), json={"auth": {"mode": "sometimes"}}, timeout=5)
    assert bad.status_code == 400 and "auth.mode" in bad.json()["msg"]


def test_task_scoped_rules_are_bounded(monkeypatch):
    from mock_server import faults

    monkeypatch.setattr(faults, "MAX_REMEMBERED", 3)
    fault_set = faults.FaultSet(parse_rules("503@always"))
    for n in range(5):
        fault_set.add(faults.scoped(parse_rules("drop"), f"task{n}"))
    assert [r["task"] for r in fault_set.to_json()] == [None, "task2", "task3", "task4"]
    assert fault_set.wants("status", "task0") and not fault_set.wants("data", "task0")  # the global rule only
    assert not faults.FaultSet(faults.scoped(parse_rules("drop/data"), "t")).wants("status", "t")
    assert not faults.FaultSet(faults.scoped(parse_rules("drop"), "t")).wants("status", "other")
    on = faults.FaultSet(parse_rules("503@on:running"))
    fired = [bool(on.decide("status", f"t{n}", 1)) for n in range(5)] + [bool(on.decide("status", "t4", 1))]
    assert fired == [True] * 5 + [False]

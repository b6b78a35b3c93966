from mock_server import EmulatorConfig, create_app

from .helpers import create_body, create_path, status_path


def make_client(**config):
    return create_app(EmulatorConfig(clock="manual", seed=1, **config)).test_client()


def test_health_reports_seed_clock_and_counts():
    client = make_client()
    health = client.get("/__admin/health").get_json()
    assert health["status"] == "ok" and health["seed"] == 1
    assert health["clock"] == {"mode": "manual", "now": 1704067200.0}
    assert health["tasks"] == 0


def test_create_a_task_with_an_explicit_timeline_and_read_its_plan():
    client = make_client()
    response = client.post("/__admin/tasks", json={"orgId": "o1", "channelId": "ch-1",
                                                   "timeline": "waiting:2s,running:3s,failed,size:77"})
    assert response.status_code == 201
    detail = response.get_json()
    assert detail["plan"]["outcome"] == "failed" and detail["plan"]["dataSize"] == 77
    assert [(p["offset"], p["stateName"]) for p in detail["timeline"]] == [(0, "waiting"), (2, "running"), (5, "failed")]
    same = client.get(f"/__admin/tasks/{detail['taskId']}").get_json()
    assert same["timeline"] == detail["timeline"]
    assert client.get(status_path(detail["taskId"])).get_json()["data"]["progressCode"] == "0"


def test_list_tasks_filters_by_state():
    client = make_client()
    a = client.post("/__admin/tasks", json={"timeline": "waiting:1s,running:1s,success"}).get_json()["taskId"]
    client.post("/__admin/tasks", json={"timeline": "waiting:10s,running:1s,success"})
    client.post("/__admin/clock/advance", json={"seconds": 2})
    listed = client.get("/__admin/tasks?state=success").get_json()
    assert listed["count"] == 1 and listed["tasks"][0]["taskId"] == a
    assert client.get("/__admin/tasks?state=0").get_json()["count"] == 1


def test_third_party_cancel_and_delete_follow_the_state_rules():
    client = make_client()
    task = client.post("/__admin/tasks", json={"timeline": "waiting:1s,running:1s,success,cancelling:1s"}).get_json()["taskId"]
    deleted_too_early = client.post(f"/__admin/tasks/{task}/delete")
    assert deleted_too_early.status_code == 409 and deleted_too_early.get_json()["code"] == 81409
    assert client.post(f"/__admin/tasks/{task}/cancel").get_json()["stateName"] == "cancelling"
    again = client.post(f"/__admin/tasks/{task}/cancel")
    assert again.status_code == 409 and "only a waiting or running task" in again.get_json()["msg"]
    client.post("/__admin/clock/advance", json={"seconds": 1})
    assert client.post(f"/__admin/tasks/{task}/delete").get_json()["stateName"] == "deleting"


def test_clock_advance_and_set_only_move_forward():
    client = make_client()
    assert client.post("/__admin/clock/advance", json={"seconds": 2.5}).get_json()["now"] == 1704067202.5
    assert client.post("/__admin/clock/set", json={"now": 1704067300}).get_json()["now"] == 1704067300
    backwards = client.post("/__admin/clock/set", json={"now": 1704067200})
    assert backwards.status_code == 400 and "only moves forward" in backwards.get_json()["msg"]
    for bad in ({"seconds": -1}, {"seconds": "2s"}, {"seconds": True}, {}, [1]):
        assert client.post("/__admin/clock/advance", json=bad).status_code == 400
    assert client.get("/__admin/clock").get_json()["now"] == 1704067300


def test_real_clock_cannot_be_advanced():
    client = create_app(EmulatorConfig(clock="real")).test_client()
    response = client.post("/__admin/clock/advance", json={"seconds": 1})
    assert response.status_code == 400 and "--clock manual" in response.get_json()["msg"]


def test_journal_records_every_api_request_but_not_admin_ones():
    client = make_client()
    client.post(create_path(), json=create_body(), headers={"X-Client": "demo"})
    client.post("/__admin/clock/advance", json={"seconds": 3})
    client.get("/nowhere")
    entries = client.get("/__admin/requests").get_json()["requests"]
    assert [(e["method"], e["status"], e["code"]) for e in entries] == [("POST", 200, 0), ("GET", 404, 90404)]
    first = entries[0]
    assert first["query"] == "orgId=o1" and first["headers"]["X-Client"] == "demo"
    assert first["bodySize"] > 0 and first["time"] == 1704067200.0
    assert entries[1]["time"] == 1704067203.0
    since = client.get(f"/__admin/requests?since={first['seq']}").get_json()
    assert since["count"] == 1
    assert client.delete("/__admin/requests").get_json() == {"cleared": 2}
    assert client.get("/__admin/requests").get_json()["count"] == 0


def test_journal_is_a_bounded_ring():
    client = make_client(journal_size=3)
    for _ in range(5):
        client.get("/nowhere")
    body = client.get("/__admin/requests").get_json()
    assert body["count"] == 3 and body["dropped"] == 2
    assert [e["seq"] for e in body["requests"]] == [3, 4, 5]


def test_reset_forgets_tasks_and_replays_the_seed():
    client = make_client()
    first = client.post(create_path(), json=create_body()).get_json()["data"]["taskId"]
    assert client.post("/__admin/reset").get_json() == {"reset": True}
    assert client.get(status_path(first)).get_json()["code"] == 81404
    assert client.post(create_path(), json=create_body()).get_json()["data"]["taskId"] == first


def test_store_cap_evicts_finished_tasks_and_refuses_when_all_are_busy():
    client = make_client(max_tasks=2)
    done = client.post("/__admin/tasks", json={"timeline": "waiting:0s,running:0s,success"}).get_json()["taskId"]
    busy = client.post("/__admin/tasks", json={"timeline": "waiting:100s,running:1s,success"}).get_json()["taskId"]
    third = client.post(create_path(), json=create_body())
    assert third.get_json()["code"] == 0
    assert client.get(f"/__admin/tasks/{done}").status_code == 404  # evicted, it was finished
    assert client.get(f"/__admin/tasks/{busy}").status_code == 200
    full = client.post(create_path(), json=create_body())
    assert full.status_code == 429 and full.get_json()["code"] == 81429

"""The routes over in-process WSGI: create, poll, cancel/delete, download."""

import io
import zipfile

import pytest

from mock_server import EmulatorConfig, create_app
from mock_server.config import WireSettings
from mock_server.timeline import parse_timeline

from .helpers import cancel_path, create_body, create_path, data_path, status_path


@pytest.fixture
def client(dfmock_app):
    return dfmock_app.test_client()


def advance(client, seconds):
    assert client.post("/__admin/clock/advance", json={"seconds": seconds}).status_code == 200


def create(client, timeline="waiting:1s,running:4s,success,size:2200", **body):
    response = client.post(create_path(), json=create_body(**body), headers={"X-Dfmock-Timeline": timeline})
    assert response.status_code == 200, response.data
    return response.get_json()["data"]["taskId"]


def status(client, task_id):
    response = client.get(status_path(task_id))
    assert response.status_code == 200, response.data
    return response.get_json()["data"]


def test_create_answers_a_32_hex_task_id(client):
    response = client.post(create_path(), json=create_body())
    body = response.get_json()
    assert response.status_code == 200 and body["code"] == 0 and body["msg"] == "OK"
    assert len(body["data"]["taskId"]) == 32 and int(body["data"]["taskId"], 16) >= 0
    assert body["data"]["taskId"] == body["data"]["taskId"].lower()


def test_task_reads_waiting_running_success_and_the_file_has_datasize_bytes(client):
    task_id = create(client)
    seen = []
    for _ in range(7):
        data = status(client, task_id)
        seen.append(data["progressCode"])
        advance(client, 1)
    assert seen == ["0", "1", "1", "1", "1", "3", "3"]
    assert data["progressDesc"] == "success" and data["dataSize"] == "2200"
    assert data["downloadUrl"].endswith(data_path(task_id))
    file = client.get(data_path(task_id))
    assert file.status_code == 200 and len(file.data) == 2200
    assert file.headers["Content-Length"] == "2200"
    assert file.data.startswith(b"id,name,city,amount,created_at\n")


def test_data_size_grows_while_running(client):
    task_id = create(client, timeline="waiting:0s,running:10s,success,size:1000")
    sizes = []
    for _ in range(4):
        advance(client, 2)
        sizes.append(int(status(client, task_id)["dataSize"]))
    assert sizes == [200, 400, 600, 800]


def test_cancel_while_running_reads_4_then_5(client):
    task_id = create(client, timeline="waiting:1s,running:10s,success,cancelling:2s")
    advance(client, 2)
    answer = client.delete(cancel_path(task_id)).get_json()
    assert answer == {"code": 0, "msg": "OK", "data": {"taskId": task_id, "progressCode": "4", "progressDesc": "cancelling"}}
    assert status(client, task_id)["progressCode"] == "4"
    advance(client, 2)
    assert status(client, task_id)["progressCode"] == "5"
    assert client.get(data_path(task_id)).get_json()["code"] == 81409


def test_delete_a_finished_task_reads_6_then_7_and_the_file_is_gone(client):
    task_id = create(client, timeline="waiting:0s,running:1s,success,deleting:3s")
    advance(client, 1)
    assert status(client, task_id)["progressCode"] == "3"
    answer = client.delete(cancel_path(task_id)).get_json()["data"]
    assert answer["progressCode"] == "6" and answer["progressDesc"] == "deleting"
    assert status(client, task_id)["progressCode"] == "6"
    gone = client.get(data_path(task_id))
    assert gone.status_code == 410 and gone.get_json()["code"] == 81410
    advance(client, 3)
    assert status(client, task_id)["progressCode"] == "7"


def test_delete_on_cancelling_deleting_deleted_changes_nothing(client):
    task_id = create(client, timeline="waiting:5s,running:1s,success,cancelling:2s,deleting:2s")
    client.delete(cancel_path(task_id))
    assert client.delete(cancel_path(task_id)).get_json()["data"]["progressCode"] == "4"
    advance(client, 2)
    assert client.delete(cancel_path(task_id)).get_json()["data"]["progressCode"] == "6"  # cancelled -> delete
    assert client.delete(cancel_path(task_id)).get_json()["data"]["progressCode"] == "6"
    advance(client, 2)
    assert client.delete(cancel_path(task_id)).get_json()["data"]["progressCode"] == "7"


def test_failed_task_reports_no_file(client):
    task_id = create(client, timeline="waiting:0s,running:1s,failed")
    advance(client, 1)
    data = status(client, task_id)
    assert (data["progressCode"], data["progressDesc"], data["downloadUrl"], data["dataSize"]) == ("2", "failed", "", "0")
    assert client.get(data_path(task_id)).status_code == 409


def test_file_before_success_is_a_clear_error(client):
    task_id = create(client)
    response = client.get(data_path(task_id))
    assert response.status_code == 409
    assert response.get_json()["msg"] == f"task {task_id} is waiting; its file exists once the task succeeds"


def test_file_follows_the_files_config_gbk_tab(client):
    task_id = create(client, timeline="waiting:0s,running:1s,success,size:3000",
                     files=[{"split": False, "encoding": "gbk", "delimiter": "\t", "fileHeader": ["设备", "value", "ts"]}])
    advance(client, 1)
    data = client.get(data_path(task_id)).data
    assert len(data) == 3000
    text = data.decode("gbk")
    lines = text.split("\n")
    assert lines[0] == "设备\tvalue\tts"
    assert all(line.count("\t") == 2 for line in lines[1:-1])


def test_split_file_is_a_zip_of_the_named_parts_with_exact_size(client):
    files = [{"split": True, "encoding": "utf-8", "delimiter": ";", "fileHeader": ["a", "b"],
              "fileRename": {"file1": "first.csv", "file2": "second.csv", "file3": "third.csv"}}]
    task_id = create(client, timeline="waiting:0s,running:1s,success,size:50000", files=files)
    advance(client, 1)
    assert status(client, task_id)["dataSize"] == "50000"
    response = client.get(data_path(task_id))
    assert len(response.data) == 50000 and response.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.namelist() == ["first.csv", "second.csv", "third.csv"]
    assert archive.testzip() is None
    assert archive.read("first.csv").startswith(b"a;b\n")


def test_a_tiny_split_file_is_raised_to_the_zip_minimum(client):
    files = [{"split": True, "encoding": "utf-8", "fileHeader": ["a"]}]
    task_id = create(client, timeline="waiting:0s,running:1s,success,size:10", files=files)
    advance(client, 1)
    size = int(status(client, task_id)["dataSize"])
    assert size > 10
    assert len(client.get(data_path(task_id)).data) == size


def test_download_url_uses_the_public_base_url():
    app = create_app(EmulatorConfig(clock="manual", public_base_url="https://proxy.example.test/base",
                                    timeline=parse_timeline("waiting:0s,running:0s,success")))
    client = app.test_client()
    task_id = client.post(create_path(), json=create_body()).get_json()["data"]["taskId"]
    url = client.get(status_path(task_id)).get_json()["data"]["downloadUrl"]
    assert url == f"https://proxy.example.test/base/channels/read/ch-1/download/{task_id}/data?orgId=o1"


@pytest.mark.parametrize("wire, expected", [
    (WireSettings(numbers="integer"), {"progressCode": 0, "dataSize": 0, "downloadUrl": ""}),
    (WireSettings(before_success="empty"), {"progressCode": "0", "dataSize": "0", "downloadUrl": ""}),
    (WireSettings(before_success="null"), {"progressCode": "0", "dataSize": None, "downloadUrl": None}),
    (WireSettings(before_success="omit"), {"progressCode": "0"}),
])
def test_wire_switches_shape_the_status(wire, expected):
    client = create_app(EmulatorConfig(clock="manual", wire=wire)).test_client()
    task_id = client.post(create_path(), json=create_body()).get_json()["data"]["taskId"]
    data = client.get(status_path(task_id)).get_json()["data"]
    assert {k: v for k, v in data.items() if k not in ("taskId", "progressDesc")} == expected


def test_data_shape_list_and_request_id():
    client = create_app(EmulatorConfig(clock="manual", seed=3, wire=WireSettings(data_shape="list", request_id=True))).test_client()
    task_id = client.post(create_path(), json=create_body()).get_json()["data"]["taskId"]
    body = client.get(status_path(task_id)).get_json()
    assert isinstance(body["data"], list) and body["data"][0]["taskId"] == task_id
    assert len(body["requestId"]) == 32


def test_cancel_answer_cancelled_completes_at_once():
    client = create_app(EmulatorConfig(clock="manual", wire=WireSettings(cancel_answer="cancelled"))).test_client()
    task_id = client.post(create_path(), json=create_body()).get_json()["data"]["taskId"]
    assert client.delete(cancel_path(task_id)).get_json()["data"]["progressCode"] == "5"
    assert client.get(status_path(task_id)).get_json()["data"]["progressCode"] == "5"


def test_error_status_200_switch():
    client = create_app(EmulatorConfig(clock="manual", wire=WireSettings(error_status="200"))).test_client()
    response = client.get(status_path("f" * 32))
    assert response.status_code == 200 and response.get_json()["code"] == 81404

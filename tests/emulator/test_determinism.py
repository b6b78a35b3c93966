"""--seed: the same seed and the same requests give byte-identical answers and files."""

from mock_server import EmulatorConfig, create_app
from mock_server.timeline import parse_timeline

from .helpers import cancel_path, create_body, create_path, data_path, status_path

SCRIPT_TIMELINE = "waiting:1s..3s,running:2s..6s,success:0.7|failed:0.3,size:1k..64k"


def run_script(seed):
    client = create_app(EmulatorConfig(clock="manual", seed=seed, timeline=parse_timeline(SCRIPT_TIMELINE))).test_client()
    transcript = []
    files = [None, {"split": False, "encoding": "gbk", "delimiter": ";", "fileHeader": ["名称", "value"]},
             {"split": True, "encoding": "utf-8", "fileHeader": ["a", "b", "c"]}]
    ids = []
    for index in range(6):
        body = create_body(files=[files[index % 3]]) if files[index % 3] else create_body()
        response = client.post(create_path(), json=body)
        transcript.append(response.data)
        ids.append(response.get_json()["data"]["taskId"])
    transcript.append(client.delete(cancel_path(ids[5])).data)
    for _ in range(10):
        client.post("/__admin/clock/advance", json={"seconds": 1})
        for task_id in ids:
            transcript.append(client.get(status_path(task_id)).data)
    for task_id in ids:
        transcript.append(client.get(data_path(task_id)).data)
    return transcript


def test_same_seed_same_bytes():
    assert run_script(42) == run_script(42)


def test_another_seed_other_bytes():
    assert run_script(42) != run_script(43)

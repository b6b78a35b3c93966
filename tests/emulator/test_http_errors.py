"""Bad input of every kind gets the envelope with a documented code, never a 500,
and nothing already stored is lost."""

import pytest

from mock_server import EmulatorConfig, create_app

from .helpers import API, cancel_path, create_body, create_path, data_path, status_path

DOCUMENTED_CODES = {1202, 1004, 81400, 81404, 81409, 81410, 81429, 90404, 90405, 90413}


@pytest.fixture
def client():
    return create_app(EmulatorConfig(clock="manual", seed=5, max_body_bytes=4096)).test_client()


@pytest.fixture
def task_id(client):
    return client.post(create_path(), json=create_body()).get_json()["data"]["taskId"]


def assert_envelope(response, code, status):
    body = response.get_json()
    assert response.status_code == status, body
    assert set(body) == {"code", "msg", "data"} and body["data"] is None
    assert body["code"] == code and body["msg"]
    assert "Traceback" not in body["msg"]


BAD_CREATES = [
    ("missing orgId", dict(path=f"{API}/channels/read/ch-1/download-request", json=create_body()), 1202, 400),
    ("empty orgId", dict(path=create_path(org=""), json=create_body()), 1202, 400),
    ("blank orgId", dict(path=create_path(org="%20%20"), json=create_body()), 1202, 400),
    ("malformed JSON", dict(path=create_path(), data="{oops", content_type="application/json"), 1004, 400),
    ("empty body", dict(path=create_path(), data=""), 1004, 400),
    ("not UTF-8", dict(path=create_path(), data=b"\xff\xfe{}"), 1004, 400),
    ("array body", dict(path=create_path(), json=[1, 2]), 1004, 400),
    ("missing fields", dict(path=create_path(), json={"taskName": "x"}), 1004, 400),
    ("wrong type", dict(path=create_path(), json=create_body(taskName=5)), 1004, 400),
    ("files not a list", dict(path=create_path(), json=create_body(files={"split": True})), 1004, 400),
    ("bad encoding", dict(path=create_path(), json=create_body(files=[{"split": False, "encoding": "latin1", "fileHeader": ["a"]}])), 1004, 400),
    ("bad delimiter", dict(path=create_path(), json=create_body(files=[{"split": False, "encoding": "gbk", "delimiter": "|", "fileHeader": ["a"]}])), 1004, 400),
    ("rename gap", dict(path=create_path(), json=create_body(files=[{"split": True, "encoding": "gbk", "fileHeader": ["a"], "fileRename": {"file2": "x"}}])), 1004, 400),
    ("path in package", dict(path=create_path(), json=create_body(filePackageName="../etc/passwd")), 1004, 400),
    ("absurd channel", dict(path=create_path(channel="x" * 500), json=create_body()), 1004, 400),
    ("bad timeline header", dict(path=create_path(), json=create_body(), headers={"X-Dfmock-Timeline": "waiting:forever"}), 1004, 400),
    ("oversized body", dict(path=create_path(), json=create_body(querySql="x" * 10_000)), 90413, 413),
    ("bad content length", dict(path=create_path(), data="{}", headers={"Content-Length": "abc"}), 1004, 400),
]


@pytest.mark.parametrize("case, request_kwargs, code, status", BAD_CREATES, ids=[c[0] for c in BAD_CREATES])
def test_bad_create_requests(client, task_id, case, request_kwargs, code, status):
    kwargs = dict(request_kwargs)
    response = client.post(kwargs.pop("path"), **kwargs)
    assert_envelope(response, code, status)
    # Nothing stored is lost.
    assert client.get(status_path(task_id)).get_json()["data"]["taskId"] == task_id


def test_the_body_problems_are_all_named(client):
    body = client.post(create_path(), json={"taskName": 1, "files": [{"split": "yes"}]}).get_json()
    for fragment in ("taskName: expected a string", "sourceName: required", "querySql: required",
                     "filePackageName: required", "files[0].split: expected true or false",
                     "files[0].encoding: required", "files[0].fileHeader: required"):
        assert fragment in body["msg"]


@pytest.mark.parametrize("method, path, code, status", [
    ("GET", "/nowhere", 90404, 404),
    ("GET", f"{API}/channels/read/ch-1/download/abc/status/extra?orgId=o1", 90404, 404),
    ("PUT", status_path("a" * 32), 90405, 405),
    ("POST", status_path("a" * 32), 90405, 405),
    ("GET", create_path(), 90405, 405),
    ("PATCH", cancel_path("a" * 32), 90405, 405),
    ("GET", status_path("a" * 32), 81404, 404),
    ("GET", status_path("bad id!"), 1004, 400),
    ("GET", status_path("a" * 300), 1004, 400),
    ("GET", status_path("a" * 32, org=""), 1202, 400),
    ("DELETE", cancel_path("a" * 32), 81404, 404),
    ("GET", data_path("a" * 32), 81404, 404),
    ("GET", f"{API}/channels?orgId=o1&channelType=SIDEWAYS", 1004, 400),
    ("GET", f"{API}/channels", 1202, 400),
])
def test_bad_routes_and_params(client, method, path, code, status):
    assert_envelope(client.open(path, method=method), code, status)


def test_another_org_gets_81400_and_another_channel_81404(client, task_id):
    assert_envelope(client.get(status_path(task_id, org="intruder")), 81400, 403)
    assert_envelope(client.delete(cancel_path(task_id, org="intruder")), 81400, 403)
    assert_envelope(client.get(status_path(task_id, channel="ch-2")), 81404, 404)
    # the intruder's cancel changed nothing
    assert client.get(status_path(task_id)).get_json()["data"]["progressCode"] == "0"


def test_every_code_the_emulator_answers_is_documented(client, task_id):
    from mock_server.errors import ALL_ERRORS

    assert {e.code for e in ALL_ERRORS} - {81500} == DOCUMENTED_CODES
    text = open("docs/wire-format.md", encoding="utf-8").read()
    for code in DOCUMENTED_CODES | {81500}:
        assert f"| {code} |" in text


def test_an_unexpected_exception_is_an_81500_envelope_not_a_traceback(client, monkeypatch):
    from mock_server import service

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(service.Emulator, "list_channels", broken)
    response = client.get(f"{API}/channels?orgId=o1")
    assert_envelope(response, 81500, 500)
    assert "boom" not in response.get_json()["msg"]

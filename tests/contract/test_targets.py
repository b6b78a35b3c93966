"""Both targets send the same requests and give the same neutral Response."""

from __future__ import annotations

import json

import pytest

from contract_tests import HttpTarget, Response, WsgiTarget
from contract_tests.targets import file_path, task_path
from tests.contract.helpers import json_app, serve_wsgi

OK = {"code": 0, "msg": "OK", "data": {"taskId": "a" * 32}}


def _exercise(target):
    target.create_task("o1", "ch-1", {"taskName": "t"}, timeline="waiting:1s,success")
    target.get_status("o1", "ch-1", "t1")
    target.cancel("o1", "ch-1", "t1")
    target.download("o1", "ch-1", "t1")
    target.list_channels("o1", "READ")
    return target.request("POST", "/raw", params={"a": "1"}, json={"x": 1}, headers={"X-Test": "yes"})


EXPECTED = [
    ("POST", "/data-federation/v2.0/channels/read/ch-1/download-request", "orgId=o1"),
    ("GET", "/data-federation/v2.0/channels/read/ch-1/download/t1/status", "orgId=o1"),
    ("DELETE", "/data-federation/v2.0/channels/read/ch-1/download/t1", "orgId=o1"),
    ("GET", "/channels/read/ch-1/download/t1/data", "orgId=o1"),
    ("GET", "/data-federation/v2.0/channels", "orgId=o1&channelType=READ"),
    ("POST", "/raw", "a=1"),
]


@pytest.mark.parametrize("kind", ["wsgi", "http"])
def test_targets_send_the_real_paths(kind):
    seen = []
    app = json_app({("POST", "/raw"): (201, OK)}, seen)
    if kind == "wsgi":
        last = _exercise(WsgiTarget(app))
    else:
        with serve_wsgi(app) as base_url:
            last = _exercise(HttpTarget(base_url))
    assert [(r["method"], r["path"], r["query"]) for r in seen] == EXPECTED
    assert seen[0]["headers"]["HTTP_X_DFMOCK_TIMELINE"] == "waiting:1s,success"
    assert json.loads(seen[0]["body"]) == {"taskName": "t"}
    assert seen[5]["headers"]["HTTP_X_TEST"] == "yes"
    assert (last.status, last.json(), last.content_type) == (201, OK, "application/json")


def test_http_target_signs_the_exact_bytes_it_sends():
    seen, signed = [], []

    def sign(method, path, params, body):
        signed.append((method, path, params, body))
        return {"apim-signature": "s1"}

    with serve_wsgi(json_app({}, seen)) as base_url:
        HttpTarget(base_url, sign=sign).create_task("o1", "c", {"taskName": "名"})
    assert signed[0][:3] == ("POST", "/data-federation/v2.0/channels/read/c/download-request", {"orgId": "o1"})
    assert signed[0][3] == seen[0]["body"] == '{"taskName":"名"}'.encode()
    assert seen[0]["headers"]["HTTP_APIM_SIGNATURE"] == "s1"


def test_fetch_url_follows_a_download_url_in_process():
    seen = []
    target = WsgiTarget(json_app({}, seen))
    target.fetch_url("http://proxy.example.com/channels/read/c/download/t/data?orgId=o1")
    assert (seen[0]["path"], seen[0]["query"]) == ("/channels/read/c/download/t/data", "orgId=o1")


def test_path_parameters_are_escaped():
    assert task_path("ch/1", "t?1") == "/data-federation/v2.0/channels/read/ch%2F1/download/t%3F1"
    assert file_path("c", "t#") == "/channels/read/c/download/t%23/data"


def test_response_json_and_headers_are_case_insensitive_for_content_type():
    response = Response(200, {"content-type": "text/csv"}, b"a,b\n")
    assert response.content_type == "text/csv"
    with pytest.raises(ValueError):
        response.json()

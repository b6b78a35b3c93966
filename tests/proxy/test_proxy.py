"""The validating proxy: transparent for valid traffic, loud about a broken upstream."""

import json
from xml.etree import ElementTree

import requests

from contract_tests.proxy import HEADER_COUNT, HEADER_SUMMARY
from mock_server import EmulatorConfig, create_app

from .conftest import Recording, broken_upstream

API = "/data-federation/v2.0/channels/read/ch-1"
BODY = {"taskName": "t", "sourceName": "hive_enos", "querySql": "select 1", "filePackageName": "out",
        "files": [{"split": False, "encoding": "utf-8", "delimiter": ",", "fileHeader": ["a", "b"]}]}
STATUS = f"{API}/download/t1/status"


def test_valid_traffic_passes_untouched(proxied):
    upstream = Recording(create_app(EmulatorConfig(clock="manual", seed=3)))
    base, proxy = proxied(upstream)
    http = requests.Session()
    auth = {"apim-accesstoken": "opaque-token", "apim-timestamp": "1704067200000", "apim-signature": "ab" * 32}
    sent = json.dumps(BODY, separators=(",", ":")).encode()
    created = http.post(f"{base}{API}/download-request?orgId=o1&x=%E6%95%B0", data=sent,
                        headers={"Content-Type": "application/json", "X-Dfmock-Timeline": "running:2s,success",
                                 **auth})
    task = created.json()["data"]["taskId"]
    answers = [created]
    answers.append(http.get(f"{base}{API}/download/{task}/status", params={"orgId": "o1"}))
    http.post(f"{base}/__admin/clock/advance", json={"seconds": 1.5})
    answers.append(http.get(f"{base}{API}/download/{task}/status", params={"orgId": "o1"}))
    http.post(f"{base}/__admin/clock/advance", json={"seconds": 10})
    status = http.get(f"{base}{API}/download/{task}/status", params={"orgId": "o1"})
    answers.append(status)
    size = int(status.json()["data"]["dataSize"])
    file = http.get(f"{base}/channels/read/ch-1/download/{task}/data", params={"orgId": "o1"})
    assert file.status_code == 200 and len(file.content) == size
    answers.append(file)
    answers.append(http.delete(f"{base}{API}/download/{task}", params={"orgId": "o1"}))
    answers.append(http.get(f"{base}/data-federation/v2.0/channels", params={"orgId": "o1"}))
    answers.append(http.get(f"{base}{API}/download/nope/status", params={"orgId": "o1"}))  # an error, valid
    api_calls = [r for r in upstream.seen if not r["path"].startswith("/__admin")]
    assert [a.content for a in answers] == [r["answer"] for r in api_calls]  # byte-equal bodies
    for answer in answers:
        assert HEADER_COUNT not in answer.headers
    first = api_calls[0]  # the request arrived unchanged
    assert first["method"] == "POST" and first["query"] == "orgId=o1&x=%E6%95%B0" and first["body"] == sent
    assert {k: first["headers"][k] for k in auth} == auth
    report = proxy.report()
    assert report["violations"] == 0 and report["exchanges"] == 10 and report["unchecked"] == 2  # 2 admin calls
    assert report["tasks"][task] == ["waiting", "running", "success", "deleting"]


def test_a_broken_answer_is_reported_with_its_json_path(proxied, tmp_path):
    bad = {"code": 0, "msg": "OK", "data": {"taskId": "t1", "downloadUrl": "", "progressDesc": "running",
                                             "progressCode": "9", "dataSize": "0"}}
    base, proxy = proxied(broken_upstream({STATUS: [("200 OK", bad, [])]}))
    answer = requests.get(base + STATUS, params={"orgId": "o1"})
    assert answer.status_code == 200 and answer.json() == bad  # passed on unchanged
    assert int(answer.headers[HEADER_COUNT]) >= 1
    assert "$.data.progressCode" in answer.headers[HEADER_SUMMARY]
    proxy.write_reports(tmp_path / "report.json", tmp_path / "junit.xml")
    report = json.loads((tmp_path / "report.json").read_text())
    [finding] = report["findings"]
    assert finding["path"] == STATUS and finding["kind"] == "status-answer"
    assert any(v["json_path"] == "$.data.progressCode" and v["value"] == "9" for v in finding["violations"])
    suite = ElementTree.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite.get("failures") == "1"
    assert "$.data.progressCode" in suite.find("testcase/failure").text


def test_strict_turns_a_violating_answer_into_a_502(proxied):
    bad = {"code": 0, "msg": "OK", "data": {"taskId": "t1", "progressDesc": "success", "progressCode": "3",
                                             "downloadUrl": "", "dataSize": "5"}}
    base, _ = proxied(broken_upstream({STATUS: [("200 OK", bad, [])]}), strict=True)
    answer = requests.get(base + STATUS, params={"orgId": "o1"})
    assert answer.status_code == 502
    body = answer.json()
    assert body["code"] == 90502 and body["data"] is None and "$.data.downloadUrl" in body["msg"]


def test_an_illegal_sequence_is_reported(proxied):
    def struct(code, desc):
        return {"code": 0, "msg": "OK", "data": {"taskId": "t1", "downloadUrl": "", "progressDesc": desc,
                                                  "progressCode": code, "dataSize": "0"}}

    base, proxy = proxied(broken_upstream({STATUS: [("200 OK", struct("2", "failed"), []),
                                                    ("200 OK", struct("1", "running"), [])]}))
    assert HEADER_COUNT not in requests.get(base + STATUS, params={"orgId": "o1"}).headers
    second = requests.get(base + STATUS, params={"orgId": "o1"})
    assert second.headers[HEADER_COUNT] == "1"
    [violation] = proxy.report()["findings"][0]["violations"]
    assert violation["json_path"] == "$.data.progressCode" and violation["rule"] == "lifecycle:terminal-stays-put"


def test_a_file_of_the_wrong_size_is_reported(proxied):
    done = {"code": 0, "msg": "OK", "data": {"taskId": "t1", "downloadUrl": "http://h/x", "progressDesc": "success",
                                              "progressCode": "3", "dataSize": "100"}}
    data_path = "/channels/read/ch-1/download/t1/data"

    def upstream(environ, start_response):
        if environ["PATH_INFO"] == data_path:
            start_response("200 OK", [("Content-Type", "text/csv"), ("Content-Length", "50")])
            return [b"x" * 50]
        return broken_upstream({STATUS: [("200 OK", done, [])]})(environ, start_response)

    base, proxy = proxied(upstream)
    requests.get(base + STATUS, params={"orgId": "o1"})
    file = requests.get(base + data_path, params={"orgId": "o1"})
    assert file.content == b"x" * 50 and file.headers[HEADER_COUNT] == "1"
    [finding] = proxy.report()["findings"]
    assert finding["violations"][0]["rule"] == "file:size-matches-data-size"


def test_an_unreachable_upstream_is_a_502_envelope():
    import socket

    from werkzeug.test import Client

    from contract_tests.proxy import ValidatingProxy

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    answer = Client(ValidatingProxy(f"http://127.0.0.1:{port}", timeout=2)).get(STATUS)
    assert answer.status_code == 502 and answer.json["code"] == 90504


def test_only_http_upstreams_without_query_are_accepted():
    import pytest

    from contract_tests.proxy import ValidatingProxy

    for bad in ("ftp://h", "http://", "http://h/?a=1", "h:80"):
        with pytest.raises(ValueError):
            ValidatingProxy(bad)


def test_an_upstream_that_breaks_off_mid_answer_is_a_502_envelope():
    """Headers promise 100 bytes, the connection closes after 10: the proxy answers
    90504 and records the exchange, instead of failing with a server error."""
    import socket
    import threading

    from werkzeug.test import Client

    from contract_tests.proxy import RULE_UNREACHABLE, ValidatingProxy

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer_half():
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               b"Content-Length: 100\r\n\r\n{\"code\": 0")

    server = threading.Thread(target=answer_half, daemon=True)
    server.start()
    try:
        proxy = ValidatingProxy(f"http://127.0.0.1:{port}", timeout=5)
        answer = Client(proxy).get(STATUS, query_string={"orgId": "o1"})
    finally:
        server.join(timeout=5)
        listener.close()
    assert answer.status_code == 502 and answer.json["code"] == 90504
    assert "broke off" in answer.json["msg"]
    [finding] = proxy.report()["findings"]
    assert finding["violations"][0]["rule"] == RULE_UNREACHABLE
    assert proxy.report()["unreachable"] == 1


def test_an_oversized_body_is_refused_without_reaching_the_upstream(proxied):
    upstream = Recording(create_app(EmulatorConfig(clock="manual", seed=3)))
    base, proxy = proxied(upstream, max_body_bytes=1000)
    big = dict(BODY, querySql="select " + "x" * 2000)
    refused = requests.post(f"{base}{API}/download-request", params={"orgId": "o1"}, json=big)
    assert refused.status_code == 413 and refused.json()["code"] == 90413
    assert "larger than the proxy's limit of 1000 bytes" in refused.json()["msg"]
    assert upstream.seen == []
    fits = requests.post(f"{base}{API}/download-request", params={"orgId": "o1"}, json=BODY)
    assert fits.status_code == 200 and len(upstream.seen) == 1

"""The validator's inputs, kind detection, semantic rules and reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contract_tests import MISSING, Response, check_message, check_response, detect_kind, validate_message
from tests.contract.helpers import fixture_path, pairs

TASK = "0f3a5c1e9b7d4e2a8c6b1d0e3f5a7c9b"
URL = f"https://proxy.example.com/channels/read/ch-1/download/{TASK}/data?orgId=o1"


def status(code="3", desc="success", url=URL, size="10", **extra):
    data = {"taskId": TASK, "downloadUrl": url, "progressDesc": desc, "progressCode": code, "dataSize": size}
    return {"code": 0, "msg": "OK", "data": {**data, **extra}}


def test_accepts_parsed_text_bytes_path_and_response_alike(tmp_path):
    message = status(desc="running")
    path = tmp_path / "captured.json"
    path.write_text(json.dumps(message))
    inputs = [message, json.dumps(message), json.dumps(message).encode(), path,
              Response(200, {}, json.dumps(message).encode()), b"\xef\xbb\xbf" + json.dumps(message).encode()]
    results = [pairs(validate_message(source)) for source in inputs]
    assert results == [{("$.data.progressDesc", "semantic:progressDesc-matches-code")}] * len(inputs)


def test_unreadable_input_is_one_parse_violation(tmp_path):
    assert pairs(validate_message(b"\xff\xfe")) == {("$", "parse:utf-8")}
    assert pairs(validate_message("{")) == {("$", "parse:json")}
    assert pairs(validate_message(Path(tmp_path / "absent.json"))) == {("$", "parse:file")}


def test_unknown_profile_or_kind_is_a_usage_error():
    with pytest.raises(ValueError, match="unknown profile 'strict'"):
        validate_message(status(), profile="strict")
    with pytest.raises(ValueError, match="unknown message kind 'status'"):
        validate_message(status(), kind="status")


def test_a_message_of_no_known_kind_says_so():
    assert pairs(validate_message({"hello": "world"})) == {("$", "kind:unknown")}
    assert pairs(validate_message([1, 2])) == {("$", "kind:unknown")}


@pytest.mark.parametrize("message,kind", [
    (status(), "status-answer"),
    ({"code": 0, "msg": "OK", "data": [status()["data"]]}, "status-answer"),
    ({"code": 0, "msg": "OK", "data": {"taskId": TASK}}, "create-answer"),
    ({"code": 0, "msg": "OK", "data": {"taskId": TASK, "progressCode": 4, "progressDesc": "cancelling"}}, "cancel-answer"),
    ({"code": 0, "msg": "OK", "data": {"taskId": TASK, "progressCode": 1, "progressDesc": "running"}}, "status-answer"),
    ({"code": 81404, "msg": "no", "data": None}, "error-envelope"),
    ({"code": 0, "msg": "OK", "data": []}, "channels-answer"),
    ({"id": TASK, "returnCode": "0"}, "callback"),
    ({"taskName": "t"}, "create-request"),
    ({"appKey": "k"}, "token-request"),
    ({"status": 0, "msg": "ok", "business": "apim-token-service"}, "token-answer"),
    (status()["data"], "status-struct"),
    ({"code": 0, "msg": "OK", "data": None}, "envelope"),
])
def test_detect_kind(message, kind):
    assert detect_kind(message) == kind


def test_missing_field_is_reported_at_the_field_itself():
    message = status()
    del message["data"]["taskId"]
    [violation] = validate_message(message, profile="sample")
    assert (violation.json_path, violation.rule, violation.value) == ("$.data.taskId", "schema:required", MISSING)
    assert violation.to_dict()["missing"] is True


def test_odd_field_names_get_quoted_paths():
    message = status(**{"odd key": 1})
    assert pairs(validate_message(message)) == {('$.data["odd key"]', "schema:additionalProperties")}


@pytest.mark.parametrize("url,problem", [("", "empty"), (None, "null"), ("ftp://x/y", "not an http(s) URL"),
                                         ("proxy.example.com/data", "not an http(s) URL")])
def test_success_needs_an_http_url(url, problem):
    [violation] = validate_message(status(url=url))
    assert violation.rule == "semantic:success-has-download-url" and problem in violation.message


def test_before_success_forms_are_all_lenient():
    for url, size in [("", "0"), ("", "512"), (None, None)]:
        assert validate_message(status("1", "running", url, size)) == []
    message = status("0", "waiting")
    del message["data"]["downloadUrl"], message["data"]["dataSize"]
    assert validate_message(message, "status-answer") == []


def test_documented_and_sample_require_every_status_field():
    message = status("1", "running")
    del message["data"]["dataSize"]
    message["data"]["progressCode"] = 1
    message["data"] = [message["data"]]
    assert pairs(validate_message(message, profile="documented")) == {("$.data[0].dataSize", "schema:required")}


def test_task_id_rule_applies_only_when_the_task_is_known():
    assert validate_message(status()) == []
    assert pairs(validate_message(status(), task_id="f" * 32)) == {("$.data.taskId", "semantic:task-id-matches-request")}


def test_callback_rules():
    good = {"id": TASK, "returnCode": "0", "taskId": TASK, "progressCode": "3", "progressDesc": "success",
            "downloadUrl": URL, "dataSize": "1", "vendorField": True}
    assert validate_message(good) == []
    bad = {**good, "taskId": "f" * 32, "returnCode": "1"}
    assert pairs(validate_message(bad)) == {("$.taskId", "semantic:callback-id-matches-task-id"),
                                            ("$.returnCode", "semantic:callback-return-code")}


def test_reports_in_text_and_json():
    report = check_message(status(desc="failed"), source="poll-3")
    assert report.to_text() == (
        "poll-3: status-answer under profile lenient: 1 violation\n"
        "  - $.data.progressDesc: progressDesc 'failed' does not match progressCode 3 ('success') "
        '[semantic:progressDesc-matches-code] (value: "failed")')
    as_json = json.loads(report.to_json())
    assert as_json["valid"] is False and as_json["kind"] == "status-answer"
    assert as_json["violations"] == [{"json_path": "$.data.progressDesc", "rule": "semantic:progressDesc-matches-code",
                                      "message": "progressDesc 'failed' does not match progressCode 3 ('success')",
                                      "value": "failed", "missing": False}]
    assert check_message(status()).to_text() == "status-answer under profile lenient: valid"


@pytest.mark.parametrize("http_status,body,rules", [
    (200, status(), set()),
    (404, {"code": 81404, "msg": "no", "data": None}, set()),
    (200, {"code": 81404, "msg": "no", "data": None}, set()),
    (500, status(), {("$.code", "http:status-matches-code")}),
    (302, {"code": 81404, "msg": "no", "data": None}, {("$.code", "http:status-matches-code")}),
])
def test_check_response_relates_http_status_and_code(http_status, body, rules):
    report = check_response(Response(http_status, {"Content-Type": "application/json"}, json.dumps(body).encode()))
    assert pairs(report.violations) == rules


def test_file_fixture_by_path():
    report = check_message(Path(str(fixture_path("samples/status-success-cn4.json"))))
    assert report.ok and report.source.endswith("status-success-cn4.json")

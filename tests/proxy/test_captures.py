"""dfmock validate on a HAR file or JSON lines: every exchange and task sequence."""

import json

from contract_tests.captures import check_capture
from contract_tests.cli import main

STATUS = "http://gw.example/data-federation/v2.0/channels/read/ch-1/download/t1/status?orgId=o1"


def status(code, desc, url="", size="0"):
    return {"code": 0, "msg": "OK", "data": {"taskId": "t1", "downloadUrl": url, "progressDesc": desc,
                                              "progressCode": code, "dataSize": size}}


def har(*bodies):
    entries = [{"request": {"method": "GET", "url": STATUS, "headers": []},
                "response": {"status": 200, "headers": [{"name": "Content-Type", "value": "application/json"}],
                             "content": {"mimeType": "application/json", "text": json.dumps(body)}}}
               for body in bodies]
    return {"log": {"version": "1.2", "entries": entries}}


def test_a_clean_har_is_valid(tmp_path, capsys):
    path = tmp_path / "session.har"
    path.write_text(json.dumps(har(status("0", "waiting"), status("1", "running", size="10"),
                                   status("3", "success", "http://h/f", "12345"))))
    assert main(["validate", str(path)]) == 0
    assert "3 exchange(s) checked" in capsys.readouterr().out


def test_a_har_with_a_broken_sequence_and_field(tmp_path, capsys):
    path = tmp_path / "session.har"
    path.write_text(json.dumps(har(status("3", "success", "http://h/f", "5"), status("1", "running"),
                                   status("9", "running"))))
    assert main(["validate", str(path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    rules = {(v["json_path"], v["rule"]) for f in report["findings"] for v in f["violations"]}
    assert ("$.data.progressCode", "lifecycle:terminal-stays-put") in rules
    assert any(path == "$.data.progressCode" and rule.startswith("schema:") for path, rule in rules)


def test_json_lines_exchanges_and_bare_messages(tmp_path):
    path = tmp_path / "capture.jsonl"
    lines = [
        {"method": "GET", "url": STATUS, "status": 200, "response_body": status("1", "running")},
        {"method": "POST", "path": "/data-federation/v2.0/channels/read/ch-1/download-request?orgId=o1",
         "status": 200, "request_body": {"taskName": "t"}, "response_body": {"code": 0, "msg": "OK",
                                                                             "data": {"taskId": "a" * 32}}},
        {"id": "t1", "returnCode": "0", "progressCode": "2"},
    ]
    path.write_text("# a capture\n" + "\n".join(json.dumps(line) for line in lines) + "\nnot json\n")
    checker = check_capture(path)
    assert checker.exchanges == 4
    found = {f.path: [v.rule for v in f.violations] for f in checker.findings}
    assert any(rule == "schema:required" for rule in found["/data-federation/v2.0/channels/read/ch-1/download-request"])
    assert "semantic:callback-return-code" in found["line 4"]
    assert found["line 5"] == ["parse:json"]


def test_an_unreadable_har_is_a_usage_error(tmp_path):
    path = tmp_path / "x.har"
    path.write_text("{}")
    assert main(["validate", str(path)]) == 2

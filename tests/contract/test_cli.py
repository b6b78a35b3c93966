"""``dfmock validate`` / ``dfmock check`` through ``contract_tests.cli.main``."""

from __future__ import annotations

import io
import json
import sys

import pytest

from contract_tests.cli import main
from tests.contract.helpers import fixture_path, json_app, serve_wsgi

SAMPLE = str(fixture_path("samples/status-success-cn4.json"))
INVALID = str(fixture_path("messages/invalid/status-desc-mismatch.json"))


def test_valid_file_exits_0_with_a_one_line_verdict(capsys):
    assert main(["validate", SAMPLE]) == 0
    assert capsys.readouterr().out == f"{SAMPLE}: status-answer under profile lenient: valid\n"


def test_invalid_file_exits_1_and_names_path_rule_and_value(capsys):
    assert main(["validate", INVALID]) == 1
    out = capsys.readouterr().out
    assert "1 violation" in out
    assert '$.data.progressDesc: progressDesc \'success\' does not match progressCode 1 (\'running\') ' \
           '[semantic:progressDesc-matches-code] (value: "success")' in out


def test_profile_option_changes_the_verdict(capsys):
    assert main(["validate", "--profile", "documented", SAMPLE]) == 1
    assert "$.data.progressCode: expected integer, got string [schema:type]" in capsys.readouterr().out


def test_json_format(capsys):
    assert main(["validate", "--format", "json", "--profile", "documented", SAMPLE]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and report["profile"] == "documented"
    assert {v["json_path"] for v in report["violations"]} == {"$.data", "$.data.progressCode", "$.data.dataSize"}


def test_stdin_and_explicit_kind(capsys, monkeypatch):
    body = b'{"code":0,"msg":"OK","data":{"taskId":"t","progressCode":"1","progressDesc":"running"}}'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(body)))
    assert main(["validate", "--kind", "cancel-answer", "-"]) == 1
    assert "<stdin>: cancel-answer under profile lenient: 1 violation" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["validate"], ["validate", "--profile", "strict", SAMPLE],
                                  ["validate", "--kind", "nope", SAMPLE], ["validate", "/no/such/file.json"]])
def test_usage_errors_exit_2(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse rejects bad usage by exiting
        code = exc.code
    assert code == 2
    assert capsys.readouterr().err


def test_check_fetches_one_status_over_http(capsys):
    sample = json.loads(fixture_path("samples/status-success-cn4.json").read_text())
    task = sample["data"]["taskId"]
    seen = []
    path = f"/data-federation/v2.0/channels/read/ch-dee0c5/download/{task}/status"
    with serve_wsgi(json_app({("GET", path): (200, sample)}, seen)) as base_url:
        code = main(["check", "--base-url", base_url, "--org", "o15504722874071", "--channel", "ch-dee0c5",
                     "--task", task])
    assert code == 0
    assert seen[0]["query"] == "orgId=o15504722874071"
    assert "status-answer under profile lenient: valid" in capsys.readouterr().out


def test_check_reports_a_refusal_and_another_task(capsys):
    with serve_wsgi(json_app({})) as base_url:
        assert main(["check", "--base-url", base_url, "--org", "o1", "--channel", "c", "--task", "t"]) == 1
    assert "[check:status-answered]" in capsys.readouterr().out
    sample = json.loads(fixture_path("samples/status-success-cn5.json").read_text())
    path = "/data-federation/v2.0/channels/read/c/download/other/status"
    with serve_wsgi(json_app({("GET", path): (200, sample)})) as base_url:
        assert main(["check", "--base-url", base_url, "--org", "o1", "--channel", "c", "--task", "other"]) == 1
    assert "[semantic:task-id-matches-request]" in capsys.readouterr().out


def test_check_of_an_unreachable_url_exits_2(capsys):
    with serve_wsgi(json_app({})) as base_url:
        pass  # the port is free again once the server is closed
    assert main(["check", "--base-url", base_url, "--org", "o", "--channel", "c", "--task", "t", "--timeout", "5"]) == 2
    assert "cannot reach" in capsys.readouterr().err

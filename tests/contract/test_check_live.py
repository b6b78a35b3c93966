"""``dfmock check`` against a running emulator (the in-process runner: real HTTP on
a free port), for a task at several points of its life."""

from __future__ import annotations

import json

import requests

from contract_tests.cli import main
from mock_server import EmulatorConfig
from mock_server.config import WireSettings
from mock_server.runner import run_emulator

ORG, CHANNEL = "o15504722874071", "ch-dee0c5"
BODY = {"taskName": "t", "sourceName": "hive_enos", "querySql": "select 1", "filePackageName": "out"}


def _create(dfm, timeline: str) -> str:
    answer = requests.post(dfm.url(f"/data-federation/v2.0/channels/read/{CHANNEL}/download-request"),
                           params={"orgId": ORG}, json=BODY, headers={"X-Dfmock-Timeline": timeline}, timeout=10)
    return answer.json()["data"]["taskId"]


def _check(dfm, task_id: str, *options: str) -> int:
    return main(["check", "--base-url", dfm.base_url, "--org", ORG, "--channel", CHANNEL, "--task", task_id,
                 "--timeout", "10", *options])


def test_check_of_a_live_emulator_task_through_its_life(capsys):
    with run_emulator(EmulatorConfig(clock="manual", seed=1)) as dfm:
        task = _create(dfm, "waiting:1s,running:2s,success,size:2200")
        for seconds in (0, 1, 2):  # waiting, running, success
            dfm.advance(seconds)
            assert _check(dfm, task, "--profile", "sample") == 0
        out = capsys.readouterr().out
        assert out.count("status-answer under profile sample: valid") == 3
        assert f"GET {dfm.base_url}/data-federation/v2.0/channels/read/{CHANNEL}/download/{task}/status" in out
        # The samples' string numbers are not the documented table's integers.
        assert _check(dfm, task, "--profile", "documented", "--format", "json") == 1
        report = json.loads(capsys.readouterr().out)
        assert {v["json_path"] for v in report["violations"]} >= {"$.data.progressCode", "$.data.dataSize"}
        # Another org's view of the task is a refusal, not a status.
        assert main(["check", "--base-url", dfm.base_url, "--org", "o-other", "--channel", CHANNEL,
                     "--task", task]) == 1
        assert "[check:status-answered]" in capsys.readouterr().out


def test_check_under_the_documented_wire_settings_passes_documented():
    config = EmulatorConfig(clock="manual", seed=2, wire=WireSettings(numbers="integer", data_shape="list"))
    with run_emulator(config) as dfm:
        task = _create(dfm, "waiting:0s,running:1s,success")
        dfm.advance(1)
        assert _check(dfm, task, "--profile", "documented") == 0

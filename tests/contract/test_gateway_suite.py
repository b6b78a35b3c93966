"""The gateway suite (contract_tests/suites/test_gateway.py) run against the real
``dfmock serve`` process by URL alone, as a user would run it against a gateway:
in a nested pytest run, configured only through DFMOCK_GATEWAY_* variables.

The emulator runs a step clock (every status read moves it 1 s), so the suite
polls with a zero interval and still sees tasks wait, run and finish: no sleeping.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import requests

from .helpers import GATEWAY_CHANNEL, GATEWAY_ORG, run_gateway_suite

pytest_plugins = ["pytester"]

ORG, CHANNEL = GATEWAY_ORG, GATEWAY_CHANNEL
API = f"/data-federation/v2.0/channels/read/{CHANNEL}"
BODY = {"taskName": "t", "sourceName": "hive_enos", "querySql": "select 1", "filePackageName": "out",
        "files": [{"split": False, "encoding": "utf-8", "delimiter": ",", "fileHeader": ["a", "b"]}]}


@pytest.fixture
def serve(tmp_path):
    """Start ``dfmock serve`` with extra options; yields its base URL."""
    processes = []

    def start(*options: str) -> str:
        port_file = tmp_path / f"port{len(processes)}"
        process = subprocess.Popen(
            [sys.executable, "-m", "mock_server.cli", "serve", "--port", "0", "--port-file", str(port_file),
             "--clock", "step:1s", "--seed", "3", "--timeline", "waiting:1s,running:3s,success,size:3000", *options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        processes.append(process)
        banner = process.stdout.readline()  # printed once listening: no sleeping, no polling
        assert "serving on http://" in banner, banner + process.stderr.read()
        return banner.split("serving on ")[1].split()[0]

    yield start
    for process in processes:
        process.kill()
        process.wait()


def _task(base: str, timeline: str | None = None, headers: dict | None = None) -> str:
    extra = dict(headers or {})
    if timeline:
        extra["X-Dfmock-Timeline"] = timeline
    answer = requests.post(f"{base}{API}/download-request", params={"orgId": ORG}, json=BODY, headers=extra, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["taskId"]


def _given_tasks(base: str) -> list[str]:
    """One task of each ending: success, failed, cancelled, and a success deleted by
    the client. The step clock is shared: the first task is followed from waiting,
    the others have ended or are ending by the time the suite polls them."""
    tasks = [_task(base, "waiting:3s,running:4s"), _task(base, "waiting:2s,running:3s,failed")]
    cancelled = _task(base, "waiting:5s,cancelling:12s")
    assert requests.delete(f"{base}{API}/download/{cancelled}", params={"orgId": ORG}, timeout=10).status_code == 200
    deleted = _task(base, "waiting:0s,running:0s,success,size:10,deleting:20s")
    requests.get(f"{base}{API}/download/{deleted}/status", params={"orgId": ORG}, timeout=10)  # the step clock moves
    assert requests.delete(f"{base}{API}/download/{deleted}", params={"orgId": ORG},
                           timeout=10).json()["data"]["progressCode"] == "6"
    return tasks + [cancelled, deleted]


def test_gateway_suite_passes_against_the_emulator_process(pytester, monkeypatch, serve):
    base = serve()
    tasks = _given_tasks(base)
    result = run_gateway_suite(pytester, monkeypatch, base, TASKS=",".join(tasks), CREATE="1", PROFILE="sample")
    result.assert_outcomes(passed=2 + len(tasks) + 1, skipped=0)
    # What each followed task went through (the suite prints it), with no sleeping.
    lines = dict(re.findall(r"task ([0-9a-f]{32}): (.*)", result.stdout.str()))
    first, failed, cancelled, deleted = (lines.pop(task) for task in tasks)
    assert first.startswith("0:waiting -> ") and "-> 1:running" in first
    assert first.endswith("3:success -> 3:success; downloaded 3000 bytes")
    assert failed.endswith("2:failed") and cancelled.endswith("-> 5:cancelled") and deleted.endswith("-> 7:deleted")
    assert "4:cancelling" in cancelled and "6:deleting" in deleted
    (created,) = lines.values()
    assert created.endswith("3:success -> 3:success -> 6:deleting; downloaded 3000 bytes")


def test_gateway_suite_signs_requests_for_a_gateway_that_verifies(pytester, monkeypatch, serve):
    base = serve("--auth", "verify", "--app", "dfmock-key:dfmock-secret", "--auth-window", "off")
    result = run_gateway_suite(pytester, monkeypatch, base, CREATE="1", APP_KEY="dfmock-key", APP_SECRET="dfmock-secret")
    result.assert_outcomes(passed=3, skipped=1)  # no DFMOCK_GATEWAY_TASKS: that test is skipped
    unsigned = run_gateway_suite(pytester, monkeypatch, base, CREATE="1")
    unsigned.assert_outcomes(failed=3, skipped=1)


def test_gateway_suite_is_skipped_with_its_reason_when_not_configured(pytester, monkeypatch):
    for name in [n for n in list(os.environ) if n.startswith("DFMOCK_GATEWAY_")]:
        monkeypatch.delenv(name)
    result = pytester.runpytest("--pyargs", "contract_tests.suites", "-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(skipped=4)
    result.stdout.fnmatch_lines(["*gateway suite not configured: set DFMOCK_GATEWAY_URL*"])


def test_gateway_suite_reports_misconfiguration_as_an_error(pytester, monkeypatch):
    monkeypatch.setenv("DFMOCK_GATEWAY_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("DFMOCK_GATEWAY_ORG", raising=False)
    monkeypatch.delenv("DFMOCK_GATEWAY_CHANNEL", raising=False)
    result = pytester.runpytest("--pyargs", "contract_tests.suites", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=4)
    result.stdout.fnmatch_lines(["*also needs DFMOCK_GATEWAY_ORG, DFMOCK_GATEWAY_CHANNEL*"])

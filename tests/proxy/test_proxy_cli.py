"""``dfmock proxy`` as a separate process, end to end: real HTTP through it to a real
upstream (``dfmock serve`` with a manual clock, or a tiny broken stub), stopped with
SIGTERM, then its exit code and the JSON and JUnit reports it wrote on the way out.

No test sleeps for a state change: the emulator's clock moves only when the test
advances it through the admin API. The only polling is for a process's port file,
with a deadline, while it starts.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from xml.etree import ElementTree

import pytest
import requests

from contract_tests.proxy import HEADER_COUNT, HEADER_SUMMARY, RULE_UNREACHABLE
from mock_server.serving import BackgroundServer

from .conftest import broken_upstream

ORG, CHANNEL = "o1", "ch-1"
API = f"/data-federation/v2.0/channels/read/{CHANNEL}"
BODY = {"taskName": "t", "sourceName": "hive_enos", "querySql": "select 1", "filePackageName": "out",
        "files": [{"split": False, "encoding": "utf-8", "delimiter": ",", "fileHeader": ["a", "b"]}]}
STATUS = f"{API}/download/t1/status"
START_DEADLINE = 20.0  # seconds for a process to write its port file (a slow CI machine)
STOP_DEADLINE = 10.0  # seconds for the proxy to write its reports and exit after SIGTERM


class Launched:
    """A ``dfmock`` process started by the test: its port and its output files."""

    def __init__(self, process: subprocess.Popen, port: int, out: Path, err: Path) -> None:
        self.process, self.port, self.out, self.err = process, port, out, err
        self.base = f"http://127.0.0.1:{port}"

    def output(self) -> str:
        return f"stdout:\n{self.out.read_text()}\nstderr:\n{self.err.read_text()}"

    def stop(self) -> int:
        """SIGTERM, then the exit code (the proxy writes its reports meanwhile)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            raise AssertionError("no exit within %.0f s of SIGTERM\n%s" % (STOP_DEADLINE, self.output())) from None


@pytest.fixture
def dfmock(tmp_path):
    """dfmock(*arguments) -> Launched: ``dfmock <arguments> --port 0 --port-file F`` as a
    subprocess, once its port file says it is listening. Killed at teardown if still running."""
    started: list[subprocess.Popen] = []

    def launch(*arguments: str) -> Launched:
        n = len(started)
        port_file, out, err = (tmp_path / f"{arguments[0]}{n}.{ext}" for ext in ("port", "out", "err"))
        with out.open("w") as stdout, err.open("w") as stderr:  # files: a full pipe never blocks the process
            process = subprocess.Popen([sys.executable, "-m", "mock_server.cli", *arguments, "--port", "0",
                                        "--port-file", str(port_file)], stdout=stdout, stderr=stderr)
        started.append(process)
        deadline = time.monotonic() + START_DEADLINE
        while True:
            text = port_file.read_text() if port_file.exists() else ""
            if text.endswith("\n"):  # written whole
                return Launched(process, int(text), out, err)
            if process.poll() is not None:
                raise AssertionError(f"dfmock {arguments[0]} exited with {process.returncode} before listening\n"
                                     f"{err.read_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"dfmock {arguments[0]} did not write {port_file} within {START_DEADLINE} s")
            time.sleep(0.01)  # readiness of a starting process, not a state change

    yield launch
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


@pytest.fixture
def http():
    session = requests.Session()
    session.trust_env = False  # loopback only: no proxy from the environment in between
    yield session
    session.close()


def _reports(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "proxy-report.json", tmp_path / "reports" / "proxy-junit.xml"


def _suite(junit: Path) -> ElementTree.Element:
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "dfmock-proxy"
    return suite


def test_a_task_to_its_file_through_the_proxy_process(dfmock, http, tmp_path):
    emulator = dfmock("serve", "--clock", "manual", "--seed", "5",
                      "--timeline", "waiting:1s,running:2s,success,size:4321")
    report, junit = _reports(tmp_path)
    junit.parent.mkdir()
    proxy = dfmock("proxy", "--upstream", emulator.base, "--report", str(report), "--junit", str(junit),
                   "--timeout", "10")
    base, params = proxy.base, {"orgId": ORG}
    answers = [http.post(f"{base}{API}/download-request", params=params, json=BODY, timeout=10)]
    task = answers[0].json()["data"]["taskId"]
    status = f"{base}{API}/download/{task}/status"
    answers.append(http.get(status, params=params, timeout=10))
    codes = [answers[-1].json()["data"]["progressCode"]]
    for seconds in (1, 2):  # the emulator's manual clock, moved through the proxy (an unchecked route)
        advanced = http.post(f"{base}/__admin/clock/advance", json={"seconds": seconds}, timeout=10)
        assert advanced.status_code == 200, advanced.text
        answers.append(http.get(status, params=params, timeout=10))
        codes.append(answers[-1].json()["data"]["progressCode"])
    assert codes == ["0", "1", "3"]
    done = answers[-1].json()["data"]
    where = urlsplit(done["downloadUrl"])
    assert where.netloc == urlsplit(emulator.base).netloc  # the emulator named itself; fetch it via the proxy
    file = http.get(urlunsplit(("http", f"127.0.0.1:{proxy.port}", where.path, where.query, "")), timeout=10)
    answers.append(file)
    assert file.status_code == 200 and len(file.content) == int(done["dataSize"]) == 4321
    for answer in answers:
        assert answer.status_code == 200 and HEADER_COUNT not in answer.headers, answer.text[:200]

    assert proxy.stop() == 0, proxy.output()
    assert "dfmock proxy stopped: 7 exchange(s), 0 violation(s)" in proxy.out.read_text()
    written = json.loads(report.read_text())
    assert written["upstream"] == emulator.base and written["strict"] is False
    assert (written["exchanges"], written["unchecked"], written["violations"]) == (7, 2, 0)  # 2 clock advances
    assert written["findings"] == [] and written["unreachable"] == 0
    assert written["tasks"] == {task: ["waiting", "running", "success"]}
    suite = _suite(junit)
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("7", "0", "0")
    [case] = suite.findall("testcase")
    assert case.get("name") == "7 exchange(s) without violations" and case.find("failure") is None


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_a_broken_upstream_answer_through_the_proxy_process(dfmock, http, tmp_path, strict):
    bad = {"code": 0, "msg": "OK", "data": {"taskId": "t1", "downloadUrl": "", "progressDesc": "running",
                                             "progressCode": "9", "dataSize": "0"}}
    report, junit = _reports(tmp_path)
    junit.parent.mkdir()
    with BackgroundServer(broken_upstream({STATUS: [("200 OK", bad, [])]})) as stub:
        proxy = dfmock("proxy", "--upstream", stub.base_url, "--report", str(report), "--junit", str(junit),
                       *(["--strict"] if strict else []))
        answer = http.get(proxy.base + STATUS, params={"orgId": ORG}, timeout=10)
        assert int(answer.headers[HEADER_COUNT]) >= 1
        assert "$.data.progressCode" in answer.headers[HEADER_SUMMARY]
        if strict:  # an error instead of the violating answer
            assert answer.status_code == 502
            assert answer.json()["code"] == 90502 and answer.json()["data"] is None
            assert "$.data.progressCode" in answer.json()["msg"]
        else:  # passed on unchanged
            assert answer.status_code == 200 and answer.json() == bad
        assert proxy.stop() == 1, proxy.output()  # violations: exit 1

    written = json.loads(report.read_text())
    assert written["strict"] is strict and written["exchanges"] == 1 and written["violations"] >= 1
    [finding] = written["findings"]
    assert finding["path"] == STATUS and finding["status"] == 200 and finding["kind"] == "status-answer"
    assert any(v["json_path"] == "$.data.progressCode" and v["value"] == "9" for v in finding["violations"])
    suite = _suite(junit)
    assert (suite.get("tests"), suite.get("failures")) == ("1", "1")
    failure = suite.find("testcase/failure")
    assert "$.data.progressCode" in failure.get("message") and "$.data.progressCode" in failure.text


def test_an_unreachable_upstream_is_a_failure_in_the_proxy_reports(dfmock, http, tmp_path):
    report, junit = _reports(tmp_path)
    junit.parent.mkdir()
    with socket.socket() as closed:  # bound, never listening: connections to it are refused
        closed.bind(("127.0.0.1", 0))
        upstream = f"http://127.0.0.1:{closed.getsockname()[1]}"
        proxy = dfmock("proxy", "--upstream", upstream, "--report", str(report), "--junit", str(junit),
                       "--timeout", "5")
        answers = [http.get(proxy.base + STATUS, params={"orgId": ORG}, timeout=10),
                   http.post(proxy.base + "/__admin/clock/advance", json={"seconds": 1}, timeout=10)]
        for answer in answers:
            assert answer.status_code == 502 and answer.json()["code"] == 90504, answer.text
            assert answer.headers[HEADER_COUNT] == "1" and RULE_UNREACHABLE in answer.headers[HEADER_SUMMARY]
        assert proxy.stop() == 1, proxy.output()
    assert "2 violation(s), upstream unreachable 2 time(s)" in proxy.out.read_text()

    written = json.loads(report.read_text())
    assert (written["exchanges"], written["violations"], written["unreachable"], written["unchecked"]) == (2, 2, 2, 0)
    assert [(f["method"], f["path"], f["status"], f["route"]) for f in written["findings"]] == [
        ("GET", STATUS, 502, "status"), ("POST", "/__admin/clock/advance", 502, None)]
    for finding in written["findings"]:
        [violation] = finding["violations"]
        assert violation["rule"] == RULE_UNREACHABLE and violation["json_path"] == "$"
        assert violation["message"].startswith("upstream unreachable: ")
        assert "refused" in violation["message"].lower()
        assert violation["value"] == upstream
    suite = _suite(junit)
    assert (suite.get("tests"), suite.get("failures")) == ("2", "2")
    failures = suite.findall("testcase/failure")
    assert len(failures) == 2 and all("upstream unreachable: " in f.text for f in failures)

"""The real ``dfmock serve`` process on port 0, driven over real HTTP: one task to
success, one to cancelled, one deleted; then a clean stop on SIGTERM."""

import signal
import subprocess
import sys

import pytest
import requests

from .helpers import cancel_path, create_body, create_path, status_path


@pytest.fixture
def served(tmp_path):
    port_file = tmp_path / "port"
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server.cli", "serve", "--port", "0", "--port-file", str(port_file),
         "--clock", "manual", "--seed", "11", "--timeline", "waiting:1s,running:2s,success,size:4321"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = process.stdout.readline()  # printed once listening: no sleeping, no polling
        assert "serving on http://127.0.0.1:" in banner, banner + process.stderr.read()
        base = banner.split("serving on ")[1].split()[0]
        assert port_file.read_text().strip() == base.rsplit(":", 1)[1]
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def codes(base, task_id):
    return requests.get(base + status_path(task_id), timeout=5).json()["data"]["progressCode"]


def advance(base, seconds):
    requests.post(base + "/__admin/clock/advance", json={"seconds": seconds}, timeout=5).raise_for_status()


def test_success_cancel_and_delete_over_real_http(served):
    base, process = served
    first = requests.post(base + create_path(), json=create_body(), timeout=5).json()["data"]["taskId"]
    second = requests.post(base + create_path(), json=create_body(), timeout=5).json()["data"]["taskId"]
    seen = [codes(base, first)]
    advance(base, 1)
    seen.append(codes(base, first))
    assert requests.delete(base + cancel_path(second), timeout=5).json()["data"]["progressCode"] == "4"
    advance(base, 2)
    seen.append(codes(base, first))
    assert seen == ["0", "1", "3"]
    status = requests.get(base + status_path(first), timeout=5).json()["data"]
    assert status["downloadUrl"].startswith(base + "/channels/read/ch-1/download/")
    file = requests.get(status["downloadUrl"], timeout=5)
    assert file.status_code == 200 and len(file.content) == int(status["dataSize"]) == 4321
    assert codes(base, second) == "5"
    assert requests.delete(base + cancel_path(first), timeout=5).json()["data"]["progressCode"] == "6"
    advance(base, 1)
    assert codes(base, first) == "7"
    bad = requests.post(base + create_path(), data="{nope", timeout=5)
    assert bad.status_code == 400 and bad.json()["code"] == 1004
    huge = requests.post(base + create_path(), data=b"x" * (2 * 1024 * 1024), timeout=5)
    assert huge.status_code == 413 and huge.json()["code"] == 90413
    assert codes(base, second) == "5"  # still stored after the bad requests

    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "dfmock stopped" in out and "Traceback" not in err


def test_bad_config_exits_2_with_a_readable_report(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("clock: sometimes\n")
    result = subprocess.run([sys.executable, "-m", "mock_server.cli", "serve", "--config", str(bad), "--port", "0"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "invalid configuration" in result.stderr and "$.clock" in result.stderr

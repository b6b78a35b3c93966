"""``dfmock serve --state-file``: tasks, their states and ids, and the manual clock
survive a stop and a restart (both servers); new ids continue the seeded sequence."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import requests

from mock_server import persist
from mock_server.config import EmulatorConfig
from mock_server.service import Emulator

from .helpers import cancel_path, create_body, create_path, status_path


def serve(state_file, server):
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server.cli", "serve", "--port", "0", "--clock", "manual", "--seed", "3",
         "--server", server, "--state-file", str(state_file), "--timeline", "waiting:1s,running:4s,success,size:999"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    banner = process.stdout.readline()
    assert "serving on" in banner, banner + process.stderr.read()
    return process, banner.split("serving on ")[1].split()[0]


def stop(process):
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    return out


def snapshot(base, ids):
    return {task_id: requests.get(base + status_path(task_id), timeout=5).json()["data"] for task_id in ids}


@pytest.mark.parametrize("server", ["uvicorn", "waitress"])
def test_tasks_and_clock_survive_a_restart(tmp_path, server):
    state = tmp_path / "state.sqlite"
    process, base = serve(state, server)
    try:
        ids = [requests.post(base + create_path(), json=create_body(), timeout=5).json()["data"]["taskId"]
               for _ in range(4)]
        requests.post(base + "/__admin/clock/advance", json={"seconds": 2}, timeout=5).raise_for_status()
        requests.delete(base + cancel_path(ids[1]), timeout=5).raise_for_status()
        before = snapshot(base, ids)
        clock = requests.get(base + "/__admin/clock", timeout=5).json()
    finally:
        out = stop(process)
    assert "saved 4 tasks" in out
    process, base = serve(state, server)
    try:
        assert snapshot(base, ids) == before
        assert requests.get(base + "/__admin/clock", timeout=5).json()["now"] == clock["now"]
        requests.post(base + "/__admin/clock/advance", json={"seconds": 10}, timeout=5)
        after = snapshot(base, ids)
        assert [after[i]["progressDesc"] for i in ids] == ["success", "cancelled", "success", "success"]
        fifth = requests.post(base + create_path(), json=create_body(), timeout=5).json()["data"]["taskId"]
    finally:
        stop(process)
    # the same five creates in one uninterrupted emulator give the same ids
    emu = Emulator(EmulatorConfig(clock="manual", seed=3))
    assert [emu.create_task("o1", "ch-1", create_body()).task_id for _ in range(5)] == [*ids, fifth]


def test_a_file_that_is_not_a_state_file_is_refused(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_text("not sqlite")
    with pytest.raises(persist.StateFileError):
        persist.load(bad, EmulatorConfig(clock="manual"))
    result = subprocess.run([sys.executable, "-m", "mock_server.cli", "serve", "--port", "0", "--state-file", str(bad)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "not a dfmock state file" in result.stderr

"""The reference client's parts: Retry-After, progress output, backoff, give-up,
usage errors. Sleeps are recorded, never slept."""

import io
import random
from email.utils import format_datetime
from datetime import datetime, timezone

import pytest
import requests

from contract_tests.refclient import Follower, PollSettings, Progress, main, retry_after_seconds
from mock_server import EmulatorConfig


@pytest.mark.parametrize("value, seconds", [("2", 2.0), ("0.05", 0.05), (" 7 ", 7.0), ("", None), (None, None),
                                            ("soon", None), ("-3", 0.0)])
def test_retry_after_seconds(value, seconds):
    assert retry_after_seconds(value) == seconds


def test_retry_after_as_an_http_date():
    when = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert retry_after_seconds(format_datetime(when, usegmt=True), now=when.timestamp() - 30) == 30.0


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_on_a_terminal_and_in_a_log():
    log = io.StringIO()
    plain = Progress(log)
    plain.state("abc", 1, 10), plain.state("abc", 1, 10), plain.state("abc", 3, 20)
    assert log.getvalue() == "task abc: running (1), 10 bytes\ntask abc: success (3), 20 bytes\n"
    tty = Tty()
    live = Progress(tty)
    live.state("abc", 1, 10), live.note("retrying"), live.done()
    assert tty.getvalue() == "\r\x1b[Ktask abc: running (1), 10 bytes\r\x1b[Kretrying\n\n"


@pytest.fixture
def dfm(dfmock_server):
    dfmock_server.replace_emulator(EmulatorConfig(clock="step:1s", seed=2))
    return dfmock_server


def follower(dfm, tmp_path, faults="", timeline="waiting:1s,running:2s,success,size:5000", **settings):
    body = {"orgId": "o1", "channelId": "ch-1", "timeline": timeline}
    task = requests.post(dfm.url("/__admin/tasks"), json=body, timeout=5).json()["taskId"]
    if faults:
        requests.post(dfm.url("/__admin/faults"), json={"faults": faults, "task": task}, timeout=5)
    slept = []
    follow = Follower(PollSettings(dfm.base_url, "o1", "ch-1", task, tmp_path / "out.csv", interval=0.5, **settings),
                      sleep=slept.append, rng=random.Random(0))
    return follow, slept


def test_follows_to_success_with_waits_of_the_interval(dfm, tmp_path):
    follow, slept = follower(dfm, tmp_path)
    assert follow.follow() == 0
    assert (tmp_path / "out.csv").stat().st_size == 5000 and not (tmp_path / "out.csv.part").exists()
    assert slept == [0.5, 0.5]


def test_backs_off_with_jitter_and_honours_retry_after(dfm, tmp_path):
    follow, slept = follower(dfm, tmp_path, "503@nth:1; 502@nth:2; 429:7s@nth:3; truncate@once/data; drop@nth:2/data")
    assert follow.follow() == 0
    assert 0.5 <= slept[0] <= 1.0 and 1.0 <= slept[1] <= 2.0 and slept[2] == 7.0  # then polls resume
    assert slept[-2] >= 0.5 and slept[-1] >= 1.0  # two failed downloads, backed off
    assert (tmp_path / "out.csv").stat().st_size == 5000


def test_gives_up_after_too_many_failures(dfm, tmp_path):
    follow, slept = follower(dfm, tmp_path, "503@always", max_failures=4)
    assert follow.follow() == 1
    assert len(slept) == 3


def test_overall_timeout_gives_up(dfm, tmp_path):
    follow, slept = follower(dfm, tmp_path, timeline="waiting:1h", timeout=2.0)
    follow.clock = lambda: sum(slept)  # time passes only when the client sleeps
    assert follow.follow() == 1


def test_other_outcomes(dfm, tmp_path):
    assert follower(dfm, tmp_path, timeline="failed")[0].follow() == 3
    assert follower(dfm, tmp_path, "cancel@nth:1", timeline="waiting:5s")[0].follow() == 4
    assert follower(dfm, tmp_path, "delete@on:success")[0].follow() == 5


def test_unknown_task_gives_up_at_once(dfm, tmp_path):
    follow = Follower(PollSettings(dfm.base_url, "o1", "ch-1", "0" * 32, tmp_path / "x"), sleep=lambda s: None)
    assert follow.follow() == 1


def test_usage_errors(monkeypatch, capsys):
    for name in ("DFMOCK_BASE_URL", "DFMOCK_ORG_ID", "DFMOCK_CHANNEL_ID", "DFMOCK_TASK_ID", "DFMOCK_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--org", "o1"]) == 2
    assert "missing --base-url, --channel, --task, --output" in capsys.readouterr().err
    assert main(["--base-url", "http://x", "--org", "o", "--channel", "c", "--task", "t", "--output", "f",
                 "--interval", "0"]) == 2

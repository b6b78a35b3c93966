"""The client runner end to end: the reference client passes, each deliberately
broken client is caught with a minimal scenario and a readable report."""

import sys
from pathlib import Path

import pytest

from contract_tests.client_runner import Scenario
from contract_tests.refclient import follow_from_env
from mock_server.cli import main as dfmock_main

BROKEN = Path(__file__).parent / "broken_clients"
REFCLIENT = [sys.executable, "-m", "contract_tests.refclient", "--quiet"]
CI_EXAMPLES = 40


def broken(name):
    return [sys.executable, str(BROKEN / f"{name}.py")]


def test_reference_client_passes_generated_scenarios(dfmock_client_runner):
    runner = dfmock_client_runner(follow_from_env)
    exploration = runner.explore(CI_EXAMPLES, derandomize=True)
    assert exploration.ok, exploration.report()
    assert exploration.runs >= CI_EXAMPLES * 0.8


@pytest.mark.parametrize("scenario", [
    Scenario(),
    Scenario(outcome="failed", numbers="integer", data_shape="list", before_success="omit"),
    Scenario(waiting=1, running=3, faults=("drop@on:success/status", "truncate@nth:1/data", "nonjson@nth:2/data")),
    Scenario(running=4, other_party="cancel@nth:2", cancel_answer="cancelled"),
    Scenario(size=0, other_party="delete@on:success", faults=("429:50ms@nth:1/status", "empty@on:running/status")),
    # Found by a long run: a truncated JSON error (the file was deleted) crashed the client.
    Scenario(faults=("truncate@nth:1/data",), other_party="delete@on:success"),
], ids=["defaults", "failed-table-types", "faults", "cancelled", "deleted", "truncated-gone-answer"])
def test_reference_client_as_a_command(dfmock_client_runner, scenario):
    result = dfmock_client_runner(REFCLIENT).run(scenario)
    assert result.ok, result.violations


def test_int_only_client_is_caught(dfmock_client_runner):
    report = dfmock_client_runner(broken("int_only")).explore(CI_EXAMPLES, derandomize=True).report()
    assert "[does not give up within the recoverable budget] the client gave up (exit 2)" in report
    assert "numbers=string" in report and "faults       none" in report
    assert "unexpected progressCode '" in report  # the client's own last words
    assert "--replay '{}' -- " in report and "int_only.py" in report  # the smallest scenario: all defaults


def test_object_only_client_is_caught(dfmock_client_runner):
    report = dfmock_client_runner(broken("object_only")).explore(CI_EXAMPLES, derandomize=True).report()
    assert "data_shape=list" in report and "faults       none" in report
    assert "TypeError: list indices must be integers" in report
    assert """--replay '{"data_shape":"list"}'""" in report


def test_client_polling_forever_after_failed_is_caught(dfmock_client_runner):
    exploration = dfmock_client_runner(broken("polls_forever")).explore(CI_EXAMPLES, derandomize=True)
    report = exploration.report()
    assert "[stops polling after a final state] after #1 showed failed (2) the client sent" in report
    assert "killed: still polling after the task was failed" in report
    assert """--replay '{"outcome":"failed"}'""" in report
    assert exploration.failure.facts.elapsed < 5  # stopped early, not at the time limit


def test_client_not_retrying_503_is_caught(dfmock_client_runner):
    report = dfmock_client_runner(broken("no_retry_503")).explore(CI_EXAMPLES, derandomize=True).report()
    assert "the client gave up (exit 1) although at most 1 transient failure(s) in a row were served" in report
    assert "faults       503@nth:1/status" in report
    assert "503 code 503 [hid success]   <- fault f1 503@nth:1/status" in report
    assert """--replay '{"faults":["503@nth:1/status"]}'""" in report


def test_a_hanging_client_is_killed_at_the_time_limit(dfmock_client_runner):
    hang = [sys.executable, "-c", "import time; time.sleep(60)"]
    result = dfmock_client_runner(hang, time_limit=0.3).run(Scenario())
    assert [v.rule for v in result.violations] == ["finishes in time"]
    assert "time limit of 0.3 s" in result.violations[0].message


def test_a_crashing_callable_is_a_give_up(dfmock_client_runner):
    def crash(env):
        raise RuntimeError("boom")
    result = dfmock_client_runner(crash).run(Scenario())
    assert result.facts.exit_code == 1 and "RuntimeError: boom" in result.stderr


def test_cli_replay_and_exit_status(dfmock_server, capsys):
    base = ["test-client", "--target", dfmock_server.base_url, "--interval", "0.01", "--retry-after", "0.05"]
    assert dfmock_main([*base, "--replay", '{"faults":["503@nth:1/status"]}', "--", *REFCLIENT]) == 0
    assert "no findings" in capsys.readouterr().out
    assert dfmock_main([*base, "--replay", '{"faults":["503@nth:1/status"]}', "--", *broken("no_retry_503")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FINDING:") and "replay exactly this scenario:" in out
    assert dfmock_main([*base, "--replay", "{bad json"]) == 2
    assert dfmock_main([*base, "--examples", "3", "--seed", "1", "--", *REFCLIENT]) == 0
    assert "no findings: " in capsys.readouterr().out


def test_cli_starts_its_own_emulator(capsys):
    code = dfmock_main(["test-client", "--interval", "0.01", "--replay", '{"outcome":"failed"}', "--", *REFCLIENT])
    assert code == 0, capsys.readouterr()


def test_reference_client_passes_with_auth_on_and_off(dfmock_client_runner):
    pytest.importorskip("mock_server.auth")
    runner = dfmock_client_runner(follow_from_env, auth=True)
    assert runner.emulator_has_auth()
    assert runner.run(Scenario(auth=True, faults=("apim:4011@nth:1/status", "apim:4012@nth:1/data"))).ok
    exploration = runner.explore(20, derandomize=True)
    assert exploration.ok, exploration.report()


def test_an_unsigning_client_fails_auth_scenarios(dfmock_client_runner):
    pytest.importorskip("mock_server.auth")
    result = dfmock_client_runner(broken("no_retry_503"), auth=True).run(Scenario(auth=True))
    assert [v.rule for v in result.violations] == ["does not give up within the recoverable budget",
                                                   "signs its requests when auth is on"]
    assert "first #1: code 1202 (parameter is empty)" in result.violations[1].message

"""The judge's rules and the scenarios, on synthetic facts (no HTTP, no clients)."""

import pytest
from hypothesis import given, settings

from contract_tests.client_runner import MAX_FAULTS_PER_ROUTE, RunFacts, Scenario, expected_exit, judge, scenarios
from contract_tests.client_runner.judge import faults_in_a_row, retry_after_of
from contract_tests.client_runner.scenario import within_budget

ORG = "o1"
STATUS = "/data-federation/v2.0/channels/read/ch/download/t1/status"
DATA = "/channels/read/ch/download/t1/data"


def entry(seq, at, state=None, status=200, fault=None, path=STATUS, method="GET", query=f"orgId={ORG}", code=0):
    return {"seq": seq, "received": 1000.0 + at, "method": method, "path": path, "query": query,
            "status": status, "code": code, "state": state, "fault": fault}


def facts(journal, exit_code=0, expected=0, interval=0.01, output=b"abc", served=b"abc", killed=None):
    return RunFacts(exit_code=exit_code, killed_reason=killed, elapsed=0.1, expected_exit=expected,
                    expected_reason="the timeline ends in success", journal=journal, org_id=ORG,
                    poll_interval=interval, output=output, served=served)


def rules(found):
    return [v.rule for v in found]


GOOD = [entry(1, 0, 0), entry(2, 0.02, 1), entry(3, 0.04, 3), entry(4, 0.05, path=DATA, code=None)]


def test_a_good_run_breaks_no_rule():
    assert judge(facts(GOOD)) == []


def test_wrong_exit_and_giving_up_within_budget():
    assert rules(judge(facts(GOOD, exit_code=3))) == ["exit status matches the outcome"]
    found = judge(facts(GOOD, exit_code=1))
    assert rules(found) == ["does not give up within the recoverable budget"]
    assert "no transient failure (5xx, 429, dropped connection) was served" in found[0].message


def test_giving_up_beyond_the_budget_is_allowed():
    journal = [entry(i, i * 0.02, 0, status=503, fault=f"f{i} 503@nth:{i}/status") for i in range(1, 5)]
    assert faults_in_a_row(journal) == 4 > MAX_FAULTS_PER_ROUTE
    assert judge(facts(journal, exit_code=1, output=None)) == []


def test_file_must_match_byte_for_byte():
    found = judge(facts(GOOD, output=b"abd"))
    assert rules(found) == ["writes the served file"] and "first differ at byte 2" in found[0].message
    assert "wrote nothing" in judge(facts(GOOD, output=None))[0].message


def test_undocumented_routes_and_missing_org():
    journal = GOOD + [entry(5, 0.1, path="/data-federation/v2.0/tasks", query=""),
                      entry(6, 0.2, path=DATA, query="", code=None), entry(7, 0.3, path=DATA, query="orgId=x")]
    found = judge(facts(journal))
    assert rules(found) == ["uses documented routes only", "sends orgId", "sends orgId"]


def test_polling_after_a_final_state():
    journal = [entry(1, 0, 2), entry(2, 0.02, 2), entry(3, 0.04, 2)]
    found = judge(facts(journal, exit_code=3, expected=3, output=None))
    assert rules(found) == ["stops polling after a final state"]
    assert found[0].seqs == (2, 3) and "after #1 showed failed (2)" in found[0].message


def test_after_success_status_reads_only_once_a_download_failed():
    polled = [entry(1, 0, 3), entry(2, 0.02, 3)]
    assert rules(judge(facts(polled, output=None, exit_code=1))) == [
        "does not give up within the recoverable budget", "stops polling after a final state"]
    gone = [entry(1, 0, 3), entry(2, 0.01, path=DATA, status=410, code=81410), entry(3, 0.02, 6)]
    assert judge(facts(gone, exit_code=5, expected=5, output=None)) == []


def test_a_faulted_final_answer_was_not_seen():
    journal = [entry(1, 0, 2, status=503, fault="f1 503@on:failed/status"), entry(2, 0.02, 2)]
    assert judge(facts(journal, exit_code=3, expected=3, output=None)) == []


def test_retry_after_and_poll_interval():
    journal = [entry(1, 0, 0, status=429, fault="f1 429:50ms@nth:1/status"), entry(2, 0.02, 0), entry(3, 0.025, 3),
               entry(4, 0.03, path=DATA, code=None)]
    assert retry_after_of(journal[0]) == 0.05
    found = judge(facts(journal))
    assert rules(found) == ["honours Retry-After", "does not poll faster than the interval"]
    assert "Retry-After 0.05 s" in found[0].message and "0.0050 s apart" in found[1].message
    assert retry_after_of(entry(1, 0, status=429, fault="f1 429@once/status")) == 1.0
    assert retry_after_of(entry(1, 0, status=503, fault="f1 503@nth:1/status; f2 429@nth:1/status (superseded)")) is None


def test_a_kill_is_reported():
    found = judge(facts(GOOD, exit_code=None, killed="no exit within the time limit of 5 s"))
    assert rules(found) == ["finishes in time"]


def test_scenario_json_round_trip_and_minimal_form():
    scenario = Scenario(outcome="failed", faults=("503@nth:1/status",), other_party="cancel@nth:2")
    assert Scenario.from_json(scenario.to_json()) == scenario
    assert Scenario.from_json(scenario.to_json(minimal=True)) == scenario
    assert scenario.to_json(minimal=True) == ('{"outcome":"failed","faults":["503@nth:1/status"],'
                                              '"other_party":"cancel@nth:2"}')
    with pytest.raises(ValueError, match="colour"):
        Scenario.from_json('{"colour": "red"}')


def test_expected_exit_from_the_task_record():
    def detail(outcome, cancel=None, delete=None):
        return {"plan": {"outcome": outcome}, "events": {"cancelAt": cancel, "deleteAt": delete}}
    assert expected_exit(detail("success")).exit_code == 0
    assert expected_exit(detail("failed")).exit_code == 3
    assert expected_exit(detail("success", cancel=1.0)).exit_code == 4
    assert expected_exit(detail("success", delete=2.0)).exit_code == 5


@settings(max_examples=50)
@given(scenarios(retry_after=0.05, auth=True))
def test_generated_scenarios_stay_within_the_budget(scenario):
    assert within_budget(scenario.faults)
    assert Scenario.from_json(scenario.to_json()) == scenario
    if scenario.other_party == "delete@on:success":
        assert scenario.outcome == "success"
    assert all(not f.startswith("apim") for f in scenario.faults) or scenario.auth

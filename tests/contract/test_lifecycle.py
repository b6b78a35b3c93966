"""The lifecycle checker on hand-written sequences of observations."""

from __future__ import annotations

import pytest

from contract_tests import check_lifecycle
from contract_tests.states import LEGAL_TRANSITIONS, REACHABLE, STATE_NAMES
from tests.contract.helpers import pairs

URL = "http://proxy.example.com/channels/read/ch-1/download/t1/data?orgId=o1"


def obs(code, size=None, url="", task="t1", as_string=True):
    struct = {"taskId": task, "downloadUrl": url, "progressCode": str(code) if as_string else code,
              "progressDesc": STATE_NAMES[code]}
    if size is not None:
        struct["dataSize"] = str(size) if as_string else size
    return struct


def test_a_full_happy_life_passes():
    life = [obs(0, 0), obs(0, 0), obs(1, 10), obs(1, 500), obs(3, 900, URL), obs(3, 900, URL), obs(6, 900, URL), obs(7, 900, URL)]
    assert check_lifecycle(life) == []


@pytest.mark.parametrize("step", sorted(LEGAL_TRANSITIONS))
def test_every_legal_step_passes(step):
    before, after = step
    assert check_lifecycle([obs(before), obs(after, 5, URL if after == 3 else "")]) == []


NOT_DIRECT = [(a, b) for a in range(8) for b in range(8) if a != b and (a, b) not in LEGAL_TRANSITIONS]
UNREACHABLE = [(a, b) for a, b in NOT_DIRECT if (a, b) not in REACHABLE]


def _assert_reported(step, dense):
    before, after = step
    found = check_lifecycle([obs(before), obs(after, 5, URL if after == 3 else "")], dense=dense)
    rule = "lifecycle:terminal-stays-put" if before in (2, 3, 5, 7) else "lifecycle:legal-transition"
    assert pairs(found) == {("$[1].progressCode", rule)}
    assert f"{before} ({STATE_NAMES[before]}) cannot be followed by {after}" in found[0].message


@pytest.mark.parametrize("step", NOT_DIRECT)
def test_dense_history_reports_every_step_that_is_not_one_legal_move(step):
    _assert_reported(step, dense=True)


@pytest.mark.parametrize("step", UNREACHABLE)
def test_sampled_history_reports_every_unreachable_step(step):
    _assert_reported(step, dense=False)


def test_sampled_history_allows_skipped_phases():
    # Polled every few seconds: running and deleting were never seen.
    assert check_lifecycle([obs(0), obs(3, 9, URL), obs(7, 9, URL)]) == []
    assert pairs(check_lifecycle([obs(0), obs(3, 9, URL)], dense=True)) == {("$[1].progressCode", "lifecycle:legal-transition")}


def test_reachable_pairs_are_exactly_the_forward_paths():
    assert {b for a, b in REACHABLE if a == 0} == {1, 2, 3, 4, 5, 6, 7}
    assert {b for a, b in REACHABLE if a == 3} == {6, 7}
    assert {b for a, b in REACHABLE if a == 7} == set()


def test_success_changing_its_file_is_reported():
    found = check_lifecycle([obs(3, 900, URL), obs(3, 901, URL), obs(3, 901, URL + "&x=1")])
    assert pairs(found) == {("$[1].dataSize", "lifecycle:success-stable"), ("$[2].downloadUrl", "lifecycle:success-stable")}


def test_success_stability_compares_numbers_not_spellings():
    assert check_lifecycle([obs(3, 900, URL), obs(3, 900, URL, as_string=False)]) == []


def test_shrinking_size_while_running_is_reported():
    found = check_lifecycle([obs(1, 100), obs(1, 200), obs(1, 150)])
    assert pairs(found) == {("$[2].dataSize", "lifecycle:data-size-shrinks")}
    assert found[0].value == "150"


def test_size_may_drop_when_the_task_fails():
    assert check_lifecycle([obs(1, 100), obs(2, 0)]) == []


def test_observations_of_another_task_are_reported():
    found = check_lifecycle([obs(0), obs(1, task="t2")])
    assert pairs(found) == {("$[1].taskId", "lifecycle:same-task")}


def test_whole_status_answers_are_accepted_in_both_shapes():
    answers = [{"code": 0, "msg": "OK", "data": obs(3, 1, URL)}, {"code": 0, "msg": "OK", "data": [obs(1, 1)]}]
    found = check_lifecycle(answers)
    assert pairs(found) == {("$[1].progressCode", "lifecycle:terminal-stays-put")}


def test_unreadable_observations_are_skipped_not_guessed():
    # The broken middle one is the validator's to report; 0 -> 1 around it is legal.
    assert check_lifecycle([obs(0), {"progressCode": "nine"}, "garbage", obs(1)]) == []


def test_an_empty_sequence_has_nothing_to_report():
    assert check_lifecycle([]) == []

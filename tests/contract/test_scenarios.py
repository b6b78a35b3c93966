"""Each fixtures/scenarios/*.yaml played against the emulator in-process: the task
is created with the scenario's timeline, the manual clock moved to each action and
checkpoint (actions first at the same instant), every answer validated, each
checkpoint's state and dataSize compared, and the whole history lifecycle-checked."""

from __future__ import annotations

import pytest

from contract_tests.states import FAILED, SUCCESS, byte_count
from contract_tests.suites.checks import (assert_lifecycle, assert_success, state_of, status_struct)
from contract_tests.targets import WsgiTarget
from mock_server import EmulatorConfig, create_app

from .helpers import FIXTURES, load_yaml

SCENARIOS = sorted(FIXTURES.joinpath("scenarios").iterdir(), key=lambda entry: entry.name)
# Timelines without randomness promise checkpoints; random ones (no checkpoints) only bounds.
FIXED = [entry for entry in SCENARIOS if "checkpoints" in load_yaml(entry)]
RANDOM = [entry for entry in SCENARIOS if entry not in FIXED]
ORG, CHANNEL = "o15504722874071", "ch-dee0c5"
BODY = {"taskName": "scenario", "sourceName": "hive_enos", "querySql": "select * from t", "filePackageName": "out"}
PROFILE = "sample"  # the emulator's default wire settings are the samples' forms


class Player:
    def __init__(self, timeline: str, seed: int = 7) -> None:
        self.target = WsgiTarget(create_app(EmulatorConfig(clock="manual", seed=seed)))
        created = self.target.create_task(ORG, CHANNEL, BODY, timeline=timeline)
        self.task_id = assert_success(created, "create-answer", PROFILE)["data"]["taskId"]
        self.offset = 0.0
        self.observations: list[dict] = []

    def move_to(self, at: float) -> None:
        if at > self.offset:
            answer = self.target.request("POST", "/__admin/clock/advance", json={"seconds": at - self.offset})
            assert answer.status == 200, answer.body
            self.offset = at

    def poll(self) -> dict:
        response = self.target.get_status(ORG, CHANNEL, self.task_id)
        struct = status_struct(assert_success(response, "status-answer", PROFILE, task_id=self.task_id))
        self.observations.append(struct)
        return struct

    def act(self, what: str) -> None:
        if what in ("cancel", "delete"):  # both are the DELETE route; the state decides
            response = self.target.cancel(ORG, CHANNEL, self.task_id)
            self.observations.append(assert_success(response, "cancel-answer", PROFILE, task_id=self.task_id)["data"])
        else:
            struct = self.poll()
            assert state_of(struct) == SUCCESS, f"download asked of a task in state {struct['progressCode']}"
            file = self.target.fetch_url(struct["downloadUrl"])
            assert file.status == 200 and len(file.body) == byte_count(struct["dataSize"])


@pytest.mark.parametrize("entry", FIXED, ids=lambda entry: entry.name.removesuffix(".yaml"))
def test_scenario_plays_as_written(entry):
    scenario = load_yaml(entry)
    player = Player(scenario["timeline"])
    steps = [(a["at"], 0, a) for a in scenario.get("actions", [])]
    steps += [(c["at"], 1, c) for c in scenario.get("checkpoints", [])]
    for at, is_checkpoint, step in sorted(steps, key=lambda s: (s[0], s[1])):
        player.move_to(at)
        if not is_checkpoint:
            player.act(step["do"])
            continue
        struct = player.poll()
        assert state_of(struct) == step["state"], f"at {at}s: {struct}"
        if "dataSize" in step:
            assert byte_count(struct["dataSize"]) == step["dataSize"], f"at {at}s: {struct}"
    assert_lifecycle(player.task_id, player.observations)


@pytest.mark.parametrize("entry", RANDOM, ids=lambda entry: entry.name.removesuffix(".yaml"))
@pytest.mark.parametrize("seed", range(5))
def test_random_scenarios_end_within_their_bounds(entry, seed):
    """A random timeline promises no state at a given second, but every draw ends by
    the sum of its phases' upper bounds, and every life it gives is possible."""
    scenario = load_yaml(entry)
    player = Player(scenario["timeline"], seed=seed)
    for at in range(0, 160, 5):
        player.move_to(at)
        player.poll()
    assert state_of(player.observations[-1]) in (SUCCESS, FAILED)
    assert_lifecycle(player.task_id, player.observations)

"""Every fixture file is validated: message examples get exactly their recorded
verdicts, scenarios follow their schema and describe possible lifecycles."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator

from contract_tests import check_lifecycle, check_message
from contract_tests.states import STATE_NAMES
from tests.contract.helpers import FIXTURES, SCHEMAS, fixture_path, load_yaml, pairs

EXPECTATIONS = load_yaml(fixture_path("messages/expectations.yaml"))
SCENARIOS = sorted(FIXTURES.joinpath("scenarios").iterdir(), key=lambda e: e.name)


def _schema(name: str) -> Draft202012Validator:
    import json

    return Draft202012Validator(json.loads(SCHEMAS.joinpath("fixtures", name).read_text(encoding="utf-8")))


def test_expectations_file_follows_its_schema():
    assert [e.message for e in _schema("expectations.json").iter_errors(EXPECTATIONS)] == []


def test_every_message_fixture_has_an_expectation():
    on_disk = {f"samples/{e.name}" for e in FIXTURES.joinpath("samples").iterdir() if e.name.endswith(".json")}
    for folder in ("valid", "invalid"):
        on_disk |= {f"messages/{folder}/{e.name}" for e in FIXTURES.joinpath("messages", folder).iterdir()}
    assert on_disk == {entry["file"] for entry in EXPECTATIONS}


CASES = [(entry, profile) for entry in EXPECTATIONS for profile in ("lenient", "documented", "sample")]


@pytest.mark.parametrize("entry,profile", CASES, ids=[f"{e['file']}-{p}" for e, p in CASES])
def test_message_fixture_gets_its_recorded_verdict(entry, profile):
    report = check_message(fixture_path(entry["file"]).read_bytes(), entry.get("kind"), profile)
    if "kind" not in entry:
        assert report.kind == entry["detected"]
    expected = {(v["json_path"], v["rule"]) for v in entry["profiles"][profile]}
    assert pairs(report.violations) == expected


def test_valid_folder_holds_only_messages_valid_under_lenient():
    for entry in EXPECTATIONS:
        if entry["file"].startswith("messages/valid/"):
            assert entry["profiles"]["lenient"] == [], entry["file"]
        if entry["file"].startswith("messages/invalid/"):
            assert entry["profiles"]["lenient"] != [], entry["file"]


@pytest.mark.parametrize("entry", SCENARIOS, ids=[e.name for e in SCENARIOS])
def test_scenario_follows_its_schema(entry):
    scenario = load_yaml(entry)
    assert [f"{list(e.absolute_path)}: {e.message}" for e in _schema("scenario.json").iter_errors(scenario)] == []
    assert entry.name == f"{scenario['name']}.yaml"


@pytest.mark.parametrize("entry", SCENARIOS, ids=[e.name for e in SCENARIOS])
def test_scenario_checkpoints_are_a_possible_life(entry):
    scenario = load_yaml(entry)
    if re.search(r"\.\.|\|", scenario["timeline"]):
        assert "checkpoints" not in scenario, "a random timeline cannot promise states"
        return
    checkpoints = scenario["checkpoints"]
    assert [c["at"] for c in checkpoints] == sorted(c["at"] for c in checkpoints)
    observations = [{"taskId": "t", "progressCode": c["state"], "progressDesc": STATE_NAMES[c["state"]],
                     **({"dataSize": c["dataSize"]} if "dataSize" in c else {})} for c in checkpoints]
    assert check_lifecycle(observations) == []


def test_scenario_pattern_rejects_what_the_grammar_does_not_allow():
    pattern = _schema("scenario.json")
    base = {"name": "x", "description": "x"}
    for bad in ["waiting:2", "waiting:2s,,success", "size:1.5M", "success:0.9|done:0.1", "running:2sec", ""]:
        assert not pattern.is_valid({**base, "timeline": bad}), bad
    for good in ["waiting:2s,running:5s,success", "running:1.5s..3m,success:0.9|failed:0.1,size:10k..1M,retention:1h"]:
        assert pattern.is_valid({**base, "timeline": good}), good

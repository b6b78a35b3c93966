"""The strategies produce what they promise: requests the schema accepts, timelines
the grammar accepts, identifiers of the real shapes."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from jsonschema import Draft202012Validator

from contract_tests import validate_message
from contract_tests import strategies as cs
from contract_tests import timelines as tl
from contract_tests.hypothesis_profiles import default_profile_name
from tests.contract.helpers import SCHEMAS

TIMELINE = Draft202012Validator(json.loads(SCHEMAS.joinpath("fixtures", "scenario.json").read_text())["$defs"]["compactTimeline"])


@given(cs.create_requests())
def test_create_requests_are_valid(body):
    assert validate_message(body, "create-request") == []


@given(tl.timelines())
def test_timelines_follow_the_grammar(text):
    assert TIMELINE.is_valid(text), text


@given(tl.fixed_timelines())
def test_fixed_timelines_are_compact_and_fixed(timeline):
    text = timeline.compact()
    assert TIMELINE.is_valid(text) and ".." not in text and "|" not in text


@given(cs.org_ids(), cs.channel_ids(), cs.task_ids())
def test_identifiers_have_the_real_shapes(org, channel, task):
    assert re.fullmatch(r"o\d{14}", org) and re.fullmatch(r"ch-[0-9a-f]{6}", channel)
    assert re.fullmatch(r"[0-9a-f]{32}", task)


@settings(max_examples=30)
@given(cs.status_answers("documented", state=3))
def test_state_argument_is_honoured(answer):
    assert answer["data"][0]["progressCode"] == 3 and answer["data"][0]["downloadUrl"].startswith("http")


def test_default_hypothesis_profile_follows_the_environment():
    assert default_profile_name({}) == "local"
    assert default_profile_name({"CI": "true"}) == "ci"
    assert default_profile_name({"CI": "false"}) == "local"
    assert default_profile_name({"CI": "1", "HYPOTHESIS_PROFILE": "local"}) == "local"

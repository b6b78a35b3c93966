"""The validator accepts every generated valid message and rejects every near miss
with exactly the one violation it was built to have."""

from __future__ import annotations

import pytest
from hypothesis import given

from contract_tests import check_message, validate_message
from contract_tests.near_misses import MUTATIONS, near_misses
from contract_tests.strategies import valid_messages
from tests.contract.helpers import pairs

PROFILES = ["lenient", "documented", "sample"]


@pytest.mark.parametrize("profile", PROFILES)
def test_accepts_every_valid_message(profile):
    @given(valid_messages(profile))
    def check(kind_and_message):
        kind, message = kind_and_message
        report = check_message(message, kind, profile)
        assert report.ok, report.to_text()

    check()


@pytest.mark.parametrize("profile", PROFILES)
def test_detected_kind_accepts_every_valid_message(profile):
    # Detection may pick a look-alike kind (a status answer with omitted fields reads
    # as a cancel answer), but never one that rejects a valid message.
    @given(valid_messages(profile))
    def check(kind_and_message):
        report = check_message(kind_and_message[1], None, profile)
        assert report.ok, report.to_text()

    check()


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("kind", sorted(MUTATIONS))
def test_rejects_each_near_miss_at_its_path(profile, kind):
    @given(near_misses(profile, kind))
    def check(miss):
        found = validate_message(miss.message, miss.kind, miss.profile, task_id=miss.task_id)
        assert pairs(found) == {(miss.json_path, miss.rule)}, (miss.description, [str(v) for v in found])

    check()

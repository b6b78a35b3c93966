"""The published samples (REFERENCE.md): valid under lenient and sample, rejected by
documented with precise paths and messages."""

from __future__ import annotations

import pytest

from contract_tests import check_message, validate_message
from tests.contract.helpers import fixture_path

SAMPLES = ["samples/status-success-cn4.json", "samples/status-success-cn5.json"]


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("profile", ["lenient", "sample"])
def test_sample_is_valid(sample, profile):
    report = check_message(fixture_path(sample).read_bytes(), profile=profile)
    assert report.kind == "status-answer"
    assert report.violations == []


@pytest.mark.parametrize("sample", SAMPLES)
def test_sample_fails_documented_with_precise_violations(sample):
    found = {v.json_path: v for v in validate_message(fixture_path(sample).read_bytes(), "status-answer", "documented")}
    assert set(found) == {"$.data", "$.data.progressCode", "$.data.dataSize"}
    code = found["$.data.progressCode"]
    assert (code.rule, code.value, code.message) == ("schema:type", "3", "expected integer, got string")
    assert found["$.data.dataSize"].message == "expected integer, got string"
    assert found["$.data"].message == "expected array, got object"


def test_documented_report_reads_well():
    text = check_message(fixture_path(SAMPLES[0]).read_bytes(), profile="documented", source="cn4").to_text()
    assert text.splitlines()[0] == "cn4: status-answer under profile documented: 3 violations"
    assert '  - $.data.progressCode: expected integer, got string [schema:type] (value: "3")' in text

import random

import pytest
from hypothesis import given, strategies as st

from mock_server.timeline import DEFAULT_TIMELINE, TimelineError, Uniform, parse_timeline


def test_compact_form_from_the_design_doc():
    spec = parse_timeline("waiting:2s,running:5s,success")
    assert spec.waiting == Uniform(2, 2) and spec.running == Uniform(5, 5)
    assert spec.outcome == (("success", 1.0),)
    assert spec.data_size == DEFAULT_TIMELINE.data_size  # unnamed fields keep the base


def test_ranges_weights_and_options():
    spec = parse_timeline("waiting:1s..3s,running:500ms,success:0.9|failed:0.1,size:10k..1M,"
                          "cancelling:1m,deleting:2s,retention:1h")
    assert spec.waiting == Uniform(1, 3)
    assert spec.running == Uniform(0.5, 0.5)
    assert spec.outcome == (("success", 0.9), ("failed", 0.1))
    assert spec.data_size == Uniform(10 * 1024, 1024 * 1024)
    assert (spec.cancelling, spec.deleting, spec.retention) == (Uniform(60, 60), Uniform(2, 2), Uniform(3600, 3600))


def test_object_form():
    spec = parse_timeline({"waiting": {"uniform": ["1s", "2s"]}, "running": 4, "outcome": {"success": 3, "failed": 1},
                           "data_size": "1k", "retention": None})
    assert spec.waiting == Uniform(1, 2) and spec.running == Uniform(4, 4)
    assert spec.outcome == (("success", 3.0), ("failed", 1.0)) and spec.data_size == Uniform(1024, 1024)


@pytest.mark.parametrize("text, fragment", [
    ("waiting:soon", "cannot read duration 'soon'"),
    ("pending:2s", "unknown timeline item 'pending:2s'"),
    ("waiting:3s..1s", "low end above its high end"),
    ("success:0|failed:0", "must add up to more than 0"),
    ("running", "running needs a duration"),
    ("maybe|success", "unknown outcome 'maybe'"),
])
def test_bad_compact_forms_say_what_is_wrong(text, fragment):
    with pytest.raises(TimelineError, match=None) as info:
        parse_timeline(text)
    assert fragment in str(info.value)


@given(seed=st.integers(min_value=0, max_value=2**32))
def test_draws_are_reproducible_and_in_range(seed):
    spec = parse_timeline("waiting:1s..3s,running:2s..9s,success:1|failed:1,size:100..200")
    first, second = spec.draw(random.Random(seed)), spec.draw(random.Random(seed))
    assert first == second
    assert 1 <= first.waiting <= 3 and 2 <= first.running <= 9 and 100 <= first.data_size <= 200
    assert first.outcome in ("success", "failed")


def test_compact_round_trip():
    spec = parse_timeline("waiting:1s..3s,running:5s,success:0.9|failed:0.1,size:10..20,retention:1h")
    assert parse_timeline(spec.to_compact()) == spec

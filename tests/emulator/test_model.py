"""The pure model: for generated plans, events and clock moves, every observed
sequence follows the legal transition graph and matches the planned timeline."""

from hypothesis import given, strategies as st

from mock_server.model import (CANCELLED, CANCELLING, DELETED, DELETING, FAILED, LEGAL_TRANSITIONS, RUNNING,
                               SUCCESS, WAITING, TaskRecord, observe, segments, state_at)
from mock_server.timeline import Plan

T0 = 1_000.0

durations = st.one_of(st.just(0.0), st.floats(min_value=0.001, max_value=100, allow_nan=False))


@st.composite
def plans(draw):
    return Plan(
        waiting=draw(durations), running=draw(durations),
        outcome=draw(st.sampled_from(["success", "failed"])),
        data_size=draw(st.integers(min_value=0, max_value=10**10)),
        cancelling=draw(durations), deleting=draw(durations),
        retention=draw(st.none() | durations),
    )


def expected_state(plan, cancel_at, cancelling, delete_at, t):
    """An oracle written independently of ``segments``: the natural reading of REFERENCE.md."""
    run_at, end_at = T0 + plan.waiting, T0 + plan.waiting + plan.running
    if cancel_at is not None:
        finished = cancel_at + cancelling
    else:
        finished = end_at
    effective_delete = delete_at
    if plan.retention is not None:
        expiry = finished + plan.retention
        effective_delete = expiry if effective_delete is None else min(effective_delete, expiry)
    if effective_delete is not None and t >= effective_delete:
        return DELETED if t >= effective_delete + plan.deleting else DELETING
    if cancel_at is not None and t >= cancel_at:
        return CANCELLED if t >= cancel_at + cancelling else CANCELLING
    if t < run_at:
        return WAITING
    if t < end_at:
        return RUNNING
    return SUCCESS if plan.outcome == "success" else FAILED


@given(plan=plans(), steps=st.lists(st.floats(min_value=0, max_value=60, allow_nan=False), min_size=1, max_size=40),
       cancel_step=st.none() | st.integers(min_value=0, max_value=39),
       delete_step=st.none() | st.integers(min_value=0, max_value=39))
def test_observed_sequences_are_legal_and_follow_the_plan(plan, steps, cancel_step, delete_step):
    record = TaskRecord("t" * 32, "o", "c", T0, plan, request=None, content_seed=1)
    now = T0
    observed = []
    for index, step in enumerate(steps):
        now += step
        state = state_at(record, now)
        # Events go through the same rules as the service: cancel only while
        # waiting/running, delete only once finished.
        if index == cancel_step and state in (WAITING, RUNNING):
            record.cancel_at = now
        if index == delete_step and state in (FAILED, SUCCESS, CANCELLED):
            record.delete_at = now
        state = state_at(record, now)
        assert state == expected_state(plan, record.cancel_at, record.cancelling, record.delete_at, now)
        observed.append(state)
    for before, after in zip(observed, observed[1:]):
        assert before == after or (before, after) in _reachable(before), (before, after, observed)


def _reachable(state):
    """Pairs reachable in one or more legal steps (polls can skip quick states)."""
    seen, frontier = set(), {state}
    while frontier:
        nxt = {b for (a, b) in LEGAL_TRANSITIONS if a in frontier} - seen
        seen |= nxt
        frontier = nxt
    return {(state, s) for s in seen}


@given(plan=plans(), offsets=st.lists(st.floats(min_value=0, max_value=400, allow_nan=False), min_size=2, max_size=30))
def test_segments_only_step_along_legal_edges(plan, offsets):
    record = TaskRecord("t" * 32, "o", "c", T0, plan, request=None, content_seed=1)
    states = [state for _, state in segments(record)]
    for before, after in zip(states, states[1:]):
        assert (before, after) in LEGAL_TRANSITIONS


@given(plan=plans(), times=st.lists(st.floats(min_value=0, max_value=400, allow_nan=False), min_size=2, max_size=30))
def test_bytes_never_shrink_while_running_and_equal_size_at_success(plan, times):
    record = TaskRecord("t" * 32, "o", "c", T0, plan, request=None, content_seed=1)
    previous = None
    for t in sorted(times):
        obs = observe(record, T0 + t)
        if obs.state == RUNNING:
            if previous is not None and previous.state == RUNNING:
                assert obs.bytes_written >= previous.bytes_written
            assert 0 <= obs.bytes_written <= plan.data_size
        if obs.state == SUCCESS:
            assert obs.bytes_written == plan.data_size and obs.has_file
        if obs.state == FAILED:
            assert obs.bytes_written == 0 and not obs.has_file
        previous = obs


def test_cancel_while_waiting_goes_through_cancelling_to_cancelled():
    plan = Plan(waiting=10, running=10, outcome="success", data_size=100, cancelling=2, deleting=3, retention=None)
    record = TaskRecord("t" * 32, "o", "c", T0, plan, request=None, content_seed=1)
    record.cancel_at = T0 + 5
    assert [state_at(record, T0 + t) for t in (4.9, 5, 6.9, 7, 100)] == [WAITING, CANCELLING, CANCELLING, CANCELLED, CANCELLED]


def test_retention_expires_a_finished_file():
    plan = Plan(waiting=1, running=1, outcome="success", data_size=100, cancelling=1, deleting=3, retention=10)
    record = TaskRecord("t" * 32, "o", "c", T0, plan, request=None, content_seed=1)
    assert [state_at(record, T0 + t) for t in (2, 11.9, 12, 14.9, 15)] == [SUCCESS, SUCCESS, DELETING, DELETING, DELETED]
    obs = observe(record, T0 + 13)
    assert obs.from_success and not obs.has_file and obs.bytes_written == 100

"""The task store: the cap, eviction of finished tasks only (amortized O(1) per
insert), StoreFull, and compaction that reads back the same request."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server import store as store_module
from mock_server.compact import CompactRequest, pack_request
from mock_server.config import EmulatorConfig
from mock_server.errors import StoreFull
from mock_server.requests_in import FileSpec, TaskRequest
from mock_server.service import Emulator

BODY = {"taskName": "t", "sourceName": "hive_enos", "querySql": "select 1", "filePackageName": "p"}


def emulator(cap: int) -> Emulator:
    return Emulator(EmulatorConfig(clock="manual", seed=1, max_tasks=cap))


def test_finished_tasks_are_evicted_oldest_first_and_unfinished_never():
    emu = emulator(3)
    slow = emu.create_task("o1", "ch", BODY, timeline="waiting:100s,running:1s")
    fast1 = emu.create_task("o1", "ch", BODY, timeline="waiting:0s,running:1s")
    fast2 = emu.create_task("o1", "ch", BODY, timeline="waiting:0s,running:1s")
    emu.clock.advance(2)
    emu.create_task("o1", "ch", BODY)
    assert slow.task_id in emu.store and fast1.task_id not in emu.store and fast2.task_id in emu.store
    emu.create_task("o1", "ch", BODY)
    assert fast2.task_id not in emu.store and slow.task_id in emu.store
    with pytest.raises(StoreFull):
        emu.create_task("o1", "ch", BODY)
    assert emu.store.evicted == 2 and len(emu.store) == 3


def test_a_cancel_makes_room_at_once():
    emu = emulator(2)
    first = emu.create_task("o1", "ch", BODY, timeline="waiting:100s,cancelling:0s")
    emu.create_task("o1", "ch", BODY, timeline="waiting:100s")
    with pytest.raises(StoreFull):
        emu.create_task("o1", "ch", BODY)
    emu.cancel_or_delete("o1", "ch", first.task_id)  # cancelled at once (cancelling:0s)
    emu.create_task("o1", "ch", BODY)
    assert first.task_id not in emu.store


def test_a_full_store_of_running_tasks_is_not_scanned_per_refusal(monkeypatch):
    calls = []
    real = store_module.state_at
    monkeypatch.setattr(store_module, "state_at", lambda record, now: calls.append(1) or real(record, now))
    emu = emulator(500)
    for _ in range(500):
        emu.create_task("o1", "ch", BODY, timeline="waiting:100s")
    for _ in range(200):
        with pytest.raises(StoreFull):
            emu.create_task("o1", "ch", BODY)
    assert len(calls) == 500  # one scan, then refusals until the soonest task can finish
    emu.clock.advance(200)
    for _ in range(500):
        emu.create_task("o1", "ch", BODY)
    assert len(calls) <= 500 + 2 * 500  # each insert looks at O(1) tasks on average


texts = st.text(max_size=20)


@given(st.builds(TaskRequest, texts, texts, texts, texts, st.just(FileSpec()), st.none() | texts, st.none() | texts))
def test_a_packed_request_reads_back_the_same(request):
    packed = pack_request(request)
    for field in ("task_name", "source_name", "query_sql", "file_package_name", "file", "callback_url", "queue_para"):
        assert getattr(packed, field) == getattr(request, field)
    assert isinstance(packed, CompactRequest) or any("\x00" in (v or "") for v in (
        request.task_name, request.source_name, request.query_sql, request.file_package_name,
        request.callback_url, request.queue_para))

"""Many threads creating, polling, cancelling and deleting tasks against a real
server (the in-process runner on waitress, and dfmock serve's uvicorn server), for
a bounded number of operations, while another thread moves the manual clock.

No sleeping: every thread does a fixed number of operations. Checked: no answer is
a 5xx or not an envelope, no task is lost or duplicated, the journal holds every
API request once, and each task's observed states (polls and DELETE answers, in
its owner thread's order) follow the legal transitions (polls may skip states, so
each step must be reachable, not adjacent).
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict

import pytest
import requests

from mock_server.config import EmulatorConfig
from mock_server.model import LEGAL_TRANSITIONS

from .helpers import cancel_path, create_body, create_path, status_path

THREADS = 8
OPERATIONS = 100  # per thread
ADVANCES = 200
CONFIG = EmulatorConfig(clock="manual", seed=17, max_tasks=100_000, journal_size=100_000,
                        timeline=EmulatorConfig().timeline.with_overrides(
                            "waiting:0s..2s,running:1s..4s,success:3|failed:1,cancelling:0s..2s,deleting:0s..2s"))


def _reachable() -> dict[int, set[int]]:
    reach = {s: {s} for s in range(8)}
    changed = True
    while changed:
        changed = False
        for a, b in LEGAL_TRANSITIONS:
            for s in range(8):
                if a in reach[s] and b not in reach[s]:
                    reach[s].add(b)
                    changed = True
    return reach


REACHABLE = _reachable()


@pytest.fixture(params=["waitress", "uvicorn"])
def base_url(request):
    if request.param == "waitress":
        from mock_server.runner import run_emulator

        with run_emulator(CONFIG, threads=8) as running:
            yield running.base_url, running.emulator
        return
    from mock_server.fastserver import FastServer, LazyApp
    from mock_server.service import Emulator
    import dataclasses

    server = FastServer(LazyApp(None), "127.0.0.1", 0, threads=8)
    server.bridge.app = app = LazyApp(Emulator(dataclasses.replace(CONFIG, public_base_url=server.base_url)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.base_url, app.emulator()
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_concurrent_clients_see_consistent_tasks(base_url):
    base, emulator = base_url
    observed: dict[str, list[int]] = defaultdict(list)
    created: list[str] = []
    problems: list[str] = []
    api_requests = [0]
    lock = threading.Lock()
    start = threading.Barrier(THREADS + 1)

    def check(response, what):
        if response.status_code >= 500:
            problems.append(f"{what}: HTTP {response.status_code} {response.text[:200]}")
            return None
        body = response.json()
        if not isinstance(body, dict) or "code" not in body or "data" not in body:
            problems.append(f"{what}: not an envelope: {body!r}")
            return None
        return body

    def client(number: int) -> None:
        rng = random.Random(number)
        session = requests.Session()
        mine: list[str] = []
        start.wait()
        for _ in range(OPERATIONS):
            roll = rng.random()
            if not mine or roll < 0.25:
                body = check(session.post(base + create_path(), json=create_body(), timeout=10), "create")
                if body and body["code"] == 0:
                    mine.append(body["data"]["taskId"])
            elif roll < 0.80:
                task_id = rng.choice(mine)
                body = check(session.get(base + status_path(task_id), timeout=10), "status")
                if body and body["code"] == 0:
                    observed[task_id].append(int(body["data"]["progressCode"]))
                elif body:
                    problems.append(f"status of my task {task_id}: {body}")
            else:
                task_id = rng.choice(mine)
                body = check(session.delete(base + cancel_path(task_id), timeout=10), "delete")
                if body and body["code"] == 0:
                    observed[task_id].append(int(body["data"]["progressCode"]))
            with lock:
                api_requests[0] += 1
        with lock:
            created.extend(mine)

    def clock() -> None:
        session = requests.Session()
        start.wait()
        for _ in range(ADVANCES):
            session.post(base + "/__admin/clock/advance", json={"seconds": 0.05}, timeout=10).raise_for_status()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)] + [threading.Thread(target=clock)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not problems, problems[:5]
    assert len(created) == len(set(created)) > THREADS
    listed = requests.get(base + "/__admin/tasks", timeout=10).json()
    listed_ids = [task["taskId"] for task in (listed if isinstance(listed, list) else listed["tasks"])]
    assert sorted(listed_ids) == sorted(created)
    entries = emulator.journal.entries()
    assert len(entries) == api_requests[0] and len({e.seq for e in entries}) == len(entries)
    for task_id, states in observed.items():
        for before, after in zip(states, states[1:]):
            assert after in REACHABLE[before], f"task {task_id}: {states}"
    seen = {s for states in observed.values() for s in states}
    assert {0, 1, 4}.issubset(seen) or len(seen) >= 4, seen  # the run exercised several states

"""``--state-file PATH``: the tasks and the clock survive a restart (SQLite, stdlib).

``load(path, config)`` builds the emulator: from the file when it exists (tasks
with their plans, events and requests; the emulated clock's time for manual and
step clocks; the seed and the state of the seeded generators, so new task ids
continue the same sequence), else a fresh one. ``save(path, emulator)`` writes a
snapshot: into a temporary file first, then renamed over ``path``, so a crash while
saving leaves the previous snapshot whole. ``dfmock serve`` saves at a clean stop
(SIGINT/SIGTERM); a killed process keeps the last snapshot.

Not kept: the request journal, fault rules, auth tokens, and pending completion
callbacks (a restart is a new gateway process for them).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
from pathlib import Path

from .config import EmulatorConfig
from .model import TaskRecord
from .requests_in import FileSpec, TaskRequest
from .timeline import Plan

SCHEMA_VERSION = 1
_TASK_COLUMNS = ("task_id", "org_id", "channel_id", "created_at", "plan", "request", "content_seed",
                 "cancel_at", "cancelling", "delete_at")


class StateFileError(ValueError):
    pass


def _request_json(request) -> str:
    spec = request.file
    return json.dumps([request.task_name, request.source_name, request.query_sql, request.file_package_name,
                       request.callback_url, request.queue_para,
                       [spec.split, spec.encoding, spec.delimiter, list(spec.header), list(spec.renames)]])


def _request_from(text: str) -> TaskRequest:
    name, source, sql, package, callback, queue, (split, encoding, delimiter, header, renames) = json.loads(text)
    return TaskRequest(name, source, sql, package, FileSpec(split, encoding, delimiter, tuple(header), tuple(renames)),
                       callback, queue)


def save(path: str | Path, emulator) -> int:
    """Write a snapshot of ``emulator``; returns the number of tasks written."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.execute("create table meta (key text primary key, value text not null)")
        db.execute(f"create table tasks ({', '.join(_TASK_COLUMNS)}, seq integer primary key)")
        with emulator.store.lock:
            records = list(emulator.store)
            rng_state = emulator._rng.getstate()
            ids_state = emulator._request_ids.getstate()
        meta = {"version": SCHEMA_VERSION, "seed": emulator.seed, "clock_mode": emulator.clock.mode,
                "now": emulator.clock.now(), "rng": rng_state, "request_ids": ids_state}
        db.executemany("insert into meta values (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
        db.executemany(f"insert into tasks ({', '.join(_TASK_COLUMNS)}) values ({', '.join('?' * len(_TASK_COLUMNS))})", (
            (r.task_id, r.org_id, r.channel_id, r.created_at, json.dumps(dataclasses.astuple(r.plan)),
             _request_json(r.request), r.content_seed, r.cancel_at, r.cancelling, r.delete_at)
            for r in records))
        db.commit()
    finally:
        db.close()
    os.replace(tmp, path)
    return len(records)


def _as_state(value):
    return tuple(_as_state(v) for v in value) if isinstance(value, list) else value


def load(path: str | Path, config: EmulatorConfig):
    """The emulator kept in ``path``, or a fresh one from ``config`` if there is no file yet."""
    from .service import Emulator

    path = Path(path)
    if not path.exists():
        return Emulator(config)
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            meta = {k: json.loads(v) for k, v in db.execute("select key, value from meta")}
            rows = db.execute(f"select {', '.join(_TASK_COLUMNS)} from tasks order by seq").fetchall()
        finally:
            db.close()
    except (sqlite3.Error, json.JSONDecodeError) as exc:
        raise StateFileError(f"{path}: not a dfmock state file ({exc})") from None
    if meta.get("version") != SCHEMA_VERSION:
        raise StateFileError(f"{path}: state file version {meta.get('version')!r}; this dfmock reads {SCHEMA_VERSION}")
    changes: dict = {"seed": meta["seed"]}
    if config.clock.split(":")[0] in ("manual", "step") and meta.get("clock_mode") in ("manual", "step"):
        changes["clock_start"] = meta["now"]
    emulator = Emulator(dataclasses.replace(config, **changes))
    emulator._rng.setstate(_as_state(meta["rng"]))
    emulator._request_ids.setstate(_as_state(meta["request_ids"]))
    now = emulator.clock.now()
    for task_id, org, channel, created_at, plan, request, seed, cancel_at, cancelling, delete_at in rows:
        record = TaskRecord(task_id, org, channel, created_at, Plan(*json.loads(plan)), _request_from(request), seed)
        record.cancel_at, record.cancelling, record.delete_at = cancel_at, cancelling, delete_at
        emulator.store.add(record, now)
        if config.channels is None:
            emulator._used.setdefault(org, {})[channel] = None
    return emulator

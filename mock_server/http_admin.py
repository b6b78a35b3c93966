"""The admin API under /__admin: health, tasks, clock, reset, request journal.
Answers are plain JSON (no envelope); errors use the envelope with plain HTTP statuses."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from . import __version__
from .clock import ClockError
from .errors import InvalidParameter
from .http_common import emulator, json_body, render_json
from .model import STATE_NAMES, TaskRecord, observe, segments
from .requests_in import TaskRequest

admin = Blueprint("dfmock_admin", __name__, url_prefix="/__admin")

#: The body used when an admin-created task gives no request of its own.
DEFAULT_ADMIN_REQUEST = {
    "taskName": "admin-task",
    "sourceName": "hive_enos",
    "querySql": "select * from dfmock_demo",
    "filePackageName": "admin-task",
}


def task_summary(record: TaskRecord, now: float) -> dict:
    obs = observe(record, now)
    return {
        "taskId": record.task_id,
        "orgId": record.org_id,
        "channelId": record.channel_id,
        "createdAt": record.created_at,
        "state": obs.state,
        "stateName": STATE_NAMES[obs.state],
        "bytesWritten": obs.bytes_written,
    }


def _request_json(req: TaskRequest) -> dict:
    spec = req.file
    return {
        "taskName": req.task_name,
        "sourceName": req.source_name,
        "querySql": req.query_sql,
        "filePackageName": req.file_package_name,
        "callbackURL": req.callback_url,
        "selfDefineQueuePara": req.queue_para,
        "file": {"split": spec.split, "encoding": spec.encoding, "delimiter": spec.delimiter,
                 "fileHeader": list(spec.header), "fileRename": list(spec.renames)},
    }


def task_detail(record: TaskRecord, now: float) -> dict:
    plan = record.plan
    detail = task_summary(record, now)
    detail.update({
        "plan": {
            "waiting": plan.waiting, "running": plan.running, "outcome": plan.outcome,
            "dataSize": plan.data_size, "cancelling": record.cancelling, "deleting": plan.deleting,
            "retention": plan.retention,
        },
        "events": {"cancelAt": record.cancel_at, "deleteAt": record.delete_at},
        "timeline": [
            {"at": start, "offset": start - record.created_at, "state": state, "stateName": STATE_NAMES[state]}
            for start, state in segments(record)
        ],
        "request": _request_json(record.request),  # type: ignore[arg-type]
        "dataPath": f"/channels/read/{record.channel_id}/download/{record.task_id}/data?orgId={record.org_id}",
    })
    return detail


@admin.get("/health")
def health():
    emu = emulator()
    return render_json({
        "status": "ok", "version": __version__, "seed": emu.seed, "clock": emu.clock.describe(),
        "tasks": len(emu.store), "journal": len(emu.journal),
    })


@admin.get("/tasks")
def list_tasks():
    emu = emulator()
    now = emu.clock.now()
    wanted_state = request.args.get("state")
    tasks = [task_summary(r, now) for r in emu.store]
    if wanted_state is not None:
        tasks = [t for t in tasks if wanted_state in (str(t["state"]), t["stateName"])]
    for key, field in (("orgId", "orgId"), ("channelId", "channelId")):
        if request.args.get(key) is not None:
            tasks = [t for t in tasks if t[field] == request.args[key]]
    return render_json({"count": len(tasks), "tasks": tasks})


def _object(body: Any) -> dict:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidParameter("expected a JSON object")
    return body


@admin.post("/tasks")
def create_task():
    """Create a task with an explicit timeline: {orgId, channelId, timeline?, request?}."""
    emu = emulator()
    body = _object(json_body(required=False))
    channel_id = body.get("channelId", "dfmock-channel")
    if not isinstance(channel_id, str):
        raise InvalidParameter("channelId: expected a string")
    timeline = body.get("timeline")
    if timeline is not None and not isinstance(timeline, (str, dict)):
        raise InvalidParameter("timeline: expected a compact string or an object")
    record = emu.create_task(body.get("orgId", "dfmock-org"), channel_id,
                             body.get("request", DEFAULT_ADMIN_REQUEST), timeline=timeline,
                             base_url=request.host_url)
    return render_json(task_detail(record, emu.clock.now()), status=201)


@admin.get("/tasks/<task_id>")
def get_task(task_id: str):
    emu = emulator()
    return render_json(task_detail(emu.get_task(task_id), emu.clock.now()))


@admin.post("/tasks/<task_id>/cancel")
def cancel_task(task_id: str):
    emu = emulator()
    return render_json(task_detail(emu.admin_cancel(task_id), emu.clock.now()))


@admin.post("/tasks/<task_id>/delete")
def delete_task(task_id: str):
    emu = emulator()
    return render_json(task_detail(emu.admin_delete(task_id), emu.clock.now()))


@admin.get("/clock")
def get_clock():
    return render_json(emulator().clock.describe())


def _seconds(body: dict, key: str) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidParameter(f"{key}: expected a number of seconds")
    if not (0 <= value < 10**10):
        raise InvalidParameter(f"{key}: expected 0 <= {key} < 1e10")
    return float(value)


@admin.post("/clock/advance")
def advance_clock():
    emu = emulator()
    seconds = _seconds(_object(json_body()), "seconds")
    _clock_call(lambda: emu.clock.advance(seconds))
    return render_json(emu.clock.describe())


@admin.post("/clock/set")
def set_clock():
    emu = emulator()
    now = _seconds(_object(json_body()), "now")
    setter = getattr(emu.clock, "set", None)
    if setter is None:
        raise InvalidParameter("the real clock cannot be set; start the emulator with --clock manual")
    _clock_call(lambda: setter(now))
    return render_json(emu.clock.describe())


def _clock_call(call) -> None:
    try:
        call()
    except ClockError as exc:
        raise InvalidParameter(str(exc)) from None
    # Callbacks due at the new time are delivered before the advance answers
    # (mock_server/callbacks.py): deterministic for tests on the manual clock.
    emulator().callbacks.run_due()


@admin.post("/reset")
def reset():
    emulator().reset()
    return render_json({"reset": True})


@admin.get("/requests")
def get_requests():
    emu = emulator()
    try:
        since = int(request.args.get("since", 0))
        limit = int(request.args["limit"]) if "limit" in request.args else None
    except ValueError:
        raise InvalidParameter("since and limit must be whole numbers") from None
    entries = emu.journal.entries(since=since, limit=limit)
    return render_json({"count": len(entries), "dropped": emu.journal.dropped,
                        "requests": [e.to_json() for e in entries]})


@admin.delete("/requests")
def clear_requests():
    return render_json({"cleared": emulator().journal.clear()})

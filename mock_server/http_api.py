"""The emulated EnOS routes, at their real paths (REFERENCE.md)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, request

from . import wire
from .faults import FAULTS_HEADER, STATE_KEY, scoped
from .http_common import emulator, json_body, org_param, render_ok
from .http_faults import task_faults

TIMELINE_HEADER = "X-Dfmock-Timeline"
PREFIX = "/data-federation/v2.0"

api = Blueprint("enos_api", __name__)


def download_url(channel_id: str, task_id: str, org_id: str) -> str:
    emu = emulator()
    base = emu.config.public_base_url or request.host_url
    return (f"{base.rstrip('/')}/channels/read/{quote(channel_id)}/download/{quote(task_id)}"
            f"/data?orgId={quote(org_id, safe='')}")


@api.post(f"{PREFIX}/channels/read/<channel_id>/download-request")
def create_download_request(channel_id: str):
    emu = emulator()
    org_id = org_param()
    body = json_body()
    rules = task_faults(request.headers.get(FAULTS_HEADER))  # checked before the task exists
    record = emu.create_task(org_id, channel_id, body, timeline=request.headers.get(TIMELINE_HEADER),
                             base_url=request.host_url)
    if rules:
        emu.faults.add(scoped(rules, record.task_id))
    return render_ok({"taskId": record.task_id})


@api.get(f"{PREFIX}/channels/read/<channel_id>/download/<task_id>/status")
def download_status(channel_id: str, task_id: str):
    emu = emulator()
    record, obs = emu.status(org_param(), channel_id, task_id)
    request.environ[STATE_KEY] = obs.state  # for the journal and on:STATE faults
    url = download_url(channel_id, record.task_id, record.org_id) if obs.from_success else ""
    data = wire.status_struct(record.task_id, obs, url, emu.config.wire)
    return render_ok(wire.shape(data, emu.config.wire))


@api.delete(f"{PREFIX}/channels/read/<channel_id>/download/<task_id>")
def cancel_download(channel_id: str, task_id: str):
    emu = emulator()
    record, state = emu.cancel_or_delete(org_param(), channel_id, task_id)
    request.environ[STATE_KEY] = state
    return render_ok(wire.cancel_struct(record.task_id, state, emu.config.wire))


@api.get("/channels/read/<channel_id>/download/<task_id>/data")
def download_data(channel_id: str, task_id: str):
    data_file = emulator().open_file(org_param(), channel_id, task_id)
    response = Response(data_file.chunks, content_type=data_file.content_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(data_file.size)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(data_file.filename)}"
    return response


@api.get(f"{PREFIX}/channels")
def list_channels():
    emu = emulator()
    return render_ok(emu.list_channels(org_param(), request.args.get("channelType")))

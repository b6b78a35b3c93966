"""The wire format: field names, number styles and envelope shapes live here and
nowhere else. The model speaks in ints and observations; this module turns them
into the JSON the real gateway sends (docs/wire-format.md)."""

from __future__ import annotations

import json
from typing import Any

from .config import WireSettings
from .model import STATE_NAMES, Observation

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def number(value: int, wire: WireSettings) -> int | str:
    return str(value) if wire.numbers == "string" else value


def shape(data: dict, wire: WireSettings) -> dict | list:
    return [data] if wire.data_shape == "list" else data


def status_struct(task_id: str, obs: Observation, download_url: str, wire: WireSettings) -> dict:
    # Field order follows the published samples.
    data: dict[str, Any] = {"taskId": task_id}
    if obs.from_success:
        data["downloadUrl"] = download_url
    elif wire.before_success in ("progress", "empty"):
        data["downloadUrl"] = ""
    elif wire.before_success == "null":
        data["downloadUrl"] = None
    data["progressDesc"] = STATE_NAMES[obs.state]
    data["progressCode"] = number(obs.state, wire)
    if obs.from_success or wire.before_success == "progress":
        data["dataSize"] = number(obs.bytes_written, wire)
    elif wire.before_success == "empty":
        data["dataSize"] = number(0, wire)
    elif wire.before_success == "null":
        data["dataSize"] = None
    return data


def cancel_struct(task_id: str, state: int, wire: WireSettings) -> dict:
    return {"taskId": task_id, "progressCode": number(state, wire), "progressDesc": STATE_NAMES[state]}


def ok_body(data: Any, wire: WireSettings, request_id: str | None = None) -> bytes:
    body: dict[str, Any] = {"code": 0, "msg": "OK"}
    if request_id is not None:
        body["requestId"] = request_id
    body["data"] = data
    return _dumps(body).encode("utf-8")


def error_body(code: int, message: str, request_id: str | None = None) -> bytes:
    body: dict[str, Any] = {"code": code, "msg": message}
    if request_id is not None:
        body["requestId"] = request_id
    body["data"] = None
    return _dumps(body).encode("utf-8")


def error_http_status(http_status: int, wire: WireSettings) -> int:
    return 200 if wire.error_status == "200" else http_status


def to_json_bytes(obj: Any) -> bytes:
    return _dumps(obj).encode("utf-8")

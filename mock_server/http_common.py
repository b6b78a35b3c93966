"""What every blueprint shares: finding the emulator, reading query and JSON body,
and rendering envelopes. Handlers stay thin: parse, call one service method, render."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, request

from . import wire
from .errors import ApiError, InvalidParameter
from .service import Emulator

EXTENSION = "dfmock"
CODE_KEY = "dfmock.code"  # the envelope code, left in the WSGI environ for the journal
JSON_MIMETYPE = "application/json"


def emulator() -> Emulator:
    return current_app.extensions[EXTENSION]


def org_param() -> str | None:
    return request.args.get("orgId")


def json_body(required: bool = True) -> Any:
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise InvalidParameter("the request body is empty; expected a JSON object")
        return None
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise InvalidParameter("the request body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidParameter(f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise InvalidParameter("the request body nests too deeply") from None


def _request_id(emu: Emulator | None) -> str | None:
    return emu.next_request_id() if emu is not None and emu.config.wire.request_id else None


def render_ok(data: Any, status: int = 200) -> Response:
    request.environ[CODE_KEY] = 0
    emu = emulator()
    return Response(wire.ok_body(data, emu.config.wire, _request_id(emu)), status=status, mimetype=JSON_MIMETYPE)


def render_error(error: ApiError) -> Response:
    request.environ[CODE_KEY] = error.code
    emu = current_app.extensions.get(EXTENSION)
    status = wire.error_http_status(error.http_status, emu.config.wire) if emu else error.http_status
    if request.path.startswith("/__admin"):
        status = error.http_status  # the admin API always speaks plain HTTP statuses
    response = Response(wire.error_body(error.code, error.message, _request_id(emu)), status=status,
                        mimetype=JSON_MIMETYPE)
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def render_json(obj: Any, status: int = 200) -> Response:
    """Plain JSON for the admin API (no envelope)."""
    return Response(wire.to_json_bytes(obj), status=status, mimetype=JSON_MIMETYPE)

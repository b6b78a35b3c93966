"""The gateway's own routes: the APIM token service, and admin views of auth and
callbacks. Thin: parse, call the emulator's ``auth`` / ``callbacks``, render."""

from __future__ import annotations

import json

from flask import Blueprint, Response, request

from .auth import TOKEN_BUSINESS, TOKEN_PATH, GatewayError, gateway_answer, token_answer
from .http_common import CODE_KEY, JSON_MIMETYPE, emulator, render_json

gateway = Blueprint("dfmock_gateway", __name__)


def _answer(body: bytes, status: int = 200) -> Response:
    return Response(body, status=status, mimetype=JSON_MIMETYPE)


@gateway.post(TOKEN_PATH)
def get_token():
    emu = emulator()
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw) if raw.strip() else None
    except (ValueError, RecursionError):
        body = "not JSON"
    try:
        if body is None:
            raise GatewayError(1202, "the body is empty; expected {appKey, encryption, timestamp}",
                               business=TOKEN_BUSINESS)
        token, expire = emu.auth.issue_token(body)
    except GatewayError as error:
        request.environ[CODE_KEY] = error.code
        from . import wire

        status = wire.error_http_status(error.http_status, emu.config.wire)
        return _answer(gateway_answer(error, "apim"), status)
    request.environ[CODE_KEY] = 0
    return _answer(token_answer(token, expire))


@gateway.get("/__admin/auth")
def auth_state():
    return render_json(emulator().auth.describe())


@gateway.get("/__admin/callbacks")
def callbacks_state():
    return render_json(emulator().callbacks.to_json())


@gateway.post("/__admin/callbacks/run")
def run_callbacks():
    """Attempt every callback due now (what a clock advance does), and say how many."""
    emu = emulator()
    return render_json({"attempts": emu.callbacks.run_due(), **emu.callbacks.to_json()})

"""Faults over HTTP: the WSGI layer that applies them, and their admin routes.

``FaultLayer`` sits just inside ``JournalingApp``: it lets the real answer be
computed, asks the emulator's ``FaultSet`` whether a rule fires, and if so replaces
or alters the answer, leaving the fault's label in the environ for the journal.
Admin routes: ``GET|POST|DELETE /__admin/faults``, ``DELETE /__admin/faults/{id}``,
and ``GET|POST /__admin/config`` (a fresh emulator with other wire settings, clock,
seed, timeline or faults, on the same server: what a client runner needs between
scenarios).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from typing import Any

from flask import Blueprint, current_app
from waitress.channel import ClientDisconnected

from . import wire
from .clock import ClockError, make_clock
from .errors import ApiError, InvalidParameter, NotFound
from .faults import FAULT_KEY, STATE_KEY, FaultError, FaultRule, parse_rules, scoped
from .http_common import CODE_KEY, EXTENSION, emulator, json_body, render_json
from .timeline import TimelineError

_API = r"^/data-federation/v2\.0"
_ROUTES = (
    ("status", "GET", re.compile(_API + r"/channels/read/[^/]+/download/(?P<task>[^/]+)/status$")),
    ("cancel", "DELETE", re.compile(_API + r"/channels/read/[^/]+/download/(?P<task>[^/]+)$")),
    ("data", "GET", re.compile(r"^/channels/read/[^/]+/download/(?P<task>[^/]+)/data$")),
    ("create", "POST", re.compile(_API + r"/channels/read/[^/]+/download-request$")),
    ("channels", "GET", re.compile(_API + r"/channels$")),
    ("token", "POST", re.compile(r"^/apim-token-service/v2\.0/token/get$")),
)

_HTML = (b"<!DOCTYPE html><html><head><title>Service maintenance</title></head>"
         b"<body><h1>The service is under maintenance</h1><p>dfmock fault: not JSON</p></body></html>")
_REASONS = {200: "OK", 401: "Unauthorized", 429: "Too Many Requests", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


_truncating = threading.local()


class _QuietTruncation(logging.Filter):
    """Waitress warns when an app sends fewer bytes than its Content-Length; for a
    ``truncate`` fault that is the point, so that one warning (same thread) is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(_truncating, "active", False) and "too few bytes" in record.getMessage():
            _truncating.active = False
            return False
        return True


_QUIET = _QuietTruncation()


class DropConnection(ClientDisconnected):
    """Raised to make waitress close the connection without writing a byte (its
    channel treats ``ClientDisconnected`` that way). Other WSGI servers see an error."""


def classify(method: str, path: str) -> tuple[str | None, str | None]:
    """(route name, task id) of a request, or (None, None) for anything undocumented."""
    for name, route_method, pattern in _ROUTES:
        match = pattern.match(path)
        if match and method == route_method:
            return name, match.groupdict().get("task")
    return None, None


def task_faults(header: str | None) -> list[FaultRule]:
    """Rules from the ``X-Dfmock-Faults`` header of a create request (1004 if unreadable)."""
    if not header:
        return []
    try:
        return parse_rules(header)
    except FaultError as exc:
        raise InvalidParameter(f"X-Dfmock-Faults: {exc}") from None


def _no_write(data: bytes) -> None:  # pragma: no cover - Flask never uses write()
    raise RuntimeError("the fault layer does not support write()")


class FaultLayer:
    def __init__(self, flask_app, inner) -> None:
        self.flask_app = flask_app
        self.inner = inner
        waitress_log = logging.getLogger("waitress")
        if _QUIET not in waitress_log.filters:
            waitress_log.addFilter(_QUIET)

    def __call__(self, environ, start_response):
        emu = self.flask_app.extensions[EXTENSION]
        faults = emu.faults
        if not faults.active:
            return self.inner(environ, start_response)
        route, task_id = classify(environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
        if route is None or not faults.wants(route, task_id):
            return self.inner(environ, start_response)
        captured: list[Any] = []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, list(headers)]
            return _no_write

        result = self.inner(environ, capture)
        decisions = faults.decide(route, task_id, environ.get(STATE_KEY))
        if not decisions:
            start_response(*captured)
            return result
        labels, answer = [], None
        for decision in decisions:
            label = decision.label
            action = decision.rule.action
            if action == "delay":
                clock = emu.clock
                if clock.mode == "real":
                    faults.sleep(decision.seconds / clock.speed)
                else:
                    clock.advance(decision.seconds)
            elif action == "stall":
                faults.sleep(decision.seconds)
            elif action in ("cancel", "delete"):
                try:
                    (emu.admin_cancel if action == "cancel" else emu.admin_delete)(task_id)
                except ApiError:
                    label += " (refused: not in a state that allows it)"
            elif answer is None:
                answer = decision
            else:
                label += " (superseded)"  # one answer per request: the first rule's
            labels.append(label)
        environ[FAULT_KEY] = "; ".join(labels)
        if answer is None:
            start_response(*captured)
            return result
        return self._answer(answer.rule, environ, start_response, captured, result, emu)

    def _answer(self, rule: FaultRule, environ, start_response, captured, result, emu):
        if rule.action == "truncate":
            return _truncated(start_response, captured, result)
        _close(result)
        if rule.action == "drop":
            raise DropConnection("dfmock fault: connection dropped")
        environ[CODE_KEY] = None
        headers: list[tuple[str, str]] = []
        if rule.action == "status":
            status = rule.http_status or 500
            code = 81500 if status == 500 else status
            environ[CODE_KEY] = code
            body = wire.error_body(code, f"{_REASONS.get(status, 'Error')} (dfmock fault)")
            content_type = "application/json"
            if rule.retry_after is not None:
                ra = rule.retry_after
                headers.append(("Retry-After", str(int(ra)) if ra == int(ra) else f"{ra:g}"))
        elif rule.action == "empty":
            status, body, content_type = 200, b"", "application/json"
        elif rule.action == "nonjson":
            status, body, content_type = 200, _HTML, "text/html; charset=utf-8"
        else:  # apim
            auth = getattr(emu, "auth", None)
            fresh = auth.refresh_token_for(environ.get("HTTP_APIM_ACCESSTOKEN")) if auth is not None else None
            status, body = token_expiry_answer(rule.apim_status or 4011, fresh)
            content_type = "application/json"
        start_response(f"{status} {_REASONS.get(status, 'Error')}", [
            ("Content-Type", content_type), ("Content-Length", str(len(body))), *headers])
        return [body]


def token_expiry_answer(apim_status: int, refresh_token: str | None = None) -> tuple[int, bytes]:
    """The gateway's answer when the access token expired (4011) or is invalid (4012):
    mock_server.auth builds it, so faults and the auth layer answer alike."""
    try:
        from .auth import token_expiry_answer as from_auth
    except ImportError:  # pragma: no cover - only in a checkout without the auth module
        message = "access token expired" if apim_status == 4011 else "access token is not valid"
        return 200, wire.to_json_bytes({"apim_status": apim_status, "msg": message, "business": "apim-gateway"})
    return from_auth(apim_status, refresh_token)


def _close(result) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def _truncated(start_response, captured, result):
    """The real status and headers, half the body: waitress closes the connection
    when the app sends fewer bytes than its Content-Length."""
    status, headers = captured
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), None)
    if length is None:
        body = b"".join(result)
        _close(result)
        result, length = [body], len(body)
        headers = [*headers, ("Content-Length", str(length))]
    if length == 0:  # nothing to cut: promise a byte and send none
        headers = [(k, "1" if k.lower() == "content-length" else v) for k, v in headers]
    start_response(status, headers)
    return _cut(result, length // 2)


def _cut(result, limit: int):
    sent = 0
    _truncating.active = True
    try:
        for chunk in result:
            if sent >= limit:
                break
            piece = chunk[: limit - sent]
            sent += len(piece)
            if piece:
                yield piece
    finally:
        _close(result)


# -- admin routes ------------------------------------------------------------

faults_admin = Blueprint("dfmock_faults", __name__, url_prefix="/__admin")


def _faults_json(emu) -> dict:
    rules = emu.faults.to_json()
    return {"active": emu.faults.active, "count": len(rules), "rules": rules}


@faults_admin.get("/faults")
def list_faults():
    return render_json(_faults_json(emulator()))


@faults_admin.post("/faults")
def add_faults():
    """Body: a compact string, a rule object, a list of them, or {"faults": ..., "task": id}."""
    emu = emulator()
    body = json_body()
    task = None
    if isinstance(body, dict) and "faults" in body:
        task = body.get("task")
        if task is not None and not isinstance(task, str):
            raise InvalidParameter("task: expected a task id")
        if task is not None:
            emu.get_task(task)  # 81404 for an unknown task
        body = body["faults"]
    try:
        rules = parse_rules(body)
    except FaultError as exc:
        raise InvalidParameter(str(exc)) from None
    ids = emu.faults.add(scoped(rules, task) if task else rules)
    return render_json({"added": ids, **_faults_json(emu)}, status=201)


@faults_admin.delete("/faults")
def clear_faults():
    return render_json({"cleared": emulator().faults.clear()})


@faults_admin.delete("/faults/<rule_id>")
def remove_fault(rule_id: str):
    if not emulator().faults.remove(rule_id):
        raise NotFound(f"no fault rule {rule_id}")
    return render_json({"removed": rule_id})


def describe_config(emu) -> dict:
    config = emu.config
    return {
        "seed": emu.seed, "clock": emu.clock.describe(), "timeline": config.timeline.to_compact(),
        "wire": dataclasses.asdict(config.wire), "faults": [rule.compact() for rule in config.faults],
        "publicBaseUrl": config.public_base_url,
        **({"auth": emu.auth.describe()} if hasattr(emu, "auth") else {}),
    }


@faults_admin.get("/config")
def get_config():
    return render_json(describe_config(emulator()))


@faults_admin.post("/config")
def replace_config():
    """A fresh emulator (no tasks, empty journal) built from the current config with
    {clock?, speed?, seed?, timeline?, wire?, faults?, auth?} changed; the server stays up."""
    from .app import install
    from .service import Emulator

    emu = emulator()
    body = json_body(required=False) or {}
    if not isinstance(body, dict):
        raise InvalidParameter("expected a JSON object")
    unknown = set(body) - {"clock", "speed", "seed", "timeline", "wire", "faults", "auth"}
    if unknown:
        raise InvalidParameter(f"unknown setting(s): {', '.join(sorted(unknown))}")
    config = emu.config
    changes: dict[str, Any] = {}
    try:
        if "clock" in body:
            make_clock(str(body["clock"]))
            changes["clock"] = str(body["clock"])
        if "speed" in body:
            changes["speed"] = float(body["speed"])
        if "seed" in body:
            if body["seed"] is not None and (isinstance(body["seed"], bool) or not isinstance(body["seed"], int)):
                raise ValueError("seed: expected a whole number or null")
            changes["seed"] = body["seed"]
        if "timeline" in body:
            changes["timeline"] = config.timeline.with_overrides(body["timeline"])
        if "wire" in body:
            if not isinstance(body["wire"], dict):
                raise ValueError("wire: expected an object")
            changes["wire"] = config.wire.with_overrides(body["wire"])
        if "faults" in body:
            changes["faults"] = tuple(parse_rules(body["faults"]))
        if "auth" in body:
            if not hasattr(config, "auth"):
                raise ValueError("auth: this emulator has no APIM auth")
            from .auth import settings_from_mapping

            if not isinstance(body["auth"], dict):
                raise ValueError("auth: expected an object such as {\"mode\": \"verify\", \"apps\": [\"KEY:SECRET\"]}")
            changes["auth"] = settings_from_mapping(body["auth"], config.auth)
        fresh = Emulator(dataclasses.replace(config, **changes))
    except (ClockError, TimelineError, FaultError, ValueError, TypeError, KeyError) as exc:
        raise InvalidParameter(str(exc)) from None
    install(current_app, fresh)
    return render_json(describe_config(fresh))

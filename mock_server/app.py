"""The app factory and the WSGI wrapper around it.

``create_app(config)`` builds a Flask app from one ``EmulatorConfig`` (or an
existing ``Emulator``); the emulator lives in ``app.extensions["dfmock"]``, so two
apps in one process share nothing. ``JournalingApp`` wraps the Flask app: it refuses
oversized bodies before they are read, records every non-admin request in the
journal, and turns anything that escaped Flask into an 81500 envelope.
"""

from __future__ import annotations

import logging
import sys
import time
import traceback

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from . import wire
from .config import EmulatorConfig
from .errors import ApiError, BodyTooLarge, InternalError, InvalidParameter, MethodNotAllowed, RouteNotFound
from .auth import AuthLayer
from .fastpath import FastPath, content_length, request_headers
from .faults import FAULT_KEY, STATE_KEY
from .http_admin import admin
from .http_faults import DropConnection, FaultLayer, faults_admin
from .http_api import api
from .http_gateway import gateway
from .http_common import CODE_KEY, EXTENSION, render_error
from .service import Emulator

log = logging.getLogger("dfmock")



def _http_error(exc: HTTPException) -> ApiError:
    if exc.code == 404:
        return RouteNotFound(f"no such route: {request.method} {request.path}")
    if exc.code == 405:
        allowed = ", ".join(sorted(m for m in (exc.valid_methods or []) if m != "OPTIONS"))  # type: ignore[attr-defined]
        return MethodNotAllowed(f"{request.method} is not allowed on {request.path}; allowed: {allowed}",
                                headers={"Allow": allowed})  # RFC 9110: a 405 names what is allowed
    if exc.code == 413:
        return BodyTooLarge(f"the request body is larger than {request.max_content_length} bytes")
    return InvalidParameter(f"bad request: {exc.description}", http_status=exc.code or 400)


def install(app: Flask, emulator: Emulator) -> None:
    """Make ``emulator`` the one ``app`` serves (a fresh one per test, for instance)."""
    app.extensions[EXTENSION] = emulator
    app.config["MAX_CONTENT_LENGTH"] = emulator.config.max_body_bytes


def create_app(config: EmulatorConfig | Emulator | None = None) -> Flask:
    emulator = config if isinstance(config, Emulator) else Emulator(config)
    app = Flask("mock_server")
    install(app, emulator)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.register_blueprint(api)
    app.register_blueprint(admin)
    app.register_blueprint(faults_admin)
    app.register_blueprint(gateway)

    @app.errorhandler(ApiError)
    def on_api_error(error: ApiError):
        return render_error(error)

    @app.errorhandler(HTTPException)
    def on_http_error(error: HTTPException):
        return render_error(_http_error(error))

    @app.errorhandler(Exception)
    def on_unexpected(error: Exception):
        log.error("internal error on %s %s\n%s", request.method, request.path, traceback.format_exc())
        return render_error(InternalError(f"internal service error ({type(error).__name__}); see the emulator's log"))

    # Faults act just inside the journal, so the journal records what the client got.
    # The gateway's auth checks come first: a refused call reaches neither faults nor service.
    app.wsgi_app = JournalingApp(app, AuthLayer(app, FaultLayer(app, app.wsgi_app)))  # type: ignore[method-assign]
    # In front of everything: plain status reads and health without Flask (mock_server/fastpath.py);
    # it defers to the layers above whenever one of them has work (faults, auth, errors).
    app.wsgi_app = FastPath(app.wsgi_app, lambda: app.extensions[EXTENSION])  # type: ignore[method-assign]
    return app


class JournalingApp:
    """WSGI middleware: body cap, journal, and a last-resort error envelope."""

    def __init__(self, flask_app: Flask, inner) -> None:
        self.flask_app = flask_app
        self.inner = inner

    def __call__(self, environ, start_response):
        emu: Emulator = self.flask_app.extensions[EXTENSION]
        path = environ.get("PATH_INFO", "")
        is_admin = path.startswith("/__admin")
        arrived = emu.clock.now()
        received = time.time()
        dropped: DropConnection | None = None
        captured: list[int] = [0]

        def capture(status: str, headers, exc_info=None):
            captured[0] = int(status[:3])
            return start_response(status, headers, exc_info)

        body_size = _content_length(environ)
        if body_size is not None and body_size > emu.config.max_body_bytes:
            result = self._reject(environ, capture, emu, BodyTooLarge(
                f"the request body has {body_size} bytes; the limit is {emu.config.max_body_bytes}"))
        elif body_size is None and environ.get("CONTENT_LENGTH", "") not in ("", None):
            result = self._reject(environ, capture, emu, InvalidParameter("Content-Length is not a number"))
        else:
            try:
                result = self.inner(environ, capture)
            except DropConnection as drop:  # a fault: journal it, then let waitress close the socket
                dropped, result = drop, None
            except Exception:  # pragma: no cover - Flask handles errors; this is the last net
                log.error("unhandled error\n%s", traceback.format_exc())
                result = self._reject(environ, capture, emu, InternalError("internal service error"))
        if not is_admin:
            emu.journal.record(
                time=arrived, method=environ.get("REQUEST_METHOD", ""), path=path,
                query=environ.get("QUERY_STRING", ""), headers=_headers(environ),
                body_size=body_size or 0, status=captured[0], code=environ.get(CODE_KEY),
                fault=environ.get(FAULT_KEY), state=environ.get(STATE_KEY), received=received,
            )
        if dropped is not None:
            raise dropped
        return result

    @staticmethod
    def _reject(environ, start_response, emu: Emulator, error: ApiError):
        environ[CODE_KEY] = error.code
        status = wire.error_http_status(error.http_status, emu.config.wire)
        body = wire.error_body(error.code, error.message)
        start_response(f"{status} {_REASONS.get(status, 'Error')}", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Connection", "close")])
        return [body]


_REASONS = {200: "OK", 400: "Bad Request", 413: "Payload Too Large", 500: "Internal Server Error"}


_content_length = content_length  # mock_server.fastpath: shared with the fast path
_headers = request_headers

"""Serving the app on a production WSGI server (waitress: pure Python, threaded,
maintained, no C build), in the foreground for ``dfmock serve`` or on a
background thread for the in-process runner and the pytest plugin."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import ErrorTask

from . import wire
from .config import WILDCARD_HOSTS
from .errors import BodyTooLarge, InternalError, InvalidParameter


def base_url_for(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in WILDCARD_HOSTS else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


@dataclass
class Server:
    """A bound, not yet running server; ``port`` is the real one even when 0 was asked."""

    raw: object
    host: str
    port: int

    @property
    def base_url(self) -> str:
        return base_url_for(self.host, self.port)

    def serve_forever(self) -> None:
        # waitress stops its loop on SystemExit/KeyboardInterrupt (our signal handlers raise them).
        self.raw.run()  # type: ignore[attr-defined]

    def shutdown(self, loop_thread: threading.Thread | None = None) -> None:
        """Stop from another thread: close every connection and the listener, stop workers.

        With the thread running the loop given, the sockets are closed *on* that thread
        (through waitress's trigger, which also wakes its select at once): closing them
        from here raced the select ("Bad file descriptor") and left it sleeping out its
        one-second timeout. Once the map is empty the loop returns."""
        raw = self.raw
        logging.getLogger("waitress").setLevel(logging.CRITICAL)  # no noise about closed sockets

        def close_all() -> None:
            for channel in list(raw._map.values()):  # type: ignore[attr-defined]
                channel.handle_close()  # the trigger and the listener included

        if loop_thread is not None and loop_thread.is_alive():
            raw.trigger.pull_trigger(close_all)  # type: ignore[attr-defined]
            loop_thread.join(timeout=5)
        while raw._map:  # type: ignore[attr-defined]  # not running, or the loop did not answer in time
            close_all()
        raw.task_dispatcher.shutdown()  # type: ignore[attr-defined]


class _EnvelopeErrorTask(ErrorTask):
    """Requests waitress refuses before the app sees them (an oversized body, a
    malformed request line) still get dfmock's error envelope, not plain text."""

    def execute(self):
        error = self.request.error
        if error.code == 413:
            api_error = BodyTooLarge(f"the request body is too large: {error.body}")
        elif 400 <= error.code < 500:
            api_error = InvalidParameter(f"malformed HTTP request: {error.reason}: {error.body}", http_status=error.code)
        else:
            api_error = InternalError(f"internal service error: {error.reason}")
        body = wire.error_body(api_error.code, api_error.message)
        self.status = f"{api_error.http_status} {error.reason}"
        self.response_headers.extend([("Content-Type", "application/json"), ("Connection", "close")])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _EnvelopeChannel(HTTPChannel):
    error_task_class = _EnvelopeErrorTask


def bind(app, host: str = "127.0.0.1", port: int = 0, threads: int = 8, max_body_bytes: int = 1024 * 1024) -> Server:
    # waitress reads a whole body before calling the app: its own cap keeps that bounded.
    raw = create_server(app, host=host, port=port, threads=threads, ident="dfmock",
                        clear_untrusted_proxy_headers=True, channel_timeout=60,
                        connection_limit=1000, max_request_body_size=max_body_bytes)
    raw.channel_class = _EnvelopeChannel  # type: ignore[attr-defined]
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "queue depth" is load, not news
    return Server(raw, host, int(raw.effective_port))  # type: ignore[attr-defined]


class BackgroundServer:
    """A server on a daemon thread; ``stop()`` (or leaving the ``with``) ends it."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, threads: int = 8,
                 max_body_bytes: int = 1024 * 1024) -> None:
        self.server = bind(app, host, port, threads, max_body_bytes)
        self._thread = threading.Thread(target=self.server.serve_forever, name="dfmock-server", daemon=True)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def start(self) -> "BackgroundServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown(self._thread)
        self._thread.join(timeout=5)

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

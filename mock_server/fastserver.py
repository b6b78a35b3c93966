"""``dfmock serve``'s default server: uvicorn (httptools parser, uvloop when present)
with the fast path answered on the event loop and everything else run as WSGI on a
thread pool.

Why (bench/README.md has the figures): the emulator's state lives in one process,
so the server must get the most out of one process. Waitress hands every request
from its socket loop to a worker thread; here the hot status read is parsed by
llhttp (C), answered by ``mock_server.fastpath`` right on the loop (no thread hop,
no Flask), and written back, while the rest (creates, cancels, admin, the file)
goes to the full Flask app on worker threads with the same WSGI environ waitress
would build.

What waitress did for us and this keeps:
* malformed HTTP (a garbage request line, a bad header) gets dfmock's error
  envelope (1004, HTTP 400), not uvicorn's plain text (``EnvelopeProtocol``);
* a body over ``max_body_bytes`` is refused with the 90413 envelope before it is
  read (``JournalingApp`` checks the declared length; a chunked body is read only
  up to the limit);
* faults that cut connections: ``drop`` closes the socket without a byte and
  ``truncate`` closes it after fewer bytes than the Content-Length, silently.

Flask is imported only when a request needs it (``LazyApp``), or on a warm-up
thread once the server is listening, so the process answers its first status
read or health check without waiting for it.
"""

from __future__ import annotations

import asyncio
import io
import logging
import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote_to_bytes

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from . import fastpath, wire
from .errors import InvalidParameter

log = logging.getLogger("dfmock")
#: How much of an oversized body is read and dropped before the 90413 answer.
_DRAIN_LIMIT = 64 * 1024 * 1024
_DRAIN_PAUSE = 1.0  # seconds without a byte of it


class EnvelopeProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, with two changes: a request it cannot parse gets the
    error envelope, and a request the fast path answers is answered right when its
    headers are parsed, without an ASGI task, request cycle or message dicts (about
    half the per-request cost of a status read). Everything else takes uvicorn's path."""

    _answered = False

    def on_message_begin(self) -> None:
        self._answered = False
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        if not self._answer_fast():
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._answered:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._answered:
            super().on_message_complete()

    def _answer_fast(self) -> bool:
        bridge = self.app
        parser = self.parser
        if (not isinstance(bridge, WsgiBridge) or (self.cycle is not None and not self.cycle.response_complete)
                or self.pipeline or parser.get_method() != b"GET" or parser.get_http_version() != "1.1"
                or parser.should_upgrade() or self.expect_100_continue):
            return False
        for name, value in self.headers:
            if name in (b"content-length", b"transfer-encoding") and value != b"0":
                return False
        url = httptools.parse_url(self.url)
        scope = {"method": "GET", "raw_path": url.path, "path": "", "query_string": url.query or b"",
                 "headers": self.headers, "server": self.server, "client": self.client, "http_version": "1.1",
                 "scheme": self.scheme}
        try:
            fast = fastpath.answer(bridge.app.emulator(), bridge.environ(scope))
        except Exception:  # pragma: no cover - the full app will answer (or report) it
            log.exception("fast path failed; deferring to the full app")
            return False
        if fast is None:
            return False
        status, headers, body = fast
        head = [b"HTTP/1.1 ", status.encode("latin-1"), b"\r\n"]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        for name, value in headers:
            head += [name.encode("latin-1"), b": ", value.encode("latin-1"), b"\r\n"]
        keep_alive = parser.should_keep_alive()
        if not keep_alive:
            head.append(b"connection: close\r\n")
        head += [b"\r\n", body]
        self.transport.write(b"".join(head))
        self._answered = True
        if keep_alive:
            self.on_response_complete()  # uvicorn's bookkeeping: count, resume reading, keep-alive timer
        else:
            self.transport.close()
        return True

    def send_400_response(self, msg: str) -> None:
        error = InvalidParameter(f"malformed HTTP request: {msg}")
        body = wire.error_body(error.code, error.message)
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head.append(b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(body))
        self.transport.write(b"".join(head) + body)
        self.transport.close()


class LazyApp:
    """The full WSGI app (Flask), built the first time it is needed.

    Until then ``emulator()`` is the one given here; afterwards it is the one the Flask
    app serves (``POST /__admin/config`` can swap it)."""

    def __init__(self, emulator) -> None:
        self._emulator = emulator
        self._app = None
        self._lock = threading.Lock()

    def emulator(self):
        app = self._app
        return self._emulator if app is None else app.extensions["dfmock"]

    @property
    def flask_app(self):
        if self._app is None:
            with self._lock:
                if self._app is None:
                    from .app import create_app

                    self._app = create_app(self._emulator)
        return self._app

    def __call__(self, environ, start_response):
        return self.flask_app(environ, start_response)


def _abort(send) -> None:
    """Close the connection now, without (more of) an answer: a ``drop`` or ``truncate``
    fault, or an answer that broke off. ASGI has no word for it, so this reaches the
    transport of uvicorn's request cycle (``send`` is its bound method)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:  # pragma: no cover - another ASGI server
        raise ConnectionAbortedError("dfmock: connection dropped")
    transport.close()
    cycle.disconnected = True  # uvicorn then neither writes nor complains


def _is_drop(exc: BaseException) -> bool:
    from waitress.channel import ClientDisconnected  # DropConnection's base (mock_server.http_faults)

    return isinstance(exc, ClientDisconnected)


class WsgiBridge:
    """ASGI application: the fast path on the loop, the full WSGI app on threads."""

    def __init__(self, app: LazyApp, threads: int = 8, max_body_bytes: int = 1024 * 1024) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="dfmock-wsgi")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        environ = self.environ(scope)
        chunked = "HTTP_TRANSFER_ENCODING" in environ
        if not chunked and environ.get("CONTENT_LENGTH") in (None, "", "0"):
            try:
                fast = fastpath.answer(self.app.emulator(), environ)
            except Exception:  # pragma: no cover - the full app will answer (or report) it
                log.exception("fast path failed; deferring to the full app")
                fast = None
            if fast is not None:
                status, headers, body = fast
                await send({"type": "http.response.start", "status": int(status[:3]),
                            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]})
                await send({"type": "http.response.body", "body": body})
                return
        environ["wsgi.input"] = io.BytesIO(await self._body(environ, receive, chunked))
        loop = asyncio.get_running_loop()
        answer = await loop.run_in_executor(self.pool, self._call, environ, send, loop)
        if answer is None:
            return  # streamed (or dropped) from the worker thread
        status, headers, body = answer
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _body(self, environ, receive, chunked: bool) -> bytes:
        declared = fastpath.content_length(environ)
        if not chunked and (declared is None or declared == 0):
            return b""  # JournalingApp refuses a bad length
        if not chunked and declared > self.max_body_bytes:
            # JournalingApp refuses it (90413) unread; read and drop what the client is sending
            # (up to a bound) so that it gets to read the answer instead of a reset.
            dropped = 0
            while dropped <= _DRAIN_LIMIT:
                try:  # a client that declared a body it does not send is answered after a pause
                    message = await asyncio.wait_for(receive(), _DRAIN_PAUSE)
                except asyncio.TimeoutError:
                    break
                dropped += len(message.get("body", b""))
                if message["type"] != "http.request" or not message.get("more_body"):
                    break
            return b""
        parts, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:  # chunked: stop reading; the app refuses with 90413
                environ["CONTENT_LENGTH"] = str(size)
                return b""
            parts.append(chunk)
            if not message.get("more_body"):
                break
        if chunked:
            environ["CONTENT_LENGTH"] = str(size)
        return b"".join(parts)

    def environ(self, scope) -> dict:
        """The WSGI environ of an ASGI request scope (as waitress would build it)."""
        server = scope.get("server") or ("127.0.0.1", 80)
        client = scope.get("client") or ("", 0)
        environ = {
            "REQUEST_METHOD": scope["method"],
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
            "QUERY_STRING": scope["query_string"].decode("latin-1"),
            "SERVER_NAME": str(server[0]),
            "SERVER_PORT": str(server[1]),
            "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
            "REMOTE_ADDR": str(client[0]),
            "REMOTE_PORT": str(client[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.get("scheme", "http"),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1")
            value = raw_value.decode("latin-1")
            if name == "content-length":
                environ["CONTENT_LENGTH"] = value
            elif name == "content-type":
                environ["CONTENT_TYPE"] = value
            else:
                key = "HTTP_" + name.upper().replace("-", "_")
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _call(self, environ, send, loop):
        """On a worker thread: run the WSGI app. A list answer goes back to the loop
        whole; an iterator (the file) is streamed from here, chunk by chunk, with the
        transport's flow control pacing it."""
        started: list = []

        def start_response(status, headers, exc_info=None):
            started[:] = [int(status[:3]), [(k.encode("latin-1"), str(v).encode("latin-1")) for k, v in headers]]
            return _no_write

        def call(message):
            asyncio.run_coroutine_threadsafe(send(message), loop).result()

        try:
            result = self.app(environ, start_response)
        except BaseException as exc:
            if _is_drop(exc):
                loop.call_soon_threadsafe(_abort, send)
                return None
            raise
        try:
            if isinstance(result, (list, tuple)):
                return started[0], started[1], b"".join(result)
            status, headers = started or (None, None)
            declared = next((int(v) for k, v in headers or () if k.lower() == b"content-length"), None)
            sent = 0
            for chunk in result:
                if status is not None:
                    call({"type": "http.response.start", "status": status, "headers": headers})
                    status = None
                if chunk:
                    sent += len(chunk)
                    call({"type": "http.response.body", "body": chunk, "more_body": True})
            if status is not None:
                call({"type": "http.response.start", "status": status, "headers": headers})
            if declared is not None and sent < declared:  # a truncated answer: cut the connection
                loop.call_soon_threadsafe(_abort, send)
            else:
                call({"type": "http.response.body", "body": b"", "more_body": False})
            return None
        except BaseException as exc:
            if not _is_drop(exc) and not isinstance(exc, (ConnectionError, RuntimeError)):
                log.exception("error while streaming an answer")
            loop.call_soon_threadsafe(_abort, send)
            return None
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()


def _no_write(data: bytes) -> None:  # pragma: no cover - the app never uses write()
    raise RuntimeError("dfmock's server does not support write()")


def listen(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A listening socket (``port`` 0: any free port; read it back from the socket)."""
    family, kind, proto, _, address = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class FastServer:
    """A bound server; ``serve_forever()`` runs it until SIGINT/SIGTERM (then the
    signal is raised again for the caller's handler, as uvicorn does)."""

    def __init__(self, app: LazyApp, host: str = "127.0.0.1", port: int = 0, threads: int = 8,
                 max_body_bytes: int = 1024 * 1024) -> None:
        self.sock = listen(host, port)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.bridge = WsgiBridge(app, threads, max_body_bytes)
        try:
            import uvloop  # noqa: F401

            loop = "uvloop"
        except ImportError:  # pragma: no cover - optional: the asyncio loop works, slower
            loop = "asyncio"
        config = uvicorn.Config(
            self.bridge, loop=loop, http=EnvelopeProtocol, ws="none", lifespan="off", interface="asgi3",
            log_config=None, log_level="warning", access_log=False, proxy_headers=False,
            server_header=False, headers=[("server", "dfmock")], timeout_keep_alive=60,
            timeout_graceful_shutdown=5, backlog=2048,
        )
        self.server = uvicorn.Server(config)

    @property
    def base_url(self) -> str:
        from .serving import base_url_for

        return base_url_for(self.host, self.port)

    def serve_forever(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.bridge.pool.shutdown(wait=False, cancel_futures=True)
            self.sock.close()

    def shutdown(self) -> None:
        self.server.should_exit = True


def tune_gc() -> None:
    """Fewer, cheaper collector pauses in a long-running server: what is alive at start
    (modules, the app) is moved out of the collector's view, and the youngest
    generation is collected every 50k allocations instead of 700. A status read
    allocates a few short-lived containers and one journal entry; a full collection
    over a store of 10k tasks costs milliseconds, which is what the p99 latency sees."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def run(args, config) -> int:
    """``dfmock serve --server uvicorn`` (the default): bind, announce, serve, stop on a signal."""
    import dataclasses
    import signal

    from . import __version__
    from .config import WILDCARD_HOSTS
    from .service import Emulator

    try:
        server = FastServer(LazyApp(None), args.host, args.port, args.threads, config.max_body_bytes)
    except OSError as exc:
        print(f"dfmock serve: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    if config.public_base_url is None and args.host not in WILDCARD_HOSTS:
        config = dataclasses.replace(config, public_base_url=server.base_url)
    if getattr(args, "state_file", None):
        from . import persist

        try:
            emu = persist.load(args.state_file, config)  # mock_server/persist.py
        except persist.StateFileError as exc:
            print(f"dfmock serve: {exc}", file=sys.stderr)
            return 2
    else:
        emu = Emulator(config)
    server.bridge.app = app = LazyApp(emu)
    if args.port_file:
        args.port_file.write_text(f"{server.port}\n")

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"dfmock {__version__} serving on {server.base_url} (clock {emu.clock.mode}, seed {emu.seed})", flush=True)
    # Build the Flask app while the first requests (status, health) are answered without it.
    threading.Thread(target=lambda: app.flask_app, name="dfmock-warmup", daemon=True).start()
    tune_gc()
    try:
        server.serve_forever()
    except (SystemExit, KeyboardInterrupt):
        pass
    if getattr(args, "state_file", None):
        from . import persist

        count = persist.save(args.state_file, app.emulator())
        print(f"dfmock saved {count} tasks and the clock to {args.state_file}", flush=True)
    print("dfmock stopped", flush=True)
    return 0

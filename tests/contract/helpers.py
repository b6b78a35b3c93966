"""Small shared helpers for the contract tests."""

from __future__ import annotations

import json
import os
import threading
from contextlib import contextmanager
from importlib import resources
from typing import Iterator
from wsgiref.simple_server import WSGIRequestHandler, make_server

import yaml

SCHEMAS = resources.files("dfmock_schemas")
FIXTURES = resources.files("dfmock_fixtures")


def fixture_path(relative: str):
    return FIXTURES.joinpath(relative)


def load_yaml(traversable):
    return yaml.safe_load(traversable.read_text(encoding="utf-8"))


def pairs(violations) -> set[tuple[str, str]]:
    return {(v.json_path, v.rule) for v in violations}


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@contextmanager
def serve_wsgi(app) -> Iterator[str]:
    """Serve a WSGI app on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def json_app(routes: dict[tuple[str, str], tuple[int, object]], seen: list | None = None):
    """A WSGI app answering fixed JSON per (method, path); records each request in ``seen``."""

    def app(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        key = (environ["REQUEST_METHOD"], environ["PATH_INFO"])
        if seen is not None:
            seen.append({"method": key[0], "path": key[1], "query": environ.get("QUERY_STRING", ""),
                         "body": body, "headers": {k: v for k, v in environ.items() if k.startswith("HTTP_")}})
        status, payload = routes.get(key, (404, {"code": 90404, "msg": "no such route", "data": None}))
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        start_response(f"{status} X", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    return app


#: The org and channel of the published samples, used by the gateway-suite tests.
GATEWAY_ORG, GATEWAY_CHANNEL = "o15504722874071", "ch-dee0c5"


def run_gateway_suite(pytester, monkeypatch, base: str, **settings: str):
    """The gateway suite in a nested pytest run against ``base``, configured only through
    DFMOCK_GATEWAY_* variables (as a user configures it): any set in this environment are
    cleared, then URL, ORG, CHANNEL, POLL_INTERVAL 0, MAX_POLLS 20 and ``settings`` set."""
    for name in [n for n in list(os.environ) if n.startswith("DFMOCK_GATEWAY_")]:
        monkeypatch.delenv(name)
    env = {"URL": base, "ORG": GATEWAY_ORG, "CHANNEL": GATEWAY_CHANNEL, "POLL_INTERVAL": "0", "MAX_POLLS": "20",
           **settings}
    for name, value in env.items():
        monkeypatch.setenv("DFMOCK_GATEWAY_" + name, value)
    return pytester.runpytest("--pyargs", "contract_tests.suites", "-p", "no:cacheprovider", "-rs", "-s")

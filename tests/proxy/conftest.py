import json

import pytest

from contract_tests.proxy import ValidatingProxy
from mock_server.serving import BackgroundServer


class Recording:
    """WSGI middleware: what the upstream received and answered, byte for byte."""

    def __init__(self, app):
        self.app = app
        self.seen: list[dict] = []

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        import io

        environ["wsgi.input"] = io.BytesIO(body)
        record = {"method": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"],
                  "query": environ.get("QUERY_STRING", ""), "body": body,
                  "headers": {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}}
        result = self.app(environ, start_response)
        try:
            record["answer"] = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        self.seen.append(record)
        return [record["answer"]]


def broken_upstream(answers):
    """A tiny WSGI upstream answering from ``answers``: {path: [(status, body, headers)...]}
    (each path pops its list; the last answer repeats)."""

    def app(environ, start_response):
        queue = answers[environ["PATH_INFO"]]
        status, body, headers = queue.pop(0) if len(queue) > 1 else queue[0]
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                *headers])
        return [body]

    return app


class Switch:
    """A WSGI app whose target changes per test, so the servers live per module."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def slots():
    """Two loopback servers (upstream, proxy) for the module."""
    switches = (Switch(), Switch())
    servers = [BackgroundServer(switch, "127.0.0.1", 0).start() for switch in switches]
    yield [(switch, server.base_url) for switch, server in zip(switches, servers)]
    for server in servers:
        server.stop()


@pytest.fixture
def proxied(slots):
    """proxied(upstream_app, **options) -> (proxy base URL, ValidatingProxy)."""
    (upstream, upstream_url), (front, front_url) = slots

    def start(upstream_app, **options):
        upstream.app = upstream_app
        proxy = front.app = ValidatingProxy(upstream_url, **options)
        return front_url, proxy

    return start

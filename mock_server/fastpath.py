"""The fast path: the hot routes answered without Flask, byte for byte as Flask would.

A polling fleet mostly asks one thing: ``GET .../download/{taskId}/status``. Flask's
dispatch (request object, URL map, response object) costs several times the work of
the answer itself, so this plain-WSGI layer sits in front of the Flask app, matches
that route (and ``GET /__admin/health``) with a precompiled pattern, and renders the
answer with the same service and wire functions the Flask handlers use. It records
the same journal entry the journaling wrapper would.

It answers only the plain case and defers to the full app for anything else:
an error of any kind (unknown task, wrong org, bad ids), a query other than a
single plain ``orgId=...``, a request with a body, an emulator without
``public_base_url`` (``downloadUrl`` then names the request's Host), and any
emulator on which a request-altering feature is on. ``defers_all(emu)`` is that
hook: add a line there for any new WSGI layer that must see every request
(today: fault rules, gateway auth). tests/emulator/test_fastpath.py proves the
answers (status line, headers, body, journal entry, clock) equal the full path's.

No Flask here: ``dfmock serve`` answers its first requests before Flask is imported.
"""

from __future__ import annotations

import re
import time
from urllib.parse import quote

from . import __version__, wire
from .errors import ApiError

_STATUS_ROUTE = re.compile(
    r"/data-federation/v2\.0/channels/read/([A-Za-z0-9_.\-]{1,128})/download/([A-Za-z0-9_\-]{1,64})/status\Z")
_ORG_QUERY = re.compile(r"orgId=([A-Za-z0-9_.\-]{1,128})\Z")
HEALTH_PATH = "/__admin/health"
_JSON_HEADERS = "application/json"
_HEADER_SKIP = ("HTTP_COOKIE",)

#: (status line, headers, body) of an answer the fast path gives, or None: defer.
Answer = tuple[str, list[tuple[str, str]], bytes]


def request_headers(environ) -> tuple[tuple[str, str], ...]:
    """The request's headers as the journal records them (cookies left out)."""
    pairs = [(key[5:].replace("_", "-").title(), value) for key, value in environ.items()
             if key.startswith("HTTP_") and key not in _HEADER_SKIP]
    if environ.get("CONTENT_TYPE"):
        pairs.append(("Content-Type", environ["CONTENT_TYPE"]))
    return tuple(pairs)


def content_length(environ) -> int | None:
    """The declared body size: 0 when absent, None when it is not a number."""
    raw = environ.get("CONTENT_LENGTH")
    if not raw:
        return 0
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 0 else None


def defers_all(emu) -> bool:
    """True when some layer must see every request, so the fast path stays out of the way.

    The hook for features that alter or refuse answers: fault rules (FaultLayer) and
    gateway auth (AuthLayer). Anything added later that wraps the WSGI app and acts on
    status reads belongs here too.
    """
    if emu.faults.active:
        return True
    auth = getattr(emu, "auth", None)
    return auth is not None and auth.active


def download_url(base: str, channel_id: str, task_id: str, org_id: str) -> str:
    # The same URL as mock_server.http_api.download_url builds.
    return (f"{base.rstrip('/')}/channels/read/{quote(channel_id)}/download/{quote(task_id)}"
            f"/data?orgId={quote(org_id, safe='')}")


def status_answer(emu, environ) -> Answer | None:
    """The answer to a plain status read, or None to let the full app answer."""
    if environ.get("REQUEST_METHOD") != "GET":
        return None
    match = _STATUS_ROUTE.match(environ.get("PATH_INFO", ""))
    if match is None:
        return None
    query = _ORG_QUERY.match(environ.get("QUERY_STRING", ""))
    config = emu.config
    if (query is None or environ.get("CONTENT_LENGTH") not in (None, "", "0") or defers_all(emu)
            or config.public_base_url is None):  # without it, downloadUrl names the request's Host
        return None
    channel_id, task_id = match.groups()
    org_id = query.group(1)
    arrived = emu.clock.now()
    received = time.time()
    try:  # Emulator.status checks everything before it moves a step clock
        record, obs = emu.status(org_id, channel_id, task_id)
    except ApiError:
        return None  # the full app answers errors (and recomputes them: nothing changed)
    url = download_url(config.public_base_url, channel_id, record.task_id, record.org_id) if obs.from_success else ""
    wire_settings = config.wire
    data = wire.status_struct(record.task_id, obs, url, wire_settings)
    request_id = emu.next_request_id() if wire_settings.request_id else None
    body = wire.ok_body(wire.shape(data, wire_settings), wire_settings, request_id)
    emu.journal.record(
        time=arrived, method="GET", path=environ["PATH_INFO"], query=environ["QUERY_STRING"],
        headers=request_headers(environ), body_size=0, status=200, code=0, fault=None,
        state=obs.state, received=received,
    )
    return "200 OK", [("Content-Type", _JSON_HEADERS), ("Content-Length", str(len(body)))], body


def health_answer(emu, environ) -> Answer | None:
    if environ.get("PATH_INFO") != HEALTH_PATH or environ.get("REQUEST_METHOD") != "GET":
        return None
    if environ.get("CONTENT_LENGTH") not in (None, "", "0"):
        return None
    body = wire.to_json_bytes({
        "status": "ok", "version": __version__, "seed": emu.seed, "clock": emu.clock.describe(),
        "tasks": len(emu.store), "journal": len(emu.journal),
    })
    return "200 OK", [("Content-Type", _JSON_HEADERS), ("Content-Length", str(len(body)))], body


def answer(emu, environ) -> Answer | None:
    """The fast path's answer to ``environ``, or None (the full app must answer)."""
    path = environ.get("PATH_INFO", "")
    if path.endswith("/status"):
        return status_answer(emu, environ)
    if path == HEALTH_PATH:
        return health_answer(emu, environ)
    return None


class FastPath:
    """WSGI: the fast path in front of ``inner`` (the journaling Flask app).

    ``emulator_of()`` returns the emulator in force (it can be swapped per test or by
    ``POST /__admin/config``); ``enabled = False`` sends everything to ``inner``.
    """

    def __init__(self, inner, emulator_of) -> None:
        self.inner = inner
        self.emulator_of = emulator_of
        self.enabled = True

    def __call__(self, environ, start_response):
        if self.enabled:
            fast = answer(self.emulator_of(), environ)
            if fast is not None:
                status, headers, body = fast
                start_response(status, headers)
                return [body]
        return self.inner(environ, start_response)

"""``dfmock serve``'s default server (mock_server/fastserver.py, uvicorn) keeps what
waitress guaranteed: malformed HTTP and oversized bodies get the error envelope,
fault rules that cut connections cut them, and the answers are the full app's."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading

import pytest
import requests

from mock_server.config import EmulatorConfig
from mock_server.fastserver import FastServer, LazyApp
from mock_server.service import Emulator

from .helpers import create_body, create_path, status_path


@pytest.fixture
def served():
    server = FastServer(LazyApp(None), "127.0.0.1", 0, threads=4, max_body_bytes=64 * 1024)
    config = EmulatorConfig(clock="manual", seed=5, max_body_bytes=64 * 1024, public_base_url=server.base_url,
                            timeline=EmulatorConfig().timeline.with_overrides("waiting:1s,running:1s,success,size:300k"))
    server.bridge.app = LazyApp(Emulator(config))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # The first request may come before uvicorn's loop runs: the socket is listening already.
        assert requests.get(server.base_url + "/__admin/health", timeout=5).status_code == 200
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=10)


def raw(server, data: bytes, read_all: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if not read_all:
                break
        return b"".join(chunks)


def envelope(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)


@pytest.mark.parametrize("request_bytes", [
    b"GARBAGE\r\n\r\n",
    b"GET /x HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n",
    b"\x00\x01\x02 / HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
])
def test_malformed_http_gets_the_envelope(served, request_bytes):
    status, body = envelope(raw(served, request_bytes))
    assert status == 400 and body["code"] == 1004 and body["data"] is None


def test_oversized_bodies_get_the_envelope(served):
    big = requests.post(served.base_url + create_path(), data=b"x" * (256 * 1024), timeout=10)
    assert big.status_code == 413 and big.json()["code"] == 90413
    chunked = requests.post(served.base_url + create_path(), data=iter([b"x" * 32 * 1024] * 4), timeout=10)
    assert chunked.status_code == 413 and chunked.json()["code"] == 90413
    # declared, never sent: answered after a short pause, not left hanging
    status, body = envelope(raw(served, b"POST " + create_path().encode() + b" HTTP/1.1\r\nHost: a\r\n"
                                b"Content-Length: 99999999999\r\n\r\n"))
    assert status == 413 and body["code"] == 90413
    status, body = envelope(raw(served, b"GET /__admin/health HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n"))
    assert status == 400 and body["code"] in (1004,)


def test_answers_are_the_full_apps(served):
    base = served.base_url
    task_id = requests.post(base + create_path(), json=create_body(), timeout=5).json()["data"]["taskId"]
    app = served.bridge.app.flask_app
    local = app.test_client()
    for _ in range(3):
        over_http = requests.get(base + status_path(task_id), timeout=5)
        in_process = local.get(status_path(task_id))
        assert over_http.content == in_process.data
        assert over_http.headers["Content-Type"] == in_process.headers["Content-Type"]
        requests.post(base + "/__admin/clock/advance", json={"seconds": 1}, timeout=5)
    unknown = requests.get(base + status_path("f" * 32), timeout=5)
    assert unknown.status_code == 404 and unknown.json()["code"] == 81404
    file = requests.get(over_http.json()["data"]["downloadUrl"], timeout=10)
    assert len(file.content) == 300 * 1024
    statuses = [e.status for e in served.bridge.app.emulator().journal.entries()]
    assert statuses == [200] * 7 + [404, 200]  # create, 3 x (over HTTP, in process), unknown, file


def test_drop_and_truncate_faults_cut_the_connection(served):
    base = served.base_url
    task_id = requests.post(base + create_path(), json=create_body(), timeout=5).json()["data"]["taskId"]
    requests.post(base + "/__admin/clock/advance", json={"seconds": 5}, timeout=5)
    requests.post(base + "/__admin/faults", json="drop@once/status;truncate@once/data", timeout=5)
    path = status_path(task_id).encode()
    assert raw(served, b"GET " + path + b" HTTP/1.1\r\nHost: a\r\n\r\n") == b""
    data = f"/channels/read/ch-1/download/{task_id}/data?orgId=o1".encode()
    answer = raw(served, b"GET " + data + b" HTTP/1.1\r\nHost: a\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    declared = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    assert declared == 300 * 1024 and len(body) < declared
    again = requests.get(base + status_path(task_id), timeout=5)  # the server is fine afterwards
    assert again.status_code == 200 and again.json()["data"]["progressCode"] == "3"
    faults = [e.fault for e in served.bridge.app.emulator().journal.entries() if e.fault]
    assert len(faults) == 2


def test_swapped_emulator_is_the_one_answering(served):
    """POST /__admin/config swaps the emulator; the fast path must follow it."""
    base = served.base_url
    task_id = requests.post(base + create_path(), json=create_body(), timeout=5).json()["data"]["taskId"]
    assert requests.get(base + status_path(task_id), timeout=5).status_code == 200
    assert requests.post(base + "/__admin/config", json={"seed": 9}, timeout=5).status_code == 200
    assert requests.get(base + status_path(task_id), timeout=5).status_code == 404
    assert dataclasses.asdict(served.bridge.app.emulator().config.wire)["numbers"] == "string"


def test_pipelined_requests_are_answered_in_order(served):
    """Fast-path answers (written as headers are parsed) and full-app answers (on threads)
    must not overtake one another on one connection."""
    base = served.base_url
    task_id = requests.post(base + create_path(), json=create_body(), timeout=5).json()["data"]["taskId"]
    status = f"GET {status_path(task_id)} HTTP/1.1\r\nHost: a\r\n\r\n".encode()
    body = json.dumps(create_body()).encode()
    create = (f"POST {create_path()} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    unknown = f"GET {status_path('f' * 32)} HTTP/1.1\r\nHost: a\r\n\r\n".encode()
    last = f"GET {status_path(task_id)} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".encode()
    answer = raw(served, status + create + status + unknown + status + last)
    bodies = [json.loads(part.split(b"\r\n\r\n", 1)[1].split(b"HTTP/1.1")[0])
              for part in answer.split(b"HTTP/1.1 ")[1:]]
    assert [b["code"] for b in bodies] == [0, 0, 0, 81404, 0, 0]
    assert "taskId" in bodies[1]["data"] and bodies[0]["data"]["progressDesc"] == "waiting"

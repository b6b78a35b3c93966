"""Targets: one neutral ``Response`` and two ways to reach the API, so the same checks
run in-process (any WSGI app) or over HTTP (the emulator as a process, a real gateway).

Both targets offer the same methods; paths are the real ones (REFERENCE.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import quote, urlsplit

import requests

API_PREFIX = "/data-federation/v2.0"
TIMELINE_HEADER = "X-Dfmock-Timeline"


@dataclass(frozen=True)
class Response:
    """What a check needs of an HTTP answer, whatever carried it."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        for name, value in self.headers.items():
            if name.lower() == "content-type":
                return value
        return ""

    @classmethod
    def from_requests(cls, response: requests.Response) -> "Response":
        return cls(response.status_code, dict(response.headers), response.content, response.url)

    @classmethod
    def from_wsgi(cls, response: Any, url: str | None = None) -> "Response":
        """From a werkzeug ``TestResponse`` (``status_code``, ``headers``, ``get_data()``)."""
        return cls(response.status_code, dict(response.headers), response.get_data(), url)


def channel_path(channel_id: str) -> str:
    return f"{API_PREFIX}/channels/read/{quote(channel_id, safe='')}"


def task_path(channel_id: str, task_id: str) -> str:
    return f"{channel_path(channel_id)}/download/{quote(task_id, safe='')}"


def file_path(channel_id: str, task_id: str) -> str:
    # The data-query proxy serves files without the /data-federation/v2.0 prefix.
    return f"/channels/read/{quote(channel_id, safe='')}/download/{quote(task_id, safe='')}/data"


class _Operations:
    """The API's operations, written once over ``request``."""

    def request(self, method: str, path: str, params: Mapping[str, Any] | None = None,
                json: Any = None, headers: Mapping[str, str] | None = None,
                data: bytes | None = None) -> Response:
        raise NotImplementedError

    def create_task(self, org_id: str, channel_id: str, body: Any, *, timeline: str | None = None,
                    headers: Mapping[str, str] | None = None) -> Response:
        """POST a create-download-request; ``timeline`` sets the emulator's per-task timeline header."""
        extra = dict(headers or {})
        if timeline is not None:
            extra[TIMELINE_HEADER] = timeline
        return self.request("POST", f"{channel_path(channel_id)}/download-request", {"orgId": org_id},
                            json=body, headers=extra)

    def get_status(self, org_id: str, channel_id: str, task_id: str) -> Response:
        return self.request("GET", f"{task_path(channel_id, task_id)}/status", {"orgId": org_id})

    def cancel(self, org_id: str, channel_id: str, task_id: str) -> Response:
        """DELETE: cancels a waiting/running task, deletes a finished one."""
        return self.request("DELETE", task_path(channel_id, task_id), {"orgId": org_id})

    def download(self, org_id: str, channel_id: str, task_id: str) -> Response:
        return self.request("GET", file_path(channel_id, task_id), {"orgId": org_id})

    def list_channels(self, org_id: str, channel_type: str | None = None) -> Response:
        params = {"orgId": org_id}
        if channel_type is not None:
            params["channelType"] = channel_type
        return self.request("GET", f"{API_PREFIX}/channels", params)


class WsgiTarget(_Operations):
    """Drives any WSGI callable in-process (no socket, no thread)."""

    def __init__(self, app: Callable) -> None:
        from werkzeug.test import Client

        self.app = app
        self._client = Client(app)

    def request(self, method, path, params=None, json=None, headers=None, data=None) -> Response:
        kwargs: dict[str, Any] = {"method": method, "query_string": dict(params or {}), "headers": dict(headers or {})}
        if json is not None:
            kwargs["json"] = json
        elif data is not None:
            kwargs["data"] = data
        answer = self._client.open(path, **kwargs)
        try:
            return Response.from_wsgi(answer, url=path)
        finally:
            answer.close()

    def fetch_url(self, url: str) -> Response:
        """GET a full URL (a ``downloadUrl``) in-process: its host is ignored."""
        parts = urlsplit(url)
        answer = self._client.open(parts.path, method="GET", query_string=parts.query)
        try:
            return Response.from_wsgi(answer, url=url)
        finally:
            answer.close()


@dataclass
class HttpTarget(_Operations):
    """Any base URL over HTTP, e.g. ``http://127.0.0.1:8080`` or a real gateway.

    ``sign``: an optional callable ``(method, path, params, body_bytes) -> headers``
    adding authentication headers (the gateway suite's APIM signer).
    """

    base_url: str
    timeout: float = 30.0
    sign: Callable[[str, str, Mapping[str, Any], bytes], Mapping[str, str]] | None = None
    session: requests.Session = field(default_factory=requests.Session)

    def request(self, method, path, params=None, json=None, headers=None, data=None) -> Response:
        body = data
        all_headers = dict(headers or {})
        if json is not None:
            body = _json_bytes(json)
            all_headers.setdefault("Content-Type", "application/json")
        if self.sign is not None:
            all_headers.update(self.sign(method, path, dict(params or {}), body or b""))
        answer = self.session.request(method, self.base_url.rstrip("/") + path, params=params,
                                      data=body, headers=all_headers, timeout=self.timeout)
        return Response.from_requests(answer)

    def fetch_url(self, url: str) -> Response:
        return Response.from_requests(self.session.get(url, timeout=self.timeout))


def _json_bytes(obj: Any) -> bytes:
    # The exact bytes sent are the bytes signed: serialise once, here.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

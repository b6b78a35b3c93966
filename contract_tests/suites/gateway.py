"""The gateway suite's machinery: settings from the environment, a (signed) target,
and following one task to its end with every answer checked.

The tests themselves are in ``test_gateway.py`` beside this module; see
docs/contract-suites.md for how to run them against a real gateway.

Environment (only the first three are required):

=============================== ==================================================
DFMOCK_GATEWAY_URL              gateway root, e.g. ``https://apigw-cn2.envisioniot.com``
                                (the suite adds ``/data-federation/v2.0/...``)
DFMOCK_GATEWAY_ORG              orgId
DFMOCK_GATEWAY_CHANNEL          a started read channel id
DFMOCK_GATEWAY_TASKS            comma-separated existing task ids to follow
DFMOCK_GATEWAY_APP_KEY/_SECRET  sign every call (APIM, REFERENCE.md s.5)
DFMOCK_GATEWAY_TOKEN_URL        token service URL (default URL + token path)
DFMOCK_GATEWAY_CREATE           ``1`` to create a task (costs a query on a real gateway)
DFMOCK_GATEWAY_CREATE_BODY      its JSON body, inline or ``@file.json``
DFMOCK_GATEWAY_TIMELINE         ``X-Dfmock-Timeline`` of that task (emulators only)
DFMOCK_GATEWAY_DELETE_CREATED   ``0`` to keep the created task (default: deleted at the end)
DFMOCK_GATEWAY_PROFILE          lenient (default), documented or sample
DFMOCK_GATEWAY_POLL_INTERVAL    seconds between polls (default 10)
DFMOCK_GATEWAY_MAX_POLLS        polls per task before giving up waiting (default 60)
DFMOCK_GATEWAY_TIMEOUT          seconds per HTTP request (default 30)
DFMOCK_GATEWAY_DOWNLOAD         ``0`` to skip downloading successful files
DFMOCK_GATEWAY_MAX_DOWNLOAD     largest file to download, bytes (default 100M)
=============================== ==================================================

With app credentials every call goes through the SDK refresh path
(``contract_tests.signing.send_refreshing``): an answer whose body carries
``apim_status`` 4011 or 4012 makes the suite take the ``apim_refreshtoken`` it gives
(else ask the token service for a new token) and send the call once more, signed
afresh; a second expiry answer in a row fails the test (``ContractFailure``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import requests

from ..schemas import PROFILES
from ..signing import Signer, TokenExpiredAgain, TokenRefreshFailed, send_refreshing
from ..states import CANCELLED, DELETED, FAILED, STATE_NAMES, SUCCESS, byte_count
from ..targets import HttpTarget, Response
from .checks import ContractFailure, assert_lifecycle, assert_success, state_of, status_struct

PREFIX = "DFMOCK_GATEWAY_"
REQUIRED = ("URL", "ORG", "CHANNEL")
#: States after which polling stops: nothing will change without a client's action
#: (deletion aside, which the gateway may or may not do on its own).
SETTLED = (FAILED, SUCCESS, CANCELLED, DELETED)

DEFAULT_CREATE_BODY = {
    "taskName": "dfmock-contract-suite",
    "sourceName": "hive_enos",
    "querySql": "select 1 as dfmock_probe",
    "filePackageName": "dfmock-contract-suite",
}

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


class SettingsError(ValueError):
    """A DFMOCK_GATEWAY_* variable that cannot be used (a usage error, not a skip)."""


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = environ.get(PREFIX + name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise SettingsError(f"{PREFIX}{name}: expected 1/0 (true/false), got {value!r}")


def _number(environ: Mapping[str, str], name: str, default: float, kind: type = float, minimum: float = 0):
    value = environ.get(PREFIX + name)
    if value is None or not value.strip():
        return kind(default)
    text = value.strip()
    if kind is int and text[-1:] in "kMG" and text[:-1].isdigit():
        return int(text[:-1]) * 1024 ** (" kMG".index(text[-1]))
    try:
        number = kind(text)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name}: expected a {kind.__name__}, got {value!r}") from None
    if number < minimum:
        raise SettingsError(f"{PREFIX}{name}: expected at least {minimum}, got {value!r}")
    return number


def _create_body(environ: Mapping[str, str]) -> dict:
    value = environ.get(PREFIX + "CREATE_BODY")
    if not value:
        return dict(DEFAULT_CREATE_BODY)
    try:
        text = Path(value[1:]).read_text("utf-8") if value.startswith("@") else value
        body = json.loads(text)
    except (OSError, ValueError) as exc:
        raise SettingsError(f"{PREFIX}CREATE_BODY: {exc}") from None
    if not isinstance(body, dict):
        raise SettingsError(f"{PREFIX}CREATE_BODY: expected a JSON object")
    return body


@dataclass(frozen=True)
class GatewaySettings:
    url: str
    org: str
    channel: str
    tasks: tuple[str, ...] = ()
    app_key: str | None = None
    app_secret: str | None = None
    token_url: str | None = None
    create: bool = False
    create_body: dict = field(default_factory=lambda: dict(DEFAULT_CREATE_BODY))
    timeline: str | None = None
    delete_created: bool = True
    profile: str = "lenient"
    poll_interval: float = 10.0
    max_polls: int = 60
    timeout: float = 30.0
    download: bool = True
    max_download: int = 100 * 1024**2

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "GatewaySettings | None":
        """The settings, or None when the suite is not configured (the three required
        variables unset); ``SettingsError`` for values that cannot be used."""
        missing = [PREFIX + name for name in REQUIRED if not environ.get(PREFIX + name, "").strip()]
        if len(missing) == len(REQUIRED):
            return None
        if missing:
            raise SettingsError(f"the gateway suite also needs {', '.join(missing)}")
        key, secret = environ.get(PREFIX + "APP_KEY") or None, environ.get(PREFIX + "APP_SECRET") or None
        if (key is None) != (secret is None):
            raise SettingsError(f"set both {PREFIX}APP_KEY and {PREFIX}APP_SECRET, or neither")
        profile = environ.get(PREFIX + "PROFILE") or "lenient"
        if profile not in PROFILES:
            raise SettingsError(f"{PREFIX}PROFILE: expected one of {', '.join(PROFILES)}, got {profile!r}")
        return cls(
            url=environ[PREFIX + "URL"].strip().rstrip("/"), org=environ[PREFIX + "ORG"].strip(),
            channel=environ[PREFIX + "CHANNEL"].strip(),
            tasks=tuple(t.strip() for t in environ.get(PREFIX + "TASKS", "").split(",") if t.strip()),
            app_key=key, app_secret=secret, token_url=environ.get(PREFIX + "TOKEN_URL") or None,
            create=_flag(environ, "CREATE", False), create_body=_create_body(environ),
            timeline=environ.get(PREFIX + "TIMELINE") or None,
            delete_created=_flag(environ, "DELETE_CREATED", True), profile=profile,
            poll_interval=_number(environ, "POLL_INTERVAL", 10.0), max_polls=_number(environ, "MAX_POLLS", 60, int, 1),
            timeout=_number(environ, "TIMEOUT", 30.0, minimum=0.001), download=_flag(environ, "DOWNLOAD", True),
            max_download=_number(environ, "MAX_DOWNLOAD", 100 * 1024**2, int),
        )


def _monotonic_ms() -> Callable[[], int]:
    """Wall time in ms that never repeats: two calls signed in the same millisecond
    would carry the same signature, which APIM rejects as a replay (1001)."""
    last = [0]

    def now() -> int:
        last[0] = max(int(time.time() * 1000), last[0] + 1)
        return last[0]

    return now


#: Largest JSON answer to a file download read for a token expiry (an expiry answer is tiny).
_EXPIRY_READ_LIMIT = 64 * 1024


def _refreshing(signer: Signer, what: str, send: Callable[[], Any], body_of: Callable[[Any], Any],
                discard: Callable[[Any], None] | None = None) -> Any:
    """``send_refreshing`` with its failures told as contract failures about ``what``."""
    try:
        return send_refreshing(signer, send, body_of, discard=discard)
    except TokenExpiredAgain as exc:
        if discard is not None:
            discard(exc.answer)
        raise ContractFailure(f"{what}: {exc}") from None
    except TokenRefreshFailed as exc:
        raise ContractFailure(f"{what}: {exc}") from None


class RefreshingTarget(HttpTarget):
    """An ``HttpTarget`` signing with ``signer`` whose calls take the SDK refresh path:
    a 4011/4012 answer, then a refreshed token and the same call once more."""

    def __init__(self, base_url: str, signer: Signer, timeout: float = 30.0) -> None:
        super().__init__(base_url, timeout=timeout, sign=signer)
        self.signer = signer

    def request(self, method, path, params=None, json=None, headers=None, data=None) -> Response:
        def send() -> Response:  # signs afresh each time: new stamp, maybe a new token
            return HttpTarget.request(self, method, path, params, json, headers, data)

        return _refreshing(self.signer, f"{method} {path}", send, lambda answer: answer.body)


def make_target(settings: GatewaySettings) -> tuple[HttpTarget, Signer | None]:
    if settings.app_key is None:
        return HttpTarget(settings.url, timeout=settings.timeout), None
    signer = Signer(settings.url, settings.app_key, settings.app_secret, token_url=settings.token_url,
                    timeout=settings.timeout, time_ms=_monotonic_ms())
    return RefreshingTarget(settings.url, signer, timeout=settings.timeout), signer


@dataclass
class FollowedTask:
    task_id: str
    observations: list[dict] = field(default_factory=list)
    success: dict | None = None
    downloaded: int | None = None  # bytes fetched from downloadUrl
    note: str | None = None  # why something was not checked

    @property
    def states(self) -> list[int]:
        return [state_of(o) for o in self.observations]

    def summary(self) -> str:
        seen = " -> ".join(f"{s}:{STATE_NAMES[s]}" for s in self.states) or "nothing"
        more = f"; downloaded {self.downloaded} bytes" if self.downloaded is not None else ""
        return f"task {self.task_id}: {seen}{more}" + (f" ({self.note})" if self.note else "")


class GatewaySuite:
    """The checks, over one target; ``sleep`` is injectable (tests pass a no-op)."""

    def __init__(self, settings: GatewaySettings, target: HttpTarget | None = None,
                 signer: Signer | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        if target is None:
            target, signer = make_target(settings)
        self.target, self.signer, self.sleep = target, signer, sleep

    def poll(self, followed: FollowedTask) -> int:
        s = self.settings
        response = self.target.get_status(s.org, s.channel, followed.task_id)
        struct = status_struct(assert_success(response, "status-answer", s.profile, task_id=followed.task_id))
        followed.observations.append(struct)
        assert_lifecycle(followed.task_id, followed.observations)
        state = state_of(struct)
        if state == SUCCESS and followed.success is None:
            followed.success = struct
        return state

    def follow(self, task_id: str) -> FollowedTask:
        """Poll until the task settles (2, 3, 5, 7) or ``max_polls``; then download a
        success and poll once more (a success must stay as it was)."""
        followed = FollowedTask(task_id)
        state = self.poll(followed)
        polls = 1
        while state not in SETTLED and polls < self.settings.max_polls:
            self.sleep(self.settings.poll_interval)
            state = self.poll(followed)
            polls += 1
        if state not in SETTLED:
            followed.note = f"still {STATE_NAMES[state]} after {polls} polls"
        if state == SUCCESS:
            self.download(followed)
            self.poll(followed)
        return followed

    def download(self, followed: FollowedTask) -> None:
        size = byte_count(followed.success.get("dataSize"))
        if not self.settings.download:
            followed.note = "download skipped (DFMOCK_GATEWAY_DOWNLOAD=0)"
            return
        if size is None or size > self.settings.max_download:
            followed.note = f"download skipped: dataSize {size} above DFMOCK_GATEWAY_MAX_DOWNLOAD"
            return
        url = followed.success["downloadUrl"]
        count = 0
        with self._get_file(url) as answer:
            if answer.status_code != 200:
                raise ContractFailure(f"GET {url} (downloadUrl of a successful task): HTTP {answer.status_code} "
                                      f"{answer.content[:200]!r}")
            for chunk in answer.iter_content(64 * 1024):
                count += len(chunk)
                if count > size:
                    break
        followed.downloaded = count
        if count != size:
            raise ContractFailure(f"task {followed.task_id}: downloadUrl gave {'more than ' if count > size else ''}"
                                  f"{count} bytes; dataSize at success said {size}")

    def _get_file(self, url: str) -> requests.Response:
        """GET ``url`` streamed (signed, through the refresh path, when there is a signer)."""
        def send() -> requests.Response:
            headers = self.signer.headers("GET", url) if self.signer is not None else {}
            return self.target.session.get(url, headers=headers, stream=True, timeout=self.settings.timeout)

        if self.signer is None:
            return send()
        return _refreshing(self.signer, f"GET {url} (downloadUrl of a successful task)", send,
                           _small_json_body, discard=lambda answer: answer.close())

    def create(self) -> str:
        s = self.settings
        response = self.target.create_task(s.org, s.channel, s.create_body, timeline=s.timeline)
        return assert_success(response, "create-answer", s.profile)["data"]["taskId"]

    def delete(self, followed: FollowedTask) -> Response:
        """DELETE a task this suite created: cancels it, or deletes it once finished."""
        s = self.settings
        response = self.target.cancel(s.org, s.channel, followed.task_id)
        answer = assert_success(response, "cancel-answer", s.profile, task_id=followed.task_id)
        followed.observations.append(answer["data"])
        assert_lifecycle(followed.task_id, followed.observations)
        return response


def _small_json_body(answer: requests.Response) -> bytes | None:
    """A streamed answer's body when it is a small JSON answer (read, and still
    iterable afterwards); None for a file, which is left unread."""
    if "json" not in answer.headers.get("Content-Type", "").lower():
        return None
    length = answer.headers.get("Content-Length", "").strip()
    if length and (not length.isdigit() or int(length) > _EXPIRY_READ_LIMIT):
        return None  # declared too large to be a token-expiry answer
    return answer.content


__all__ = ["DEFAULT_CREATE_BODY", "FollowedTask", "GatewaySettings", "GatewaySuite", "RefreshingTarget",
           "SettingsError", "make_target"]

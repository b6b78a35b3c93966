"""The APIM gateway in front of the emulated API (REFERENCE.md section 5; docs/auth-callbacks-proxy.md).

* ``AuthSettings``: mode (``off`` | ``presence`` | ``verify``), the apps (appKey,
  appSecret), the timestamp window, the token lifetime, the replay-set bound and the
  shape of refusals.
* ``Authenticator``: the token service (``issue_token``) and the check of each API
  call (``check``), both on the emulator's clock. Thread-safe; every table is bounded.
* ``gateway_answer`` / ``token_expiry_answer``: the bodies the gateway sends. The
  fault layer (``apim:4011`` / ``apim:4012`` rules, mock_server/faults.py) builds its
  token-expiry answers with ``token_expiry_answer``: one mechanism for the SDK
  refresh path.
* ``AuthLayer``: the WSGI layer that refuses unauthenticated calls before the
  service sees them (admin routes and the token route are exempt).

No Flask here. Signing itself is the kit's (contract_tests.signing), so the emulator
checks exactly what the kit and the reference client compute.
"""

from __future__ import annotations

import dataclasses
import hmac
import io
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Mapping

from .errors import ApiError
from .units import UnitError, parse_duration

AUTH_MODES = ("off", "presence", "verify")
ERROR_SHAPES = ("apim", "envelope")
TOKEN_BUSINESS = "apim-token-service"
GATEWAY_BUSINESS = "apim-gateway"
CODE_KEY = "dfmock.code"  # same key as http_common.CODE_KEY (kept here to stay below the HTTP layer)
# The same names as contract_tests.signing (checked by the tests); the signing code is
# imported when first needed, so an emulator without auth does not load the kit.
TOKEN_PATH = "/apim-token-service/v2.0/token/get"
HEADER_TOKEN, HEADER_TIMESTAMP, HEADER_SIGNATURE = "apim-accesstoken", "apim-timestamp", "apim-signature"

#: Gateway codes (REFERENCE.md section 5) and the HTTP status each travels with.
GATEWAY_CODES = {
    1001: (403, "repeated request"),
    1002: (401, "appKey does not exist"),
    1003: (401, "signature is not valid"),
    1004: (400, "invalid parameter"),
    1005: (500, "internal service exception"),
    1202: (400, "parameter is empty"),
    1203: (401, "access token expired"),
    1204: (401, "failed to refresh the access token"),
}
#: The SDKs' token-expiry signals (body field ``apim_status``).
APIM_TOKEN_EXPIRED, APIM_TOKEN_INVALID = 4011, 4012


class AuthConfigError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class AuthSettings:
    mode: str = "off"
    apps: tuple[tuple[str, str], ...] = ()  # (appKey, appSecret)
    timestamp_window: float | None = 300.0  # seconds either side of the emulator clock; None: not checked
    token_ttl: int = 7200
    replay_size: int = 10_000
    error_shape: str = "apim"  # apim: {"status": N, ...}; envelope: {"code": N, ...}

    def __post_init__(self) -> None:
        if self.mode not in AUTH_MODES:
            raise AuthConfigError(f"auth.mode must be one of {', '.join(AUTH_MODES)}; got {self.mode!r}")
        if self.error_shape not in ERROR_SHAPES:
            raise AuthConfigError(f"auth.error_shape must be apim or envelope; got {self.error_shape!r}")
        if self.token_ttl < 1 or self.replay_size < 1:
            raise AuthConfigError("auth.token_ttl and auth.replay_size must be at least 1")
        keys = [key for key, _ in self.apps]
        if len(set(keys)) != len(keys):
            raise AuthConfigError("auth.apps: each appKey may appear once")

    def secret(self, app_key: str) -> str | None:
        return next((secret for key, secret in self.apps if key == app_key), None)


def parse_app(text: str) -> tuple[str, str]:
    """``KEY:SECRET`` (the ``--app`` flag) as a pair."""
    key, sep, secret = text.partition(":")
    if not sep or not key or not secret:
        raise AuthConfigError(f"an app is KEY:SECRET, got {text!r}")
    return key, secret


def parse_window(value: Any) -> float | None:
    if value is None or value in ("off", "none"):
        return None
    try:
        return parse_duration(value)
    except UnitError as exc:
        raise AuthConfigError(f"auth.timestamp_window: {exc}") from None


def settings_from_mapping(data: Mapping[str, Any], base: AuthSettings | None = None) -> AuthSettings:
    """The config file's ``auth`` object: {mode, apps: [{key, secret}] or ["K:S"], timestamp_window,
    token_ttl, replay_size, error_shape}."""
    base = base or AuthSettings()
    values: dict[str, Any] = {}
    if "mode" in data:
        values["mode"] = data["mode"]
    if "apps" in data:
        values["apps"] = tuple(parse_app(a) if isinstance(a, str) else (a["key"], a["secret"]) for a in data["apps"])
    if "timestamp_window" in data:
        values["timestamp_window"] = parse_window(data["timestamp_window"])
    for key in ("token_ttl", "replay_size", "error_shape"):
        if key in data:
            values[key] = data[key]
    return _replace(base, values)


def _replace(base: AuthSettings, values: Mapping[str, Any]) -> AuthSettings:
    return dataclasses.replace(base, **values)


class GatewayError(ApiError):
    """A refusal by the gateway, before the service is reached: ``{"status": code, ...}``."""

    def __init__(self, code: int, detail: str, *, business: str = GATEWAY_BUSINESS) -> None:
        http_status, name = GATEWAY_CODES[code]
        super().__init__(f"{name}: {detail}", http_status=http_status)
        self.code = code
        self.business = business


def gateway_answer(error: GatewayError, shape: str = "apim") -> bytes:
    """The body of a gateway refusal in the chosen shape."""
    from . import wire  # wire imports config, which imports this module

    if shape == "envelope":
        return wire.error_body(error.code, error.message)
    return wire.to_json_bytes({"status": error.code, "msg": error.message, "business": error.business, "data": None})


def token_answer(access_token: str, expire: int) -> bytes:
    from . import wire

    return wire.to_json_bytes({"status": 0, "msg": "Success", "business": TOKEN_BUSINESS,
                               "data": {"accessToken": access_token, "expire": expire}})


def token_expiry_answer(apim_status: int, refresh_token: str | None = None) -> tuple[int, bytes]:
    """(HTTP status, body) of the gateway's token-expiry answer, which the official SDKs
    act on by refreshing their token and retrying once.

    4011: the token expired; the answer carries ``apim_refreshtoken`` (a fresh token
    when the caller passes one, else a placeholder the client must not rely on).
    4012: the token is not valid. Both travel with HTTP 200, as the SDKs read the body.
    """
    from . import wire

    if apim_status not in (APIM_TOKEN_EXPIRED, APIM_TOKEN_INVALID):
        raise ValueError("apim_status is 4011 or 4012")
    body: dict[str, Any] = {"apim_status": apim_status}
    if apim_status == APIM_TOKEN_EXPIRED:
        body["apim_refreshtoken"] = refresh_token or "dfmock-refresh-token"
        body["msg"] = "access token expired; refresh it and retry"
    else:
        body["msg"] = "access token is not valid; fetch a new one and retry"
    body["business"] = GATEWAY_BUSINESS
    return 200, wire.to_json_bytes(body)


@dataclass(slots=True)
class _Token:
    app_key: str
    expires_at: float


class Authenticator:
    """Tokens and checks of one emulator, on its clock (``clock.now()`` in seconds)."""

    #: Expired tokens remembered (to answer 1203, not 1003, for them).
    RETIRED_SIZE = 1000

    def __init__(self, settings: AuthSettings, clock, seed: int | str = 0) -> None:
        self.settings = settings
        self.clock = clock
        self._rng = random.Random(f"{seed}/auth")
        self._lock = threading.Lock()
        self._tokens: dict[str, _Token] = {}  # live token -> owner; one per app
        self._by_app: dict[str, str] = {}
        self._retired: OrderedDict[str, str] = OrderedDict()  # expired token -> app
        self._seen: OrderedDict[str, float] = OrderedDict()  # signature -> forget after (s)

    @property
    def active(self) -> bool:
        """Whether API calls are checked at all (a fast path must defer when true)."""
        return self.settings.mode != "off"

    # -- the token service -----------------------------------------------------

    def issue_token(self, body: Any) -> tuple[str, int]:
        """(accessToken, expire seconds) for a token request, or ``GatewayError``."""
        def refuse(code: int, detail: str) -> GatewayError:
            return GatewayError(code, detail, business=TOKEN_BUSINESS)

        if not isinstance(body, dict):
            raise refuse(1004, "the body must be a JSON object {appKey, encryption, timestamp}")
        for name in ("appKey", "encryption", "timestamp"):
            if body.get(name) in (None, ""):
                raise refuse(1202, f"{name} is missing or empty")
        app_key, encryption, stamp = body["appKey"], body["encryption"], body["timestamp"]
        if not isinstance(app_key, str) or not isinstance(encryption, str):
            raise refuse(1004, "appKey and encryption must be strings")
        if isinstance(stamp, bool) or not (isinstance(stamp, int) or (isinstance(stamp, str) and stamp.isdigit())):
            raise refuse(1004, "timestamp must be Unix time in milliseconds (a whole number)")
        from contract_tests.signing import token_encryption

        secret = self.settings.secret(app_key)
        if secret is None:
            raise refuse(1002, f"no app {app_key!r} is configured (dfmock serve --app KEY:SECRET)")
        if not hmac.compare_digest(encryption.lower(), token_encryption(app_key, str(stamp), secret)):
            raise refuse(1003, "encryption is not sha256(appKey + timestamp + appSecret)")
        with self._lock:
            now = self.clock.now()
            token = self._by_app.get(app_key)
            if token is not None and self._tokens[token].expires_at > now:
                return token, max(1, int(self._tokens[token].expires_at - now))
            if token is not None:
                self._retire(token)
            token = f"{self._rng.getrandbits(128):032x}"
            self._tokens[token] = _Token(app_key, now + self.settings.token_ttl)
            self._by_app[app_key] = token
            return token, self.settings.token_ttl

    def _retire(self, token: str) -> None:
        owner = self._tokens.pop(token)
        self._by_app.pop(owner.app_key, None)
        self._retired[token] = owner.app_key
        while len(self._retired) > self.RETIRED_SIZE:
            self._retired.popitem(last=False)

    def refresh_token_for(self, access_token: str | None) -> str | None:
        """A live token for the app owning ``access_token`` (for a 4011 answer's
        ``apim_refreshtoken``), or None when the token is unknown."""
        with self._lock:
            owner = self._tokens.get(access_token or "")
            app_key = owner.app_key if owner else self._retired.get(access_token or "")
        if app_key is None:
            return None
        from contract_tests.signing import token_encryption

        secret = self.settings.secret(app_key) or ""
        stamp = int(self.clock.now() * 1000)
        token, _ = self.issue_token({"appKey": app_key, "timestamp": stamp,
                                     "encryption": token_encryption(app_key, stamp, secret)})
        return token

    # -- each API call ---------------------------------------------------------

    def check(self, headers: Mapping[str, str], query: str, body: bytes) -> None:
        """Raise ``GatewayError`` unless the call passes the mode's checks.
        ``headers``: names in lower case."""
        mode = self.settings.mode
        if mode == "off":
            return
        token = headers.get(HEADER_TOKEN, "")
        if not token:
            raise GatewayError(1202, f"the {HEADER_TOKEN} header is missing or empty")
        if mode == "presence":
            return
        for name in (HEADER_TIMESTAMP, HEADER_SIGNATURE):
            if not headers.get(name):
                raise GatewayError(1202, f"the {name} header is missing or empty")
        stamp, signature = headers[HEADER_TIMESTAMP], headers[HEADER_SIGNATURE].lower()
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 16):
            raise GatewayError(1004, f"{HEADER_TIMESTAMP} must be Unix time in milliseconds")
        from contract_tests.signing import request_signature

        with self._lock:
            now = self.clock.now()
            owner = self._tokens.get(token)
            if owner is not None and owner.expires_at <= now:
                self._retire(token)
                owner = None
            if owner is None:
                if token in self._retired:
                    raise GatewayError(1203, f"ask {TOKEN_PATH} for a new token")
                raise GatewayError(1003, "the access token is unknown to this gateway")
            window = self.settings.timestamp_window
            if window is not None and abs(int(stamp) / 1000 - now) > window:
                raise GatewayError(1004, f"{HEADER_TIMESTAMP} {stamp} is more than {window:g}s away from "
                                         f"the gateway's clock ({int(now * 1000)} ms)")
            secret = self.settings.secret(owner.app_key) or ""
            expected = request_signature(token, query, body, stamp, secret)
            if not hmac.compare_digest(signature, expected):
                raise GatewayError(1003, "apim-signature is not sha256(accessToken + paramsData + timestamp "
                                         "+ appSecret)")
            self._remember(signature, now)

    def _remember(self, signature: str, now: float) -> None:
        seen = self._seen
        forget_after = seen.get(signature)
        if forget_after is not None and forget_after > now:
            raise GatewayError(1001, "this signature was already used; sign each request afresh")
        window = self.settings.timestamp_window
        # A replay outside the window fails the timestamp check anyway: forget it then.
        seen[signature] = now + 2 * window if window is not None else float("inf")
        seen.move_to_end(signature)
        while seen and (len(seen) > self.settings.replay_size or next(iter(seen.values())) <= now):
            seen.popitem(last=False)

    def reset(self) -> None:
        with self._lock:
            self._tokens.clear()
            self._by_app.clear()
            self._retired.clear()
            self._seen.clear()

    def describe(self) -> dict:
        with self._lock:
            now = self.clock.now()
            return {
                "mode": self.settings.mode, "apps": [key for key, _ in self.settings.apps],
                "timestampWindow": self.settings.timestamp_window, "tokenTtl": self.settings.token_ttl,
                "errorShape": self.settings.error_shape,
                "tokens": [{"app": t.app_key, "expiresIn": t.expires_at - now} for t in self._tokens.values()],
                "replaySet": len(self._seen),
            }


# -- WSGI ----------------------------------------------------------------------

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 500: "Internal Server Error"}


def is_exempt(path: str) -> bool:
    return path.startswith("/__admin") or path == TOKEN_PATH


class AuthLayer:
    """Refuses calls that fail the auth mode's checks, in the gateway's shape.

    ``extension`` names the emulator in ``flask_app.extensions``; the emulator's
    ``auth`` (an ``Authenticator``) and ``config.wire`` are read per request, so an
    emulator swapped in (tests, /__admin/config) takes effect at once.
    """

    def __init__(self, flask_app, inner, extension: str = "dfmock") -> None:
        self.flask_app = flask_app
        self.inner = inner
        self.extension = extension

    def __call__(self, environ, start_response):
        emu = self.flask_app.extensions[self.extension]
        auth: Authenticator | None = getattr(emu, "auth", None)
        if auth is None or not auth.active or is_exempt(environ.get("PATH_INFO", "")):
            return self.inner(environ, start_response)
        body = _read_body(environ)
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        try:
            auth.check(headers, _raw_query(environ), body)
        except GatewayError as error:
            from . import wire

            environ[CODE_KEY] = error.code
            status = wire.error_http_status(error.http_status, emu.config.wire)
            payload = gateway_answer(error, auth.settings.error_shape)
            start_response(f"{status} {_REASONS.get(status, 'Error')}", [
                ("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
            return [payload]
        return self.inner(environ, start_response)


def _raw_query(environ) -> str:
    # PEP 3333 gives the query as latin-1-decoded bytes; recover the bytes, decode UTF-8.
    raw = environ.get("QUERY_STRING", "")
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


def _read_body(environ) -> bytes:
    """The request body, read once and put back for the app (the journaling layer has
    already refused bodies over the size limit)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return b""
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body

"""APIM request signing (REFERENCE.md section 5), written once for the kit, the
reference client and the emulator (which imports it to check what clients send).

    encryption = sha256_hex(appKey + timestamp + appSecret)               # token request
    signature  = sha256_hex(accessToken + paramsData + timestamp + appSecret)  # each call
    paramsData = query parameters sorted by name (ASCII order), each written as
                 name then value (URL-decoded), followed by the exact JSON body if any

Hashes are taken over UTF-8 bytes; a body is hashed as the exact bytes sent, so
what is signed is what travels. Repeated names keep the order they appear in
(a stable sort by name). ``Signer`` fetches and caches the access token and makes
the three ``apim-*`` headers; its time source is injectable so that a test can
stamp requests with an emulator's manual clock.

The SDK refresh path, written once for the kit's clients: ``token_expiry`` reads an
answer's body for ``apim_status`` 4011 (token expired; the answer may carry an
``apim_refreshtoken``) or 4012 (token not valid); ``Signer.refresh`` drops the token
(or takes the refresh token in its place); ``send_refreshing`` sends a call, and on
an expiry answer refreshes and sends it once more, raising ``TokenExpiredAgain`` when
the second answer says the same.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, TypeVar
from urllib.parse import parse_qsl, urlsplit

import requests

TOKEN_PATH = "/apim-token-service/v2.0/token/get"
HEADER_TOKEN = "apim-accesstoken"
HEADER_TIMESTAMP = "apim-timestamp"
HEADER_SIGNATURE = "apim-signature"
#: ``apim_status`` values meaning "refresh the token and retry once" (REFERENCE.md s.5).
TOKEN_EXPIRED = frozenset({4011, 4012})
#: The token lifetime assumed when the token service (or a refresh) does not say.
DEFAULT_EXPIRE = 7200

Params = Mapping[str, Any] | Iterable[tuple[str, Any]] | str | None


def _bytes(value: str | bytes | int) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def sha256_hex(*parts: str | bytes | int) -> str:
    """Lowercase hex SHA-256 of the concatenated parts (text as UTF-8)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(_bytes(part))
    return digest.hexdigest()


def token_encryption(app_key: str, timestamp: int | str, app_secret: str) -> str:
    """The token request's ``encryption`` field."""
    return sha256_hex(app_key, str(timestamp), app_secret)


def param_pairs(params: Params) -> list[tuple[str, str]]:
    """(name, value) pairs from a mapping (list values repeat the name), pairs, or a
    raw query string (``a=1&b=2``, percent-decoded, blank values kept)."""
    if params is None:
        return []
    if isinstance(params, str):
        return parse_qsl(params.lstrip("?"), keep_blank_values=True)
    items = params.items() if isinstance(params, Mapping) else params
    pairs: list[tuple[str, str]] = []
    for name, value in items:
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((str(name), "" if item is None else str(item)) for item in values)
    return pairs


def params_data(params: Params, body: bytes | str | None = None) -> bytes:
    """paramsData: sorted name+value pairs, then the body bytes (if any)."""
    pairs = sorted(param_pairs(params), key=lambda pair: pair[0].encode("utf-8"))
    text = "".join(name + value for name, value in pairs).encode("utf-8")
    return text + (_bytes(body) if body else b"")


def request_signature(access_token: str, params: Params, body: bytes | str | None,
                      timestamp: int | str, app_secret: str) -> str:
    """The ``apim-signature`` header of one call."""
    return sha256_hex(access_token, params_data(params, body), str(timestamp), app_secret)


def url_params(url: str, params: Params = None) -> list[tuple[str, str]]:
    """Every query parameter a request to ``url`` with extra ``params`` carries."""
    return param_pairs(urlsplit(url).query) + param_pairs(params)


def sign_headers(access_token: str, app_secret: str, timestamp_ms: int, params: Params,
                 body: bytes | str | None = None) -> dict[str, str]:
    """The three headers of a signed call."""
    return {
        HEADER_TOKEN: access_token,
        HEADER_TIMESTAMP: str(timestamp_ms),
        HEADER_SIGNATURE: request_signature(access_token, params, body, timestamp_ms, app_secret),
    }


class TokenError(Exception):
    """The token service refused (``status`` is its code) or could not be reached (None)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Signer:
    """Gets an access token from ``base_url`` and signs calls with it.

    ``headers(method, url, params, body)`` is what the reference client calls;
    calling the signer itself with ``(method, path, params, body)`` fits
    ``HttpTarget(sign=...)``. ``refresh()`` forgets the token (after an
    ``apim_status`` 4011/4012 answer); the next call fetches a new one.
    ``refresh(refresh_token)`` signs with the token a 4011 answer handed over instead.
    ``time_ms``: the clock requests are stamped with (default wall time). Stamps never
    repeat: when the clock has not moved since the last one (a manual clock, or two
    calls in one millisecond) the next stamp is the last plus 1 ms, so two identical
    calls never share a signature (the gateway refuses a repeated one with 1001).
    """

    def __init__(self, base_url: str, app_key: str, app_secret: str, *,
                 session: requests.Session | None = None, time_ms: Callable[[], int] | None = None,
                 token_url: str | None = None, timeout: float = 30.0, margin: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_key = app_key
        self.app_secret = app_secret
        self.session = session or requests.Session()
        self.time_ms = time_ms or (lambda: int(time.time() * 1000))
        self.token_url = token_url or self.base_url + TOKEN_PATH
        self.timeout = timeout
        self.margin = margin  # fetch a new token this many seconds before the old one expires
        self._token: str | None = None
        self._expires_ms = 0
        self._lock = threading.Lock()  # the stamp
        self._token_lock = threading.Lock()
        self._last_stamp = -1

    def stamp(self) -> int:
        """The next request timestamp (ms): the clock's, or one past the last one."""
        with self._lock:
            self._last_stamp = max(int(self.time_ms()), self._last_stamp + 1)
            return self._last_stamp

    def fetch_token(self) -> tuple[str, int]:
        """Ask the token service: (accessToken, expire seconds) or ``TokenError``."""
        stamp = self.stamp()
        body = {"appKey": self.app_key, "encryption": token_encryption(self.app_key, stamp, self.app_secret),
                "timestamp": stamp}
        try:
            answer = self.session.post(self.token_url, json=body, timeout=self.timeout)
            parsed = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise TokenError(f"token service at {self.token_url}: {type(exc).__name__}: {exc}") from None
        if not isinstance(parsed, dict) or parsed.get("status") != 0 or not isinstance(parsed.get("data"), dict):
            status = parsed.get("status") if isinstance(parsed, dict) else None
            message = parsed.get("msg") if isinstance(parsed, dict) else None
            raise TokenError(f"token service refused (status {status}): {message}", status)
        data = parsed["data"]
        token, expire = data.get("accessToken"), data.get("expire")
        if not isinstance(token, str) or not token:
            raise TokenError("token service answered without an accessToken")
        return token, int(expire) if isinstance(expire, (int, float)) else DEFAULT_EXPIRE

    def token(self) -> str:
        with self._token_lock:
            now = self.time_ms()
            if self._token is None or now >= self._expires_ms - self.margin * 1000:
                token, expire = self.fetch_token()
                self._token, self._expires_ms = token, now + expire * 1000
            return self._token

    def refresh(self, refresh_token: str | None = None) -> None:
        """After an ``apim_status`` 4011/4012 answer: forget the token, so the next call
        asks the token service for one; or, given the ``apim_refreshtoken`` of a 4011
        answer, sign with that token from now on (for ``DEFAULT_EXPIRE`` seconds as far
        as this signer knows: the answer does not say)."""
        with self._token_lock:
            if refresh_token:
                self._token, self._expires_ms = refresh_token, self.time_ms() + DEFAULT_EXPIRE * 1000
            else:
                self._token = None

    def headers(self, method: str, url: str, params: Params = None, body: bytes | str | None = None) -> dict[str, str]:
        """Headers for a call to ``url`` (its own query plus ``params``) with ``body``."""
        token = self.token()
        return sign_headers(token, self.app_secret, self.stamp(), url_params(url, params), body)

    def __call__(self, method: str, path: str, params: Params, body: bytes | str | None) -> dict[str, str]:
        return self.headers(method, path, params, body)


@dataclass(frozen=True)
class TokenExpiry:
    """An answer saying the access token must be refreshed."""

    apim_status: int  # 4011 expired, 4012 not valid
    refresh_token: str | None = None  # the answer's ``apim_refreshtoken``, if it gave one

    def describe(self) -> str:
        what = "token expired" if self.apim_status == 4011 else "token not valid"
        given = ", with a refresh token" if self.refresh_token else ""
        return f"apim_status {self.apim_status} ({what}{given})"


def token_expiry(answer: Any) -> TokenExpiry | None:
    """The token expiry an answer body announces, or None.

    ``answer``: the parsed body (any JSON value) or its raw bytes / text (parsed here
    only when it mentions ``apim_status``: a file is never parsed). The SDKs' signal
    is a JSON object whose ``apim_status`` is 4011 or 4012, whatever the HTTP status.
    """
    if isinstance(answer, (bytes, bytearray, str)):
        if ("apim_status" if isinstance(answer, str) else b"apim_status") not in answer:
            return None
        try:
            answer = json.loads(answer)
        except ValueError:
            return None
    if not isinstance(answer, Mapping):
        return None
    status = answer.get("apim_status")
    if isinstance(status, bool) or not isinstance(status, (int, float)) or status not in TOKEN_EXPIRED:
        return None
    refresh_token = answer.get("apim_refreshtoken")
    return TokenExpiry(int(status), refresh_token if isinstance(refresh_token, str) and refresh_token else None)


class TokenExpiredAgain(TokenError):
    """The call answered a token expiry again right after the token was refreshed."""

    def __init__(self, first: TokenExpiry, second: TokenExpiry, answer: Any = None) -> None:
        super().__init__(f"the gateway answered {second.describe()} again right after the token was refreshed "
                         f"(the first answer: {first.describe()}); the SDKs retry only once, so this is a "
                         f"real failure, not a passing expiry", second.apim_status)
        self.first, self.second, self.answer = first, second, answer


class TokenRefreshFailed(TokenError):
    """After a token-expiry answer, the new token could not be had (the token service
    refused or could not be reached)."""

    def __init__(self, first: TokenExpiry, error: TokenError) -> None:
        super().__init__(f"getting a new access token after {first.describe()} failed: {error}", error.status)
        self.first, self.error = first, error


Answer = TypeVar("Answer")


def send_refreshing(signer: Signer, send: Callable[[], Answer], body_of: Callable[[Answer], Any], *,
                    discard: Callable[[Answer], None] | None = None) -> Answer:
    """``send()`` (which must sign afresh on each call); on a token-expiry answer,
    refresh ``signer`` (with the answer's refresh token when it gives one, else a new
    token on the next call) and ``send()`` once more.

    ``body_of(answer)``: what ``token_expiry`` reads (body bytes or parsed JSON; None
    for an answer not to read, e.g. a streamed file). ``discard(answer)``: releases
    the first answer before the retry (a streamed response). A second expiry answer
    in a row raises ``TokenExpiredAgain``; a new token the token service refuses,
    ``TokenRefreshFailed``.
    """
    answer = send()
    first = token_expiry(body_of(answer))
    if first is None:
        return answer
    if discard is not None:
        discard(answer)
    signer.refresh(first.refresh_token)
    try:
        answer = send()  # without a refresh token, this is where the new token is fetched
    except TokenRefreshFailed:
        raise
    except TokenError as exc:
        raise TokenRefreshFailed(first, exc) from None
    second = token_expiry(body_of(answer))
    if second is not None:
        raise TokenExpiredAgain(first, second, answer)
    return answer


def json_body(obj: Any) -> bytes:
    """Compact JSON bytes: serialise once, sign and send those same bytes."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


__all__ = [
    "DEFAULT_EXPIRE", "HEADER_SIGNATURE", "HEADER_TIMESTAMP", "HEADER_TOKEN", "TOKEN_EXPIRED", "TOKEN_PATH", "Signer",
    "TokenError", "TokenExpiredAgain", "TokenExpiry", "TokenRefreshFailed", "json_body", "param_pairs", "params_data",
    "request_signature", "send_refreshing", "sha256_hex", "sign_headers", "token_encryption", "token_expiry",
    "url_params",
]

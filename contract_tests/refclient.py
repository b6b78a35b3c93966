"""``dfmock poll``: the reference client, the one we would want users to write.

It follows one download task (on the emulator or a real gateway) to its end:
polls the status every ``--interval`` seconds, shows state and bytes (a live line
on a terminal, plain lines otherwise), retries transient failures (connection
errors, 5xx, 429, empty / truncated / non-JSON bodies, gateway token expiry) with
exponential backoff and jitter, honours ``Retry-After``, reads numbers as JSON
strings or integers and ``data`` as an object or a one-item list, streams the file
to ``--output`` and checks its size against ``dataSize``.

Exit status (docs/client-protocol.md): 0 succeeded and the file is written, 3 the
task failed, 4 it was cancelled, 5 it was deleted before the download, 1 gave up
(too many failures in a row, an error that retrying cannot fix, or --timeout),
2 bad usage.
"""

from __future__ import annotations

import email.utils
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TextIO
from urllib.parse import quote

import requests

from .signing import token_expiry
from .states import STATE_NAMES, byte_count, state_code

SUCCEEDED, GAVE_UP, USAGE, FAILED, CANCELLED, DELETED = 0, 1, 2, 3, 4, 5
API_PREFIX = "/data-federation/v2.0"
TRANSIENT_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})


class Transient(Exception):
    """Worth retrying; ``retry_after`` is the server's wish, in seconds, if it gave one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GiveUp(Exception):
    """Retrying cannot help (unknown task, refused request...)."""


class FileGone(Exception):
    """The file was deleted before we fetched it."""


@dataclass
class PollSettings:
    base_url: str
    org_id: str
    channel_id: str
    task_id: str
    output: Path
    interval: float = 2.0
    max_failures: int = 8  # consecutive failed attempts before giving up
    max_backoff: float = 60.0
    request_timeout: float = 30.0
    timeout: float | None = None  # overall deadline in seconds


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds (decimals accepted) or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Progress:
    """State and bytes: one live line on a terminal, a plain line per change otherwise."""

    def __init__(self, stream: TextIO, quiet: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet
        self.live = not quiet and stream.isatty()
        self._last: tuple | None = None

    def state(self, task_id: str, state: int, size: int | None) -> None:
        shown = (state, size)
        if self.quiet or (not self.live and shown == self._last):
            return
        self._last = shown
        text = f"task {task_id[:12]}: {STATE_NAMES[state]} ({state})" + (f", {size} bytes" if size is not None else "")
        self._write(text)

    def note(self, text: str) -> None:
        if not self.quiet:
            self._write(text, keep=True)

    def _write(self, text: str, keep: bool = False) -> None:
        if self.live:
            self.stream.write("\r\033[K" + text + ("\n" if keep else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()


class Follower:
    def __init__(self, settings: PollSettings, *, session: requests.Session | None = None,
                 signer: Any = None, sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None, progress: Progress | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.s = settings
        self.http = session or requests.Session()
        self.signer = signer  # has .headers(method, url, params, body) and .refresh(); None: no auth
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.progress = progress or Progress(sys.stderr, quiet=True)
        self.clock = clock
        self._deadline: float | None = None

    # -- HTTP ------------------------------------------------------------------

    def _get(self, url: str, params: dict, stream: bool = False) -> requests.Response:
        headers = self.signer.headers("GET", url, params, None) if self.signer else {}
        try:
            return self.http.get(url, params=params, headers=headers, stream=stream,
                                 timeout=self.s.request_timeout)
        except requests.RequestException as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from None

    def _envelope(self, response: requests.Response) -> Any:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if response.status_code in TRANSIENT_HTTP:
            raise Transient(f"HTTP {response.status_code}", retry_after)
        try:
            body = response.json()
        except (ValueError, requests.RequestException) as exc:  # not JSON, or cut short
            raise Transient(f"HTTP {response.status_code} with an unreadable body ({type(exc).__name__})",
                            retry_after) from None
        if not isinstance(body, dict):
            raise Transient("an answer that is not a JSON object")
        expiry = token_expiry(body)  # the SDK refresh path, read as the kit's other clients read it
        if expiry is not None:
            if self.signer is not None:
                self.signer.refresh()  # the next attempt fetches a new token, then retries after the backoff
            raise Transient(f"gateway token expired (apim_status {expiry.apim_status})")
        code = body.get("code")
        if code == 0 and response.status_code == 200:
            return body.get("data")
        if code == 81500 or (isinstance(code, int) and 500 <= response.status_code < 600):
            raise Transient(f"code {code}: {body.get('msg')}", retry_after)
        if code == 81410:
            raise FileGone(str(body.get("msg")))
        raise GiveUp(f"HTTP {response.status_code}, code {code}: {body.get('msg')}")

    def status(self) -> tuple[int, dict]:
        url = (f"{self.s.base_url.rstrip('/')}{API_PREFIX}/channels/read/{quote(self.s.channel_id, safe='')}"
               f"/download/{quote(self.s.task_id, safe='')}/status")
        data = self._envelope(self._get(url, {"orgId": self.s.org_id}))
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        if not isinstance(data, dict):
            raise Transient(f"a status answer without a Status Struct: data is {type(data).__name__}")
        state = state_code(data.get("progressCode"))
        if state is None:
            raise Transient(f"an unreadable progressCode {data.get('progressCode')!r}")
        return state, data

    def download(self, url: str, size: int | None) -> int:
        """Stream the file to ``output`` (through a .part file); the bytes written."""
        response = self._get(url, {}, stream=True)
        try:
            if response.status_code != 200 or "json" in response.headers.get("Content-Type", ""):
                self._envelope(response)  # raises what the error says
                raise Transient(f"a JSON answer instead of the file (HTTP {response.status_code})")
            partial = self.s.output.with_name(self.s.output.name + ".part")
            written = 0
            try:
                with open(partial, "wb") as out:
                    for chunk in response.iter_content(64 * 1024):
                        out.write(chunk)
                        written += len(chunk)
            except requests.RequestException as exc:
                partial.unlink(missing_ok=True)
                raise Transient(f"the download broke off after {written} bytes: {type(exc).__name__}") from None
            if size is not None and written != size:
                partial.unlink(missing_ok=True)
                raise Transient(f"downloaded {written} bytes but dataSize is {size}")
            os.replace(partial, self.s.output)
            return written
        finally:
            response.close()

    # -- the loop ------------------------------------------------------------------

    def _wait(self, seconds: float) -> None:
        if self._deadline is not None and self.clock() + seconds > self._deadline:
            raise GiveUp(f"the overall timeout of {self.s.timeout:g} s would pass")
        self.sleep(seconds)

    def _backoff(self, failures: int, error: Transient) -> None:
        if failures >= self.s.max_failures:
            raise GiveUp(f"{failures} failures in a row; the last: {error}")
        base = min(self.s.max_backoff, self.s.interval * 2 ** (failures - 1))
        delay = base + self.rng.uniform(0, base)  # jitter above the base: never faster than the interval
        if error.retry_after is not None:
            delay = max(delay, error.retry_after)
        self.progress.note(f"retrying in {delay:.2f} s: {error}")
        self._wait(delay)

    def follow(self) -> int:
        failures = 0
        self._deadline = None if self.s.timeout is None else self.clock() + self.s.timeout
        try:
            while True:
                try:
                    state, data = self.status()
                except Transient as error:
                    failures += 1
                    self._backoff(failures, error)
                    continue
                failures = 0
                size = byte_count(data.get("dataSize"))
                self.progress.state(self.s.task_id, state, size)
                if state == 3:
                    outcome = self._fetch(data.get("downloadUrl"), size)
                    if outcome is not None:
                        return outcome
                elif state == 2:
                    return FAILED
                elif state == 5:
                    return CANCELLED
                elif state in (6, 7):
                    return DELETED
                self._wait(self.s.interval)
        except GiveUp as error:
            self.progress.note(f"giving up: {error}")
            return GAVE_UP
        finally:
            self.progress.done()

    def _fetch(self, url: Any, size: int | None) -> int | None:
        """Download after success; None means "poll again" (the file was gone)."""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise GiveUp(f"success without a usable downloadUrl: {url!r}")
        failures = 0
        while True:
            try:
                written = self.download(url, size)
            except FileGone:
                self.progress.note("the file is gone; checking the task")
                return None
            except Transient as error:
                failures += 1
                self._backoff(failures, error)
                continue
            self.progress.note(f"downloaded {written} bytes to {self.s.output}")
            return SUCCEEDED


# -- command line ------------------------------------------------------------------

def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value else default


def add_poll_parser(sub) -> None:
    p = sub.add_parser("poll", help="follow a download task to its end and fetch its file (the reference client)",
                       description="Follow a download task, show its progress, download its file. "
                                   "Defaults come from the DFMOCK_* variables of docs/client-protocol.md. "
                                   "Exit: 0 file written, 3 failed, 4 cancelled, 5 deleted, 1 gave up, 2 bad usage.")
    p.add_argument("--base-url", default=_env("DFMOCK_BASE_URL"), help="gateway address, e.g. https://apim.example.com")
    p.add_argument("--org", default=_env("DFMOCK_ORG_ID"), help="orgId")
    p.add_argument("--channel", default=_env("DFMOCK_CHANNEL_ID"), help="read channel id")
    p.add_argument("--task", default=_env("DFMOCK_TASK_ID"), help="task id")
    p.add_argument("--output", default=_env("DFMOCK_OUTPUT"), help="where to write the file")
    p.add_argument("--interval", type=float, default=float(_env("DFMOCK_POLL_INTERVAL", "2")),
                   help="seconds between polls (default DFMOCK_POLL_INTERVAL or 2)")
    p.add_argument("--max-failures", type=int, default=8, help="failures in a row before giving up (default 8)")
    p.add_argument("--request-timeout", type=float, default=30.0, help="seconds per request (default 30)")
    p.add_argument("--timeout", type=float, help="give up after this many seconds overall")
    p.add_argument("--app-key", default=_env("DFMOCK_APP_KEY"), help="APIM app key (signs requests with --app-secret)")
    p.add_argument("--app-secret", default=_env("DFMOCK_APP_SECRET"), help="APIM app secret")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run_poll)


def make_signer(base_url: str, app_key: str | None, app_secret: str | None):
    if not (app_key and app_secret):
        return None
    from .signing import Signer  # the kit's APIM request signing

    return Signer(base_url, app_key, app_secret)


def run_poll(args) -> int:
    missing = [flag for flag, value in (("--base-url", args.base_url), ("--org", args.org), ("--channel", args.channel),
                                        ("--task", args.task), ("--output", args.output)) if not value]
    if missing:
        print(f"dfmock poll: missing {', '.join(missing)} (or the matching DFMOCK_* variables)", file=sys.stderr)
        return USAGE
    if not args.interval > 0:
        print("dfmock poll: --interval must be above 0", file=sys.stderr)
        return USAGE
    settings = PollSettings(args.base_url, args.org, args.channel, args.task, Path(args.output),
                            interval=args.interval, max_failures=max(1, args.max_failures),
                            request_timeout=args.request_timeout, timeout=args.timeout)
    try:
        signer = make_signer(args.base_url, args.app_key, args.app_secret)
    except ImportError:
        print("dfmock poll: request signing is not available in this installation", file=sys.stderr)
        return USAGE
    follower = Follower(settings, signer=signer, progress=Progress(sys.stderr, quiet=args.quiet))
    try:
        return follower.follow()
    except KeyboardInterrupt:
        return 130


def follow_from_env(env: "dict[str, str] | os._Environ[str]", *, quiet: bool = True) -> int:
    """The reference client as a callable of the client protocol (for in-process runners)."""
    settings = PollSettings(env["DFMOCK_BASE_URL"], env["DFMOCK_ORG_ID"], env["DFMOCK_CHANNEL_ID"],
                            env["DFMOCK_TASK_ID"], Path(env["DFMOCK_OUTPUT"]),
                            interval=float(env.get("DFMOCK_POLL_INTERVAL") or 2))
    signer = make_signer(settings.base_url, env.get("DFMOCK_APP_KEY"), env.get("DFMOCK_APP_SECRET"))
    return Follower(settings, signer=signer, progress=Progress(sys.stderr, quiet=quiet)).follow()


def main(argv: list[str] | None = None) -> int:
    """``python -m contract_tests.refclient`` = ``dfmock poll``, without loading the emulator."""
    import argparse

    parser = argparse.ArgumentParser(prog="dfmock")
    add_poll_parser(parser.add_subparsers())
    args = parser.parse_args(["poll", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

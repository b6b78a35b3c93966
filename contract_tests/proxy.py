"""``dfmock proxy``: a validating proxy to put between a client and the real gateway
(or the emulator standing in for it).

Every request is forwarded unchanged (method, path, query, headers including the
``apim-*`` auth headers, body) to ``--upstream``, the only host the proxy ever talks
to; the upstream's answer comes back unchanged (hop-by-hop headers aside), and is
checked on the way: the request and answer bodies against the contract (``--profile``),
each task's statuses with the lifecycle checker, a downloaded file's size against
the last ``dataSize`` of its task (streamed through, never held in memory).

Violations go to the answer's ``X-Dfmock-Violations`` header (count) and
``X-Dfmock-Violation-Summary`` (paths and rules), to the log, and to the reports
written on exit (``--report`` JSON, ``--junit`` JUnit XML). ``--strict`` replaces a
violating answer with a 502 envelope (code 90502); an unreachable upstream is a 502
envelope with code 90504 either way, and a failed exchange in the reports (rule
``upstream:reachable``, message ``upstream unreachable: <reason>``); so is a JSON
answer whose body breaks off after its headers (``upstream broke off mid-answer:
<reason>``). A file whose size turns out wrong is reported after it was streamed (its
headers were already sent). Request bodies above ``--max-body-bytes`` get a 413 envelope
(code 90413) and are never forwarded.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit

import requests
import urllib3

from .exchanges import ExchangeChecker, Finding, classify
from .schemas import PROFILES
from .violations import Violation

log = logging.getLogger("dfmock.proxy")

HEADER_COUNT = "X-Dfmock-Violations"
HEADER_SUMMARY = "X-Dfmock-Violation-Summary"
CODE_VIOLATION, CODE_UNREACHABLE, CODE_TOO_LARGE = 90502, 90504, 90413
#: The largest request body forwarded (the family's biggest, a create body, is a few KiB).
MAX_BODY_BYTES = 1024 * 1024
#: The rule of the finding recorded for an exchange whose upstream could not be reached.
RULE_UNREACHABLE = "upstream:reachable"
#: RFC 9110 hop-by-hop headers (and the ones requests recomputes): never forwarded.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "transfer-encoding", "upgrade", "host", "content-length"})
CHUNK = 64 * 1024


def _error_body(code: int, message: str) -> bytes:
    return json.dumps({"code": code, "msg": message, "data": None}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def _ascii(text: str, limit: int = 400) -> str:
    text = text.encode("ascii", "replace").decode("ascii").replace("\r", " ").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ValidatingProxy:
    """The proxy as a WSGI app. ``session``: the HTTP client used for the upstream."""

    def __init__(self, upstream: str, *, profile: str = "lenient", strict: bool = False,
                 session: requests.Session | None = None, timeout: float = 60.0,
                 max_body_bytes: int = MAX_BODY_BYTES) -> None:
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"--upstream must be http(s)://host[:port][/base], got {upstream!r}")
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; use one of {', '.join(PROFILES)}")
        self.upstream = upstream.rstrip("/")
        self.strict = strict
        self.timeout = timeout
        self.max_body_bytes = max_body_bytes
        self.session = session or requests.Session()
        self.session.trust_env = False  # the upstream is the only host: no proxies from the environment
        self.checker = ExchangeChecker(profile)
        self.unreachable = 0  # exchanges answered 90504 (also findings, rule upstream:reachable)
        self._lock = threading.Lock()

    # -- WSGI ------------------------------------------------------------------

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "") or "/"
        raw_path = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        query = environ.get("QUERY_STRING", "")
        declared = self._declared_length(environ)
        if declared > self.max_body_bytes:  # refused here: never read, never forwarded
            payload = _error_body(CODE_TOO_LARGE, f"dfmock proxy: request body of {declared} bytes is larger than "
                                                  f"the proxy's limit of {self.max_body_bytes} bytes")
            start_response("413 Content Too Large", [("Content-Type", "application/json"),
                                                     ("Content-Length", str(len(payload)))])
            return [payload]
        body = environ["wsgi.input"].read(declared) if declared > 0 else b""
        url = self.upstream + (_path_of(raw_path) if raw_path else _quote_path(path)) + (f"?{query}" if query else "")
        headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
                   if key.startswith("HTTP_") and key[5:].replace("_", "-").lower() not in HOP_BY_HOP}
        for key in ("CONTENT_TYPE",):
            if environ.get(key):
                headers["Content-Type"] = environ[key]
        try:
            upstream = self.session.request(method, url, data=body or None, headers=headers, stream=True,
                                            allow_redirects=False, timeout=self.timeout)
        except requests.RequestException as exc:
            return self._unreachable(method, path, exc, start_response)
        route, task_id = classify(method, path)
        out_headers = [(k, v) for k, v in upstream.raw.headers.items() if k.lower() not in HOP_BY_HOP]
        status_line = f"{upstream.status_code} {upstream.reason or ''}".strip()
        content_type = upstream.headers.get("Content-Type", "").lower()
        if route == "data" and upstream.status_code == 200 and "json" not in content_type:
            return self._stream_file(upstream, task_id, method, path, body, status_line, out_headers, start_response)
        try:
            answer = upstream.raw.read(decode_content=False)
        except (urllib3.exceptions.HTTPError, OSError) as exc:  # headers came, then the connection broke
            return self._unreachable(method, path, exc, start_response, broke_off=True)
        finally:
            upstream.close()
        decoded = _decoded(answer, upstream.headers.get("Content-Encoding"))
        with self._lock:
            finding = self.checker.check_exchange(method, path, upstream.status_code, body,
                                                  dict(upstream.headers), decoded)
        self._log(finding)
        if finding.violations and self.strict:
            payload = _error_body(CODE_VIOLATION, "dfmock proxy (strict): the upstream answer broke the contract: "
                                  + finding.summary(5))
            start_response("502 Bad Gateway", [("Content-Type", "application/json"),
                                               ("Content-Length", str(len(payload))), *self._marks(finding)])
            return [payload]
        start_response(status_line, [*out_headers, ("Content-Length", str(len(answer))), *self._marks(finding)])
        return [answer]

    def _unreachable(self, method: str, path: str, exc: Exception, start_response, *, broke_off: bool = False):
        """The 90504 answer; the exchange counts as a failed one in the report (rule
        ``upstream:reachable``), since the client got no (whole) answer from the upstream.
        ``broke_off``: the upstream sent its headers, then its body fell short."""
        reason = _reason(exc)
        what = "broke off mid-answer" if broke_off else "unreachable"
        route, task_id = classify(method, path)
        with self._lock:
            finding = Finding(self.checker.next_seq(), method.upper(), path, 502, route, None, task_id)
            finding.violations.append(Violation("$", RULE_UNREACHABLE, f"upstream {what}: {reason}",
                                                self.upstream))
            self.checker.keep(finding)
            self.unreachable += 1
        log.error("%s: upstream %s %s: %s", finding.name, self.upstream, what, reason)
        problem = "broke off mid-answer" if broke_off else "cannot be reached"
        payload = _error_body(CODE_UNREACHABLE, f"dfmock proxy: the upstream {self.upstream} {problem} ({reason})")
        start_response("502 Bad Gateway", [("Content-Type", "application/json"),
                                           ("Content-Length", str(len(payload))), *self._marks(finding)])
        return [payload]

    def _stream_file(self, upstream, task_id, method, path, body, status_line, out_headers, start_response):
        with self._lock:
            finding = Finding(self.checker.next_seq(), method.upper(), path, upstream.status_code, "data", "file",
                              task_id)
            finding.violations += self.checker.check_request("data", body)
            length = upstream.headers.get("Content-Length")
            announced = int(length) if length and length.isdigit() else None
            finding.violations += self.checker.check_file(task_id, announced, announced=True)
        if finding.violations and self.strict:
            upstream.close()
            with self._lock:
                self.checker.keep(finding)
            self._log(finding)
            payload = _error_body(CODE_VIOLATION, "dfmock proxy (strict): " + finding.summary(5))
            start_response("502 Bad Gateway", [("Content-Type", "application/json"),
                                               ("Content-Length", str(len(payload))), *self._marks(finding)])
            return [payload]
        headers = list(out_headers)
        if announced is not None:
            headers.append(("Content-Length", str(announced)))
        if finding.violations:  # known before a byte is sent: in the report at once
            with self._lock:
                self.checker.keep(finding)
            self._log(finding)
        start_response(status_line, [*headers, *self._marks(finding)])
        return self._relay(upstream, finding, task_id, announced)

    def _relay(self, upstream, finding: Finding, task_id: str | None, announced: int | None) -> Iterable[bytes]:
        counted = 0
        complete = False
        before = len(finding.violations)
        try:
            for chunk in upstream.raw.stream(CHUNK, decode_content=False):
                counted += len(chunk)
                yield chunk
            complete = True
        except Exception as exc:  # the upstream broke off: report it, end the answer
            finding.violations.append(Violation("$", "file:complete", f"the upstream broke off after {counted} "
                                                f"bytes: {type(exc).__name__}", counted))
        finally:
            upstream.close()
            with self._lock:
                if complete and not any(v.rule == "file:size-matches-data-size" for v in finding.violations):
                    finding.violations += self.checker.check_file(task_id, counted, announced=False)
                added = len(finding.violations) - before
                if added and before:
                    self.checker.violations += added  # the finding is in the report already
                elif added:
                    self.checker.keep(finding)
            if added:
                self._log(finding)

    @staticmethod
    def _declared_length(environ) -> int:
        try:
            return int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 0

    @staticmethod
    def _marks(finding: Finding) -> list[tuple[str, str]]:
        if not finding.violations:
            return []
        return [(HEADER_COUNT, str(len(finding.violations))), (HEADER_SUMMARY, _ascii(finding.summary()))]

    @staticmethod
    def _log(finding: Finding) -> None:
        if finding.violations:
            log.warning("%s -> HTTP %s: %d violation(s): %s", finding.name, finding.status,
                        len(finding.violations), "; ".join(str(v) for v in finding.violations))

    # -- reports ---------------------------------------------------------------

    def report(self) -> dict:
        with self._lock:
            return {"upstream": self.upstream, "strict": self.strict, **self.checker.to_dict(),
                    "unreachable": self.unreachable}

    def write_reports(self, json_path: Path | None = None, junit_path: Path | None = None) -> None:
        if json_path is not None:
            Path(json_path).write_text(json.dumps(self.report(), ensure_ascii=False, indent=2) + "\n", "utf-8")
        if junit_path is not None:
            with self._lock:
                Path(junit_path).write_bytes(self.checker.to_junit("dfmock-proxy"))


def _reason(exc: BaseException) -> str:
    """Why an upstream request failed, on one line, from the innermost cause requests
    and urllib3 wrap (``ConnectionRefusedError: [Errno 111] Connection refused``)."""
    root, seen = exc, set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        root = current
        nested = getattr(current, "reason", None)  # urllib3's MaxRetryError
        if not isinstance(nested, BaseException):
            nested = current.args[0] if current.args and isinstance(current.args[0], BaseException) else None
        current = nested or current.__cause__ or current.__context__
    text = str(root) or type(root).__name__
    return _ascii(f"{type(root).__name__}: {text}", 300)


def _path_of(raw: str) -> str:
    """The path part of a raw request target (origin-form or absolute-form), unchanged."""
    if raw.startswith(("http://", "https://")):
        parts = urlsplit(raw)
        raw = parts.path or "/"
    return raw.split("?", 1)[0] or "/"


def _quote_path(path: str) -> str:
    from urllib.parse import quote

    # PEP 3333 decoded the path as latin-1; put the original bytes back.
    return quote(path.encode("latin-1", "replace"), safe="/:@!$&'()*+,;=-._~%")


def _decoded(body: bytes, encoding: str | None) -> bytes:
    if not encoding or encoding.lower() == "identity":
        return body
    import zlib

    try:
        if encoding.lower() == "gzip":
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if encoding.lower() == "deflate":
            return zlib.decompress(body)
    except zlib.error:
        return body
    return body


# -- the command ---------------------------------------------------------------

def add_proxy_parser(sub) -> None:
    p = sub.add_parser("proxy", help="forward to a gateway and validate everything that passes",
                       description="Forward every request unchanged to --upstream and check each answer against "
                                   "the contract; violations go to the X-Dfmock-Violations header, the log and the "
                                   "reports written on exit.")
    p.add_argument("--upstream", required=True, help="the gateway (or emulator), e.g. https://apigw.example.com")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8081, help="port (default 8081; 0 picks a free one)")
    p.add_argument("--port-file", type=Path, help="write the port here once listening")
    p.add_argument("--profile", choices=PROFILES, default="lenient", help="contract profile (default lenient)")
    p.add_argument("--strict", action="store_true", help="answer 502 (code 90502) instead of a violating answer")
    p.add_argument("--report", type=Path, help="JSON report written on exit")
    p.add_argument("--junit", type=Path, help="JUnit XML report written on exit")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per upstream request (default 60)")
    p.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    p.add_argument("--max-body-bytes", type=int, default=MAX_BODY_BYTES,
                   help=f"largest request body forwarded; larger ones get 413, code 90413 (default {MAX_BODY_BYTES})")
    p.set_defaults(func=run_proxy)


def serve(proxy: ValidatingProxy, host: str = "127.0.0.1", port: int = 0, threads: int = 8):
    """A bound waitress server for ``proxy`` (call ``.run()``; ``.effective_port`` is the port)."""
    from waitress.server import create_server

    # waitress reads a whole body (spooled to a temp file past 512 KiB) before the app sees it
    # and the app answers the 90413 envelope; far past the limit, waitress refuses it itself
    # (plain-text 413), so a client cannot fill the disk either.
    return create_server(proxy, host=host, port=port, threads=threads, ident="dfmock-proxy",
                         clear_untrusted_proxy_headers=True, max_request_body_size=64 * proxy.max_body_bytes)


def run_proxy(args) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        if args.max_body_bytes < 1:
            raise ValueError(f"--max-body-bytes must be at least 1, got {args.max_body_bytes}")
        proxy = ValidatingProxy(args.upstream, profile=args.profile, strict=args.strict, timeout=args.timeout,
                                max_body_bytes=args.max_body_bytes)
        server = serve(proxy, args.host, args.port, args.threads)
    except ValueError as exc:
        print(f"dfmock proxy: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"dfmock proxy: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    port = int(server.effective_port)  # type: ignore[attr-defined]

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:  # written once a SIGTERM would already write the reports
        args.port_file.write_text(f"{port}\n")
    print(f"dfmock proxy on http://{args.host}:{port} -> {proxy.upstream} (profile {args.profile}"
          f"{', strict' if args.strict else ''})", flush=True)
    try:
        server.run()
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        proxy.write_reports(args.report, args.junit)
        summary = proxy.report()
        unreachable = f", upstream unreachable {summary['unreachable']} time(s)" if summary["unreachable"] else ""
        print(f"dfmock proxy stopped: {summary['exchanges']} exchange(s), {summary['violations']} violation(s)"
              f"{unreachable}", flush=True)
    return 1 if proxy.report()["violations"] else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dfmock")
    add_proxy_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

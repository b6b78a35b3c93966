"""``dfmock validate`` and ``dfmock check``: the kit on the command line.

The ``dfmock`` command (mock_server.cli) registers these with
``add_subcommands(subparsers)``; ``python -m contract_tests.cli`` runs them alone.

Exit codes: 0 valid, 1 violations found, 2 the check could not be made (bad
usage, unreadable file, unreachable URL).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import requests

from .schemas import KINDS, PROFILES
from .targets import HttpTarget
from .validator import check_message, check_response
from .violations import Violation

EXIT_VALID, EXIT_VIOLATIONS, EXIT_USAGE = 0, 1, 2


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", choices=PROFILES, default="lenient",
                        help="lenient (default): every form the gateway sends; documented: the docs' "
                             "table types; sample: the published samples' forms")
    parser.add_argument("--format", choices=("text", "json"), default="text", dest="output_format",
                        help="report format (default text)")


def add_subcommands(subparsers) -> None:
    """Register ``validate`` and ``check`` on an argparse subparsers object."""
    validate = subparsers.add_parser(
        "validate", help="validate a captured message against the contract",
        description="Validate one JSON message (a response body, request body or callback). "
                    "Exit 0 valid, 1 violations, 2 usage.")
    validate.add_argument("file", metavar="FILE|-", help="JSON file, or - for standard input; a .har or "
                                                         ".jsonl capture is checked exchange by exchange")
    validate.add_argument("--kind", choices=KINDS, help="message kind (default: detected from the content)")
    validate.add_argument("--task-id", help="the task the message must be about")
    _common_options(validate)
    validate.set_defaults(func=run_validate)

    check = subparsers.add_parser(
        "check", help="fetch one live status and validate it",
        description="GET a task's status from a gateway or emulator, validate it, print the verdict. "
                    "Exit 0 valid, 1 violations, 2 could not check.")
    check.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8080 or https://apigw.example.com")
    check.add_argument("--org", required=True, help="orgId")
    check.add_argument("--channel", required=True, help="read channel id")
    check.add_argument("--task", required=True, help="task id")
    check.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    _common_options(check)
    check.set_defaults(func=run_check)


def _print(report, args) -> int:
    print(report.to_json() if args.output_format == "json" else report.to_text())
    return EXIT_VALID if report.ok else EXIT_VIOLATIONS


def run_validate(args) -> int:
    if args.file == "-":
        source, label = sys.stdin.buffer.read(), "<stdin>"
    else:
        path = Path(args.file)
        if not path.is_file():
            print(f"dfmock validate: no such file: {args.file}", file=sys.stderr)
            return EXIT_USAGE
        from .captures import capture_format, run_capture

        if capture_format(path) and args.kind is None:  # a HAR file or JSON lines: every exchange and task
            return run_capture(path, args.profile, args.output_format)
        source, label = path, args.file
    report = check_message(source, args.kind, args.profile, task_id=args.task_id, source=label)
    return _print(report, args)


def run_check(args) -> int:
    target = HttpTarget(args.base_url, timeout=args.timeout)
    try:
        response = target.get_status(args.org, args.channel, args.task)
    except requests.RequestException as exc:
        print(f"dfmock check: cannot reach {args.base_url}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = check_response(response, None, args.profile, task_id=args.task)
    report.source = f"GET {response.url} -> HTTP {response.status}"
    if report.kind == "error-envelope":
        body = response.json()
        report.violations.insert(0, Violation("$.code", "check:status-answered",
                                              f"no status: the gateway refused with {body.get('msg')!r}",
                                              body.get("code")))
    elif report.kind not in (None, "status-answer"):
        report.violations.insert(0, Violation("$", "check:status-answered",
                                              f"the answer reads as a {report.kind}, not a status answer", None))
    return _print(report, args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dfmock", description="The dfmock contract kit.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_subcommands(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

"""``dfmock test-client`` (judge a client command against generated scenarios) and
``dfmock poll`` (the reference client). The emulator is reached over HTTP only: an
already running one (``--target URL``) or one started as a child process."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..refclient import add_poll_parser

_SERVING = re.compile(r"serving on (http://\S+)")


def add_subcommands(sub) -> None:
    add_test_client_parser(sub)
    add_poll_parser(sub)


def add_test_client_parser(sub) -> None:
    p = sub.add_parser(
        "test-client", help="judge a client command against generated scenarios",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run COMMAND once per generated scenario with the DFMOCK_* environment "
                    "(docs/client-protocol.md), judge each run, and shrink the first failure to the smallest "
                    "scenario. Exit 0: no findings; 1: a finding (report on stdout); 2: bad usage or no emulator.",
        epilog="example:\n  dfmock test-client --examples 200 -- dfmock poll\n"
               "  dfmock test-client --replay '{\"outcome\":\"failed\"}' -- ./my-client.sh")
    p.add_argument("--examples", type=int, default=100, help="scenarios to generate (default 100)")
    p.add_argument("--seed", type=int, help="Hypothesis seed (same seed, same scenarios)")
    p.add_argument("--derandomize", action="store_true", help="derive scenarios from the test itself (CI-stable)")
    p.add_argument("--max-shrinks", type=int, default=150, help="extra runs spent shrinking a failure (default 150)")
    p.add_argument("--interval", type=float, default=0.05, help="DFMOCK_POLL_INTERVAL in seconds (default 0.05)")
    p.add_argument("--retry-after", type=float, default=1.0,
                   help="Retry-After of 429 faults in seconds (default 1; decimals below 1 are a dfmock extension)")
    p.add_argument("--time-limit", type=float, default=30.0, help="seconds one run may take before it is killed")
    p.add_argument("--target", help="base URL of a running emulator (default: start one)")
    p.add_argument("--no-auth", action="store_true",
                   help="never turn APIM auth on (default: half the scenarios sign requests, when the emulator can check them)")
    p.add_argument("--replay", help="run exactly this scenario (JSON, or @FILE) instead of generating")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    p.set_defaults(func=run_test_client)


@contextmanager
def emulator_process(seed: int = 0) -> Iterator[str]:
    """A ``dfmock serve`` child process on a free loopback port; yields its base URL."""
    proc = subprocess.Popen([sys.executable, "-m", "mock_server.cli", "serve", "--host", "127.0.0.1", "--port", "0",
                             "--clock", "step:1s", "--seed", str(seed), "--journal-size", "5000"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = _SERVING.search(first)
        if not match:
            from .runner import RunnerError

            raise RunnerError(f"the emulator did not start: {first.strip() or 'no output'}")
        yield match.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _scenario(text: str):
    from .scenario import Scenario

    if text.startswith("@"):
        text = Path(text[1:]).read_text("utf-8")
    return Scenario.from_json(text)


def run_test_client(args) -> int:
    from .runner import RunnerError  # Hypothesis loads only when a client is tested

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("dfmock test-client: give the client command after --, e.g. -- dfmock poll", file=sys.stderr)
        return 2
    try:
        replay = _scenario(args.replay) if args.replay else None
    except (OSError, ValueError, TypeError) as exc:
        print(f"dfmock test-client: --replay: {exc}", file=sys.stderr)
        return 2
    try:
        if args.target:
            return _run(args, command, args.target, replay)
        with emulator_process() as base_url:
            return _run(args, command, base_url, replay)
    except RunnerError as exc:
        print(f"dfmock test-client: {exc}", file=sys.stderr)
        return 2


def _run(args, command: list[str], base_url: str, replay) -> int:
    from .runner import ClientRunner

    runner = ClientRunner(base_url, command, poll_interval=args.interval, time_limit=args.time_limit,
                          retry_after=args.retry_after)
    runner.auth = not args.no_auth and runner.emulator_has_auth()
    if replay is not None:
        result = runner.run(replay)
        if result.ok:
            print(f"no findings: the scenario passed ({result.facts.elapsed:.2f} s)")
            return 0
        from .report import render_report

        print(render_report(result, runner.replay_hint(replay)))
        return 1
    exploration = runner.explore(args.examples, seed=args.seed, derandomize=args.derandomize,
                                 max_shrinks=args.max_shrinks, on_run=_progress(sys.stderr))
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
    print(exploration.report())
    return 0 if exploration.ok else 1


def _progress(stream):
    """A live count on a terminal; a line every 50 runs otherwise."""
    failing = [0]

    def show(result, runs: int) -> None:
        failing[0] += not result.ok
        text = f"{runs} scenario runs, {failing[0]} failing" + (" (shrinking)" if failing[0] else "")
        if stream.isatty():
            stream.write("\r\033[K" + text)
            stream.flush()
        elif runs % 50 == 0:
            stream.write(text + "\n")
            stream.flush()

    return show

"""Run a client under test against generated scenarios and judge each run.

``ClientRunner(base_url, client)`` talks to an emulator over HTTP only (its admin
API: ``/__admin/config`` swaps in a fresh emulator with the scenario's wire
switches and the ``step`` clock, ``/__admin/tasks`` creates the task,
``/__admin/faults`` aims the scenario's faults at it, ``/__admin/requests`` is the
journal). ``client`` is a command (a list of arguments, run once per scenario with
the DFMOCK_* environment) or a Python callable taking that environment as a dict
and returning the exit status.

``runner.run(scenario)`` judges one scenario; ``runner.explore(...)`` lets
Hypothesis generate scenarios, shrinks the first failure to the smallest scenario
that shows it, and returns an ``Exploration`` whose ``report()`` says what broke.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import requests
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Flaky

from .judge import FINAL_STATES, RunFacts, Violation, judge, route_of
from .report import render_report
from .scenario import Scenario, expected_exit, scenarios

ORG_ID = "o15504722874071"
CHANNEL_ID = "ch-dee0c5"
#: The app the runner registers when auth is on (DFMOCK_APP_KEY / DFMOCK_APP_SECRET).
APP_KEY, APP_SECRET = "dfmock-runner", "dfmock-runner-secret"
ClientCallable = Callable[[Mapping[str, str]], int]


class RunnerError(RuntimeError):
    """The runner could not set a scenario up (the emulator refused, or is unreachable)."""


@dataclass
class RunResult:
    scenario: Scenario
    facts: RunFacts
    violations: list[Violation]
    task_id: str
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass
class Exploration:
    """The outcome of ``explore``: how many scenarios ran, and the shrunk failure if any."""

    runs: int
    elapsed: float
    failure: RunResult | None
    replay_hint: str = ""
    examples: int = 0
    summary: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failure is None

    def report(self) -> str:
        if self.failure is None:
            return f"no findings: {self.runs} scenario runs in {self.elapsed:.1f} s"
        return render_report(self.failure, self.replay_hint, runs=self.runs, elapsed=self.elapsed)


class _ClientFailed(Exception):
    def __init__(self, result: RunResult) -> None:
        super().__init__(result.violations[0].message)
        self.result = result


class ClientRunner:
    def __init__(self, base_url: str, client: Sequence[str] | ClientCallable, *, poll_interval: float = 0.05,
                 time_limit: float = 30.0, retry_after: float = 1.0, auth: bool = False,
                 workdir: str | Path | None = None, extra_env: Mapping[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.poll_interval = poll_interval
        self.time_limit = time_limit
        self.retry_after = retry_after
        self.auth = auth
        self.extra_env = dict(extra_env or {})
        self._workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="dfmock-client-"))
        self._http = requests.Session()

    # -- one scenario ------------------------------------------------------------

    def _admin(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = self._http.request(method, f"{self.base_url}/__admin{path}", timeout=10, **kwargs)
        except requests.RequestException as exc:
            raise RunnerError(f"the emulator at {self.base_url} is unreachable: {exc}") from None
        if response.status_code >= 400:
            raise RunnerError(f"{method} /__admin{path} answered {response.status_code}: {response.text[:300]}")
        return response.json()

    def _prepare(self, scenario: Scenario) -> str:
        settings: dict = {"clock": "step:1s", "seed": scenario.seed, "wire": scenario.wire(), "faults": []}
        if self.auth:
            # Signatures are checked; timestamps are not (the step clock is not wall time).
            settings["auth"] = {"mode": "verify" if scenario.auth else "off", "apps": [f"{APP_KEY}:{APP_SECRET}"],
                                "timestamp_window": "off"}
        elif scenario.auth:
            raise RunnerError("an auth scenario needs a runner made with auth=True")
        self._admin("POST", "/config", json=settings)
        task = self._admin("POST", "/tasks", json={"orgId": ORG_ID, "channelId": CHANNEL_ID,
                                                    "timeline": scenario.timeline()})
        if scenario.task_faults():
            self._admin("POST", "/faults", json={"faults": scenario.task_faults(), "task": task["taskId"]})
        return task["taskId"]

    def emulator_has_auth(self) -> bool:
        """Whether the emulator can check APIM auth (``auth`` in ``GET /__admin/config``)."""
        return "auth" in self._admin("GET", "/config")

    def environment(self, task_id: str, output: Path, auth: bool = False) -> dict[str, str]:
        credentials = {"DFMOCK_APP_KEY": APP_KEY, "DFMOCK_APP_SECRET": APP_SECRET} if auth else {}
        return {
            **credentials,
            "DFMOCK_BASE_URL": self.base_url,
            "DFMOCK_ORG_ID": ORG_ID,
            "DFMOCK_CHANNEL_ID": CHANNEL_ID,
            "DFMOCK_TASK_ID": task_id,
            "DFMOCK_OUTPUT": str(output),
            "DFMOCK_POLL_INTERVAL": f"{self.poll_interval:g}",
            **self.extra_env,
        }

    def run(self, scenario: Scenario) -> RunResult:
        task_id = self._prepare(scenario)
        output = self._workdir / f"output-{task_id[:8]}"
        output.unlink(missing_ok=True)
        env = self.environment(task_id, output, scenario.auth)
        started = time.monotonic()
        if callable(self.client):
            exit_code, killed, stdout, stderr = self._run_callable(env)
        else:
            exit_code, killed, stdout, stderr = self._run_command(env)
        elapsed = time.monotonic() - started
        journal = self._admin("GET", "/requests")["requests"]
        detail = self._admin("GET", f"/tasks/{task_id}")
        expectation = expected_exit(detail)
        served = None
        if expectation.exit_code == 0 and exit_code == 0:
            served = self._served_file(detail["dataPath"], scenario.auth)
        written = output.read_bytes() if output.exists() else None
        facts = RunFacts(exit_code=exit_code, killed_reason=killed, elapsed=elapsed,
                         expected_exit=expectation.exit_code, expected_reason=expectation.reason,
                         journal=journal, org_id=ORG_ID, poll_interval=self.poll_interval,
                         output=written, served=served, auth=scenario.auth)
        output.unlink(missing_ok=True)
        return RunResult(scenario, facts, judge(facts), task_id, stdout, stderr)

    def _served_file(self, path: str, auth: bool) -> bytes:
        self._admin("DELETE", "/faults")  # the runner's own download must not be faulted
        url = self.base_url + path
        headers = {}
        if auth:
            from ..signing import Signer

            headers = Signer(self.base_url, APP_KEY, APP_SECRET, session=self._http).headers("GET", url)
        response = self._http.get(url, headers=headers, timeout=60)
        if response.status_code != 200:
            raise RunnerError(f"the runner could not fetch the served file: HTTP {response.status_code} "
                              f"{response.text[:200]}")
        return response.content

    def _hopeless(self) -> str | None:
        """A reason to stop the client now: a rule it broke that more time cannot mend."""
        journal = self._admin("GET", "/requests")["requests"]
        if len(journal) > 500:
            return f"more than 500 requests for one task (stopped after {len(journal)})"
        final_at = next((i for i, e in enumerate(journal) if route_of(e) == "status" and e.get("state") in (2, 5, 7)
                         and e["status"] == 200 and not e.get("fault")), None)
        if final_at is not None and len(journal) - final_at > 5:
            state = journal[final_at]["state"]
            return f"still polling after the task was {FINAL_STATES[state]} ({len(journal) - final_at - 1} more requests)"
        return None

    def _run_command(self, env: dict[str, str]) -> tuple[int | None, str | None, str, str]:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            try:
                inherited = {k: v for k, v in os.environ.items() if not k.startswith("DFMOCK_")}
                proc = subprocess.Popen(list(self.client), env={**inherited, **env}, stdout=out, stderr=err,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
            except OSError as exc:
                raise RunnerError(f"cannot start {shlex.join(self.client)}: {exc}") from None
            deadline = time.monotonic() + self.time_limit
            killed = None
            while True:
                try:
                    code: int | None = proc.wait(timeout=min(0.1, max(0.0, deadline - time.monotonic())))
                    break
                except subprocess.TimeoutExpired:
                    pass
                killed = self._hopeless()
                if killed is None and time.monotonic() >= deadline:
                    killed = f"no exit within the time limit of {self.time_limit:g} s"
                if killed is not None:
                    _kill_group(proc)
                    code = None
                    break
            out.seek(0)
            err.seek(0)
            return code, killed, _tail(out.read()), _tail(err.read())

    def _run_callable(self, env: dict[str, str]) -> tuple[int | None, str | None, str, str]:
        box: dict[str, object] = {}

        def target() -> None:
            try:
                box["code"] = int(self.client(env))  # type: ignore[operator]
            except BaseException as exc:  # a crash is a give-up, reported with its message
                box["code"] = 1
                box["error"] = f"{type(exc).__name__}: {exc}"

        thread = threading.Thread(target=target, name="dfmock-client", daemon=True)
        thread.start()
        deadline = time.monotonic() + self.time_limit
        killed = None
        while thread.is_alive():
            thread.join(timeout=min(0.1, max(0.0, deadline - time.monotonic())))
            if not thread.is_alive():
                break
            killed = self._hopeless() or (f"no return within the time limit of {self.time_limit:g} s"
                                          if time.monotonic() >= deadline else None)
            if killed:
                # A thread cannot be killed: make every further request of this task fail fast.
                self._admin("POST", "/faults", json="503@always/any")
                break
        code = None if killed else box.get("code")
        return code, killed, "", str(box.get("error", ""))  # type: ignore[return-value]

    # -- many scenarios ---------------------------------------------------------------

    def explore(self, max_examples: int = 100, *, seed: int | None = None, derandomize: bool = False,
                max_shrinks: int = 150, strategy=None, replay_command: str | None = None,
                on_run: Callable[[RunResult, int], None] | None = None) -> Exploration:
        """Run up to ``max_examples`` generated scenarios; shrink the first failure.
        ``on_run(result, runs)`` is called after each run (progress display)."""
        strategy = strategy or scenarios(retry_after=self.retry_after, auth=self.auth)
        cache: dict[str, RunResult] = {}
        counts = {"runs": 0, "failing": 0}
        started = time.monotonic()

        def run_cached(scenario: Scenario) -> RunResult | None:
            key = scenario.to_json()
            if key in cache:
                return cache[key]
            if counts["failing"] and counts["runs"] >= max_examples + max_shrinks:
                return None  # shrink budget spent: treat new candidates as passing
            counts["runs"] += 1
            result = cache[key] = self.run(scenario)
            if not result.ok:
                counts["failing"] += 1
            if on_run is not None:
                on_run(result, counts["runs"])
            return result

        @settings(max_examples=max_examples, deadline=None, database=None, derandomize=derandomize,
                  phases=(Phase.generate, Phase.shrink), report_multiple_bugs=False, print_blob=False,
                  verbosity=Verbosity.quiet, suppress_health_check=list(HealthCheck))
        @given(strategy)
        def check(scenario: Scenario) -> None:
            result = run_cached(scenario)
            if result is not None and not result.ok:
                raise _ClientFailed(result)

        test = hypothesis_seed(seed)(check) if seed is not None else check
        failure = None
        try:
            test()
        except _ClientFailed as exc:
            failure = exc.result
        except Flaky:  # a failure that did not repeat; report the smallest seen
            failing = [r for r in cache.values() if not r.ok]
            failure = min(failing, key=lambda r: len(r.scenario.to_json())) if failing else None
        hint = ""
        if failure is not None:
            hint = replay_command or self.replay_hint(failure.scenario)
        return Exploration(runs=counts["runs"], elapsed=time.monotonic() - started, failure=failure,
                           replay_hint=hint, examples=max_examples)

    def replay_hint(self, scenario: Scenario) -> str:
        flags = f"--interval {self.poll_interval:g} --retry-after {self.retry_after:g}"
        if callable(self.client):
            name = getattr(self.client, "__qualname__", "client")
            return (f"ClientRunner(base_url, {name}, poll_interval={self.poll_interval:g}, "
                    f"retry_after={self.retry_after:g}).run(Scenario.from_json({scenario.to_json(minimal=True)!r}))")
        return f"dfmock test-client {flags} --replay {shlex.quote(scenario.to_json(minimal=True))} -- {shlex.join(self.client)}"


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the client's own session: it and its children
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def _tail(raw: bytes, lines: int = 12) -> str:
    text = raw.decode("utf-8", "replace").rstrip()
    return "\n".join(text.splitlines()[-lines:])

#!/usr/bin/env python3
"""dfmock's bench: the issue-6 table, measured against nginx in the same run.

    python bench/run.py                 # everything, about 6 minutes on 2 cores
    python bench/run.py --rounds 7 --duration 8 --skip-scale

Needs nginx and wrk on PATH (Debian/Ubuntu: apt-get install nginx-light wrk); it
installs nothing. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
API = "/data-federation/v2.0"
TARGETS = {"ratio32": 0.10, "ratio4": 0.15, "p99_32_ms": 10.0, "cold_s": 0.15, "rss_mb": 100.0,
           "bytes_per_task": 600.0, "file_mb_s": 200.0, "fixture_ms": 5.0}
LUA = textwrap.dedent("""
    local paths = {}
    local i = 0
    init = function(args)
      for line in io.lines(args[1]) do paths[#paths + 1] = line end
      i = math.random(#paths)
    end
    request = function()
      i = i % #paths + 1
      return wrk.format("GET", paths[i])
    end
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER_ENV: dict[str, str] = dict(os.environ)


def use_bytecode_cache(directory: Path) -> None:
    """Run the servers with compiled-bytecode caches, as an installed package has them
    (pip compiles at install time). An environment with PYTHONDONTWRITEBYTECODE set
    recompiles every dfmock module at each start; the cache goes to a temporary
    directory (PYTHONPYCACHEPREFIX), so the checkout is not written to."""
    SERVER_ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    SERVER_ENV["PYTHONPYCACHEPREFIX"] = str(directory)
    # The file route's first use imports Faker and its locale providers: compiled here too, else the
    # download measurement would include compiling them (about 50 MB of RSS from the compiler).
    subprocess.run([sys.executable, "-c", "import mock_server.cli, mock_server.fastserver, mock_server.service, "
                    "mock_server.app, mock_server.runner, uvloop\n"
                    "from mock_server.datafile import csv_content\n"
                    "from mock_server.requests_in import FileSpec\n"
                    "for encoding in ('utf-8', 'gbk'):\n"
                    "    next(csv_content(FileSpec(encoding=encoding), 1).chunks(4096))"],
                   env=SERVER_ENV, check=True)


def dfmock_command() -> list[str]:
    script = Path(sys.executable).with_name("dfmock")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mock_server.cli"]


def check_tools() -> dict[str, str]:
    tools = {name: shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
             for name in ("nginx", "wrk")}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        sys.exit(f"bench needs {' and '.join(missing)}; install with: sudo apt-get install nginx-light wrk")
    return tools  # type: ignore[return-value]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Conn:
    """A keep-alive HTTP/1.1 connection (http.client) with JSON helpers."""

    def __init__(self, port: int) -> None:
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        hdrs = {"Content-Type": "application/json", **(headers or {})} if data else dict(headers or {})
        self.c.request(method, path, body=data, headers=hdrs)
        response = self.c.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else None)


# -- servers -----------------------------------------------------------------

class Dfmock:
    def __init__(self, *extra: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([*dfmock_command(), "serve", "--port", str(self.port), "--clock", "manual",
                                      "--seed", "1", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=SERVER_ENV)
        banner = self.proc.stdout.readline()
        if "serving on" not in banner:
            sys.exit(f"dfmock serve did not start: {banner}{self.proc.stderr.read()}")
        self.base = banner.split("serving on ")[1].split()[0]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Nginx:
    def __init__(self, nginx: str, root: Path) -> None:
        self.port = free_port()
        self.dir = root
        conf = root / "nginx.conf"
        user = "user root;" if os.geteuid() == 0 else ""
        conf.write_text(textwrap.dedent(f"""
            {user}
            worker_processes auto;
            daemon off;
            pid {root}/nginx.pid;
            error_log {root}/error.log warn;
            events {{ worker_connections 4096; }}
            http {{
              access_log off;
              keepalive_requests 100000000;
              keepalive_timeout 65;
              server {{
                listen 127.0.0.1:{self.port};
                location / {{ default_type application/json; root {root}; try_files /status.json =404; }}
              }}
            }}
        """))
        self.proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(root), "-e", str(root / "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        sys.exit(f"nginx did not start: {self.proc.stderr.read().decode(errors='replace')}")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- state -------------------------------------------------------------------

def populate(port: int, tasks: int, rng: random.Random) -> list[str]:
    """``tasks`` tasks in mixed states; returns the status paths of all of them."""
    conn = Conn(port)
    made = []
    for n in range(tasks):
        channel, org = f"ch-{n % 20}", f"o{n % 5}"
        outcome = "failed" if rng.random() < 0.15 else "success"
        timeline = f"waiting:{rng.randint(0, 60)}s,running:{rng.randint(1, 120)}s,{outcome},size:{rng.randint(1, 10**7)}"
        status, body = conn.call("POST", f"{API}/channels/read/{channel}/download-request?orgId={org}",
                                 {"taskName": f"export-{n}", "sourceName": "hive_enos",
                                  "querySql": f"select * from sensor_data where day = {n % 365}",
                                  "filePackageName": f"export-{n}",
                                  "files": [{"split": False, "encoding": "utf-8", "delimiter": ",",
                                             "fileHeader": ["id", "name", "city", "amount", "created_at"]}]},
                                 {"X-Dfmock-Timeline": timeline})
        assert status == 200, body
        made.append((body["data"]["taskId"], channel, org))
    conn.call("POST", "/__admin/clock/advance", {"seconds": 40})
    for task_id, channel, org in rng.sample(made, tasks // 10):  # cancel or delete a tenth
        conn.call("DELETE", f"{API}/channels/read/{channel}/download/{task_id}?orgId={org}")
    conn.call("DELETE", "/__admin/requests")
    return [f"{API}/channels/read/{c}/download/{t}/status?orgId={o}" for t, c, o in made]


def state_mix(port: int) -> dict[str, int]:
    status, tasks = Conn(port).call("GET", "/__admin/tasks")
    mix: dict[str, int] = {}
    for task in tasks if isinstance(tasks, list) else tasks.get("tasks", []):
        mix[task["stateName"]] = mix.get(task["stateName"], 0) + 1
    return mix


# -- wrk ---------------------------------------------------------------------

def wrk(wrk_bin: str, port: int, connections: int, seconds: float, lua: Path, paths: Path) -> dict:
    threads = min(2, connections)
    out = subprocess.run([wrk_bin, f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "-s", str(lua),
                          f"http://127.0.0.1:{port}/", "--", str(paths)], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale, "requests": total,
            "non2xx": int(errors.group(1)) if errors else 0, "socket_errors": socket_errors.group(1) if socket_errors else ""}


def spread(values: list[float], fmt: str = "{:.3f}") -> str:
    return f"median {fmt.format(statistics.median(values))} (min {fmt.format(min(values))}, max {fmt.format(max(values))}, n={len(values)})"


# -- measurements ------------------------------------------------------------

def throughput(tools, args, work: Path, report) -> int:
    server = Dfmock("--journal-size", "10000", "--max-tasks", "100000")
    try:
        rng = random.Random(6)
        started = time.perf_counter()
        paths = populate(server.port, args.tasks, rng)
        report(f"state: {args.tasks} tasks created over HTTP in {time.perf_counter() - started:.1f} s; "
               f"mix {state_mix(server.port)}; journal on (ring 10000)")
        polled = rng.sample(paths, min(1000, len(paths)))
        paths_file = work / "paths.txt"
        paths_file.write_text("\n".join(polled) + "\n")
        conn = Conn(server.port)
        conn.c.request("GET", polled[0])
        sample = conn.c.getresponse().read()
        (work / "status.json").write_bytes(sample)
        os.chmod(work, 0o755)
        os.chmod(work / "status.json", 0o644)
        lua = work / "rotate.lua"
        lua.write_text(LUA)
        nginx = Nginx(tools["nginx"], work)
        rss_start = rss_kb(server.proc.pid)
        try:
            rows = {32: {"nginx": [], "dfmock": [], "p99": [], "nginx_p99": []}, 4: {"nginx": [], "dfmock": [], "p99": [], "nginx_p99": []}}
            served = 0
            wrk(tools["wrk"], server.port, 32, 2, lua, paths_file)  # warm-up (not counted in the table)
            wrk(tools["wrk"], nginx.port, 32, 2, lua, paths_file)
            for rnd in range(args.rounds):
                order = [("nginx", nginx.port), ("dfmock", server.port)]
                if rnd % 2:
                    order.reverse()
                for conns in (32, 4):
                    for name, port in order:
                        result = wrk(tools["wrk"], port, conns, args.duration, lua, paths_file)
                        if result["non2xx"] or result["socket_errors"]:
                            report(f"  WARNING {name} c{conns}: non-2xx {result['non2xx']}, socket errors {result['socket_errors']}")
                        rows[conns][name].append(result["rps"])
                        rows[conns]["p99" if name == "dfmock" else "nginx_p99"].append(result["p99_ms"])
                        if name == "dfmock":
                            served += result["requests"]
                r32 = rows[32]["dfmock"][-1] / rows[32]["nginx"][-1]
                r4 = rows[4]["dfmock"][-1] / rows[4]["nginx"][-1]
                report(f"  round {rnd + 1}: c32 nginx {rows[32]['nginx'][-1]:.0f} dfmock {rows[32]['dfmock'][-1]:.0f} req/s "
                       f"(ratio {r32:.3f}, dfmock p99 {rows[32]['p99'][-1]:.2f} ms); c4 nginx {rows[4]['nginx'][-1]:.0f} "
                       f"dfmock {rows[4]['dfmock'][-1]:.0f} (ratio {r4:.3f})")
            ratios32 = [d / n for d, n in zip(rows[32]["dfmock"], rows[32]["nginx"])]
            ratios4 = [d / n for d, n in zip(rows[4]["dfmock"], rows[4]["nginx"])]
            report("")
            report(f"status req/s at 32 connections / nginx: {spread(ratios32)}  target >= {TARGETS['ratio32']}"
                   f"  {'MET' if statistics.median(ratios32) >= TARGETS['ratio32'] else 'NOT MET'}")
            report(f"    dfmock {spread(rows[32]['dfmock'], '{:.0f}')} req/s; nginx {spread(rows[32]['nginx'], '{:.0f}')} req/s")
            report(f"status req/s at 4 connections / nginx:  {spread(ratios4)}  target >= {TARGETS['ratio4']}"
                   f"  {'MET' if statistics.median(ratios4) >= TARGETS['ratio4'] else 'NOT MET'}")
            report(f"    dfmock {spread(rows[4]['dfmock'], '{:.0f}')} req/s; nginx {spread(rows[4]['nginx'], '{:.0f}')} req/s")
            report(f"status p99 at 32 connections (ms):      {spread(rows[32]['p99'], '{:.2f}')}  target <= {TARGETS['p99_32_ms']}"
                   f"  {'MET' if statistics.median(rows[32]['p99']) <= TARGETS['p99_32_ms'] else 'NOT MET'}"
                   f"  (nginx {spread(rows[32]['nginx_p99'], '{:.2f}')})")
            while served < 300_000:  # top up to 300k status reads before reading the RSS
                served += wrk(tools["wrk"], server.port, 32, 5, lua, paths_file)["requests"]
            rss = rss_kb(server.proc.pid) / 1024
            report(f"RSS after {served} status reads (10k tasks, journal full): {rss:.1f} MB "
                   f"(at start of load {rss_start / 1024:.1f} MB)  target <= {TARGETS['rss_mb']:.0f}"
                   f"  {'MET' if rss <= TARGETS['rss_mb'] else 'NOT MET'}")
        finally:
            nginx.stop()
    finally:
        server.stop()
    return 0


def cold_start(args, report) -> None:
    """Process start to the first 200 (GET /__admin/health), polling the port."""
    request = b"GET /__admin/health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
    times = []
    for _ in range(args.cold_runs):
        port = free_port()
        started = time.perf_counter()
        proc = subprocess.Popen([*dfmock_command(), "serve", "--port", str(port), "--clock", "manual"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=SERVER_ENV)
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                    s.sendall(request)
                    if s.recv(16).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                time.sleep(0.001)
        times.append(time.perf_counter() - started)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    report(f"process start to first 200 (s):          {spread(times)}  target <= {TARGETS['cold_s']}"
           f"  {'MET' if statistics.median(times) <= TARGETS['cold_s'] else 'NOT MET'}")
    # Where the time goes: each line is a fresh interpreter importing what serve needs, cumulatively.
    steps = [("python -c pass", "pass"), ("+ asyncio", "import asyncio"),
             ("+ emulator modules", "import asyncio, mock_server.service"),
             ("+ uvicorn/uvloop (all serve imports)", "import asyncio, mock_server.service, mock_server.cli, "
                                                      "mock_server.fastserver, uvloop"),
             # Not cumulative: the floor any uvicorn-based server has on this machine, emulator or not.
             ("| server stack alone, no emulator (asyncio, uvloop, httptools, uvicorn)",
              "import asyncio, uvloop, httptools, uvicorn.protocols.http.httptools_impl")]
    parts = []
    for label, code in steps:
        runs = []
        for _ in range(args.cold_runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=SERVER_ENV)
            runs.append(time.perf_counter() - started)
        parts.append(f"{label} {statistics.median(runs):.3f}")
    report(f"    breakdown (median s, cumulative): {'; '.join(parts)}")


MEMORY_PROBE = textwrap.dedent("""
    import gc, json, sys
    from mock_server.config import EmulatorConfig
    from mock_server.service import Emulator
    def rss():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    n = int(sys.argv[1])
    emu = Emulator(EmulatorConfig(clock="manual", seed=1, max_tasks=n + 1))
    bodies = [json.dumps({"taskName": f"export-{i}", "sourceName": "hive_enos",
                          "querySql": f"select * from sensor_data where day = {i % 365}",
                          "filePackageName": f"export-{i}",
                          "files": [{"split": False, "encoding": "utf-8", "delimiter": ",",
                                     "fileHeader": ["id", "name", "city", "amount", "created_at"]}]}).encode()
              for i in range(3)]
    emu.create_task("o1", "ch-1", json.loads(bodies[0]))  # warm caches, then start from this process
    emu.reset()
    gc.collect()
    before = rss()
    for i in range(n):
        # a fresh parse per task, as over HTTP: no string is shared by accident
        body = json.loads(bodies[i % 3].replace(b"export-", f"export-{i}-".encode()))
        emu.create_task(f"o{i % 5}", f"ch-{i % 20}", body)
    gc.collect()
    print(json.dumps({"tasks": len(emu.store), "bytes": rss() - before}))
""")


def memory_per_task(args, report) -> None:
    for n in args.task_counts:
        out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(n)], capture_output=True, text=True, check=True,
                             env=SERVER_ENV)
        result = json.loads(out.stdout)
        per = result["bytes"] / n
        report(f"memory per stored task at {n:>9,} tasks:  {per:.0f} bytes  target <= {TARGETS['bytes_per_task']:.0f}"
               f"  {'MET' if per <= TARGETS['bytes_per_task'] else 'NOT MET'}")


def file_download(args, report) -> None:
    server = Dfmock()
    try:
        conn = Conn(server.port)
        status, body = conn.call("POST", f"{API}/channels/read/ch-1/download-request?orgId=o1",
                                 {"taskName": "big", "sourceName": "hive_enos", "querySql": "select 1",
                                  "filePackageName": "big"}, {"X-Dfmock-Timeline": "waiting:0s,running:1s,success,size:1G"})
        task_id = body["data"]["taskId"]
        conn.call("POST", "/__admin/clock/advance", {"seconds": 2})
        url = Conn(server.port).call("GET", f"{API}/channels/read/ch-1/download/{task_id}/status?orgId=o1")[1]["data"]["downloadUrl"]
        path = url.split(f":{server.port}", 1)[1]
        samples: list[int] = []
        done = threading.Event()

        def sample():
            while not done.is_set():
                samples.append(rss_kb(server.proc.pid))
                done.wait(0.05)

        rss_before = rss_kb(server.proc.pid)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
            received = 0
            buf = bytearray(4 * 1024 * 1024)
            view = memoryview(buf)
            while True:
                n = s.recv_into(view)
                if not n:
                    break
                received += n
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        mb_s = received / elapsed / 1e6
        report(f"1 GiB file download: {mb_s:.0f} MB/s ({received:,} bytes incl. headers in {elapsed:.2f} s)  "
               f"target >= {TARGETS['file_mb_s']:.0f}  {'MET' if mb_s >= TARGETS['file_mb_s'] else 'NOT MET'}")
        report(f"    server RSS during it: {min(samples) / 1024:.1f}..{max(samples) / 1024:.1f} MB "
               f"(before {rss_before / 1024:.1f} MB, {len(samples)} samples)")
    finally:
        server.stop()


FIXTURE_TESTS = textwrap.dedent("""
    import pytest
    @pytest.mark.parametrize("i", range({n}))
    def test_one(i{fixture}):
        pass
""")


def fixture_cost(args, report) -> None:
    """Per-test cost of the pytest plugin's fresh ``dfmock`` fixture: a run of N tests
    using it minus a run of N tests without it, divided by N (median of a few pairs)."""
    n = args.fixture_tests
    per = []
    with tempfile.TemporaryDirectory() as tmp:
        with_f, without = Path(tmp, "test_with.py"), Path(tmp, "test_without.py")
        with_f.write_text(FIXTURE_TESTS.format(n=n, fixture=", dfmock"))
        without.write_text(FIXTURE_TESTS.format(n=n, fixture=""))
        for _ in range(3):
            timings = {}
            for name, path in (("with", with_f), ("without", without)):
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                               cwd=tmp, check=True, capture_output=True, env=SERVER_ENV)
                timings[name] = time.perf_counter() - started
            per.append((timings["with"] - timings["without"]) / n * 1000)
    # the session server's start is included once; spread over n tests
    probe = textwrap.dedent("""
        import time
        from mock_server.config import EmulatorConfig
        from mock_server.runner import run_emulator
        with run_emulator(EmulatorConfig(clock="manual", seed=0)) as dfm:
            t = time.perf_counter()
            for _ in range(1000):
                dfm.replace_emulator(EmulatorConfig(clock="manual", seed=0))
            print((time.perf_counter() - t))
    """)
    swap = float(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout)
    report(f"pytest fixture, fresh emulator per test (ms): {spread(per)}  target <= {TARGETS['fixture_ms']}"
           f"  {'MET' if statistics.median(per) <= TARGETS['fixture_ms'] else 'NOT MET'}")
    report(f"    ({n} tests with `dfmock` minus {n} without, per test; the swap alone: {swap:.3f} ms)")


def machine_facts() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    nginx_v = subprocess.run([shutil.which("nginx") or "/usr/sbin/nginx", "-v"], capture_output=True, text=True).stderr.strip()
    wrk_v = subprocess.run([shutil.which("wrk") or "wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    return (f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {platform.node()}; {os.cpu_count()} CPUs ({cpu}); "
            f"{platform.system()} {platform.release()}; Python {platform.python_version()}; {nginx_v}; {wrk_v}; "
            f"load average at start {os.getloadavg()[0]:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of wrk runs (default 5)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks in the served state (default 10000)")
    parser.add_argument("--cold-runs", type=int, default=9, help="cold starts measured (default 9)")
    parser.add_argument("--task-counts", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--fixture-tests", type=int, default=300)
    parser.add_argument("--only", nargs="+", choices=["throughput", "cold", "memory", "file", "fixture"])
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    tools = check_tools()
    lines: list[str] = []

    def report(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    report(f"dfmock bench: {machine_facts()}")
    report(f"rounds {args.rounds} x {args.duration:g} s per wrk run, interleaved nginx/dfmock (order alternating)")
    only = set(args.only or ["throughput", "cold", "memory", "file", "fixture"])
    with tempfile.TemporaryDirectory(prefix="dfmock-bench-") as tmp:
        use_bytecode_cache(Path(tmp) / "pycache")
        report(f"servers run with bytecode caches (PYTHONPYCACHEPREFIX in a temp dir; PYTHONDONTWRITEBYTECODE "
               f"{'was set and is lifted for them' if 'PYTHONDONTWRITEBYTECODE' in os.environ else 'not set'})")
        if "throughput" in only:
            throughput(tools, args, Path(tmp), report)
        if "cold" in only:
            cold_start(args, report)
        if "memory" in only:
            memory_per_task(args, report)
        if "file" in only:
            file_download(args, report)
        if "fixture" in only:
            fixture_cost(args, report)
    if args.out:
        args.out.write_text("```\n" + "\n".join(lines) + "\n```\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

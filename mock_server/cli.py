"""The ``dfmock`` command: ``serve`` here; ``validate`` and ``check`` come from the
contract kit (contract_tests.cli), which never imports the emulator."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
from pathlib import Path

from . import __version__
from .clock import ClockError
from .cli_gateway import add_proxy_parser, add_serve_options as add_gateway_options, serve_changes as gateway_changes
from .config import WIRE_CHOICES, ConfigError, EmulatorConfig, WireSettings, load_config_file
from .timeline import TimelineError

WIRE_FLAGS = WIRE_CHOICES


def add_serve_parser(sub) -> None:
    p = sub.add_parser("serve", help="run the emulator on a production WSGI server",
                       description="Run the emulator. Prints its base URL once it is listening.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; 0.0.0.0 exposes it to the network)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    p.add_argument("--port-file", type=Path, help="write the port here once listening")
    p.add_argument("--config", type=Path, help="YAML or JSON config file (schemas/config/dfmock-config.schema.json)")
    p.add_argument("--timeline", help="default timeline, compact form, e.g. waiting:2s,running:5s,success")
    p.add_argument("--clock", help="real (default), manual, or step:<duration> such as step:2s")
    p.add_argument("--speed", type=float, help="speed factor of the real clock (default 1)")
    p.add_argument("--seed", type=int, help="seed: same seed + same requests = same answers and files")
    p.add_argument("--public-base-url", help="base URL put in downloadUrl (default: the emulator's own)")
    for name, choices in WIRE_FLAGS.items():
        p.add_argument(f"--{name.replace('_', '-')}", choices=choices, dest=f"wire_{name}",
                       help=f"wire switch (docs/wire-format.md); default {getattr(WireSettings(), name)}")
    p.add_argument("--request-id", action="store_true", default=None, dest="wire_request_id",
                   help="add requestId to every envelope")
    p.add_argument("--max-tasks", type=int, help="task store cap; finished tasks are evicted past it (default 100000)")
    p.add_argument("--journal-size", type=int, help="request journal ring size (default 10000; 0 = off)")
    p.add_argument("--max-body-bytes", type=int, help="largest request body accepted (default 1 MiB)")
    p.add_argument("--threads", type=int, default=8, help="server worker threads (default 8)")
    add_gateway_options(p)  # --auth, --app, --auth-window, --callback-allow
    p.add_argument("--server", choices=("uvicorn", "waitress"), default="uvicorn",
                   help="uvicorn (default: fastest; status reads answered on its event loop) or waitress "
                        "(pure Python, threaded; what the in-process runner uses)")
    p.add_argument("--state-file", type=Path, metavar="PATH",
                   help="keep tasks and the clock across restarts in this SQLite file (saved at a clean stop)")
    p.set_defaults(func=run_serve)


def config_from_args(args) -> EmulatorConfig:
    config = load_config_file(args.config) if args.config else EmulatorConfig()
    changes = {}
    for flag in ("clock", "speed", "seed", "public_base_url"):
        if getattr(args, flag) is not None:
            changes[flag] = getattr(args, flag)
    for flag, field in (("max_tasks", "max_tasks"), ("journal_size", "journal_size"), ("max_body_bytes", "max_body_bytes")):
        if getattr(args, flag) is not None:
            changes[field] = getattr(args, flag)
    if args.timeline:
        changes["timeline"] = config.timeline.with_overrides(args.timeline)
    wire = {name: getattr(args, f"wire_{name}") for name in (*WIRE_FLAGS, "request_id")
            if getattr(args, f"wire_{name}") is not None}
    if wire:
        changes["wire"] = config.wire.with_overrides(wire)
    changes.update(gateway_changes(args, config))
    return dataclasses.replace(config, **changes)


def run_serve(args) -> int:
    try:
        config = config_from_args(args)
    except ConfigError as exc:
        print(exc.report(), file=sys.stderr)
        return 2
    except (TimelineError, ClockError, ValueError) as exc:
        print(f"dfmock serve: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "server", "waitress") == "uvicorn":
        from .fastserver import run

        return run(args, config)  # mock_server/fastserver.py
    from .app import create_app
    from .config import WILDCARD_HOSTS
    from .serving import bind

    app = create_app(config)
    try:
        server = bind(app, args.host, args.port, args.threads, config.max_body_bytes)
    except OSError as exc:
        print(f"dfmock serve: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    if config.public_base_url is None and args.host not in WILDCARD_HOSTS:
        from .app import install
        from .service import Emulator
        install(app, Emulator(dataclasses.replace(config, public_base_url=server.base_url)))
    if args.state_file:  # mock_server/persist.py
        from . import persist
        from .app import install

        try:
            install(app, persist.load(args.state_file, app.extensions["dfmock"].config))
        except persist.StateFileError as exc:
            print(f"dfmock serve: {exc}", file=sys.stderr)
            return 2
    if args.port_file:
        args.port_file.write_text(f"{server.port}\n")

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    emu = app.extensions["dfmock"]
    print(f"dfmock {__version__} serving on {server.base_url} (clock {emu.clock.mode}, seed {emu.seed})", flush=True)
    try:
        server.serve_forever()
    except (SystemExit, KeyboardInterrupt):
        pass
    if args.state_file:
        count = persist.save(args.state_file, app.extensions["dfmock"])
        print(f"dfmock saved {count} tasks and the clock to {args.state_file}", flush=True)
    print("dfmock stopped", flush=True)
    return 0


def build_parser(serve_only: bool = False) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dfmock", description="Emulator and contract kit for the EnOS Data Federation download-task API.")
    parser.add_argument("--version", action="version", version=f"dfmock {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_serve_parser(sub)
    if serve_only:  # `dfmock serve` starts fast: the kit's commands (and their imports) are not needed
        return parser
    add_proxy_parser(sub)  # dfmock proxy (contract_tests.proxy)
    try:
        from contract_tests.cli import add_subcommands
    except ImportError:  # the kit is part of the distribution; this only guards partial checkouts
        pass
    else:
        add_subcommands(sub)
    from contract_tests.client_runner.cli import add_subcommands as add_client_commands

    add_client_commands(sub)  # test-client, poll
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(serve_only=argv[:1] == ["serve"])
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

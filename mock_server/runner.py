"""The in-process runner: a real emulator on a real port, on a background thread.

    with run_emulator(EmulatorConfig(clock="manual", seed=1)) as dfm:
        requests.post(dfm.url("/data-federation/v2.0/..."), ...)
        dfm.advance(5)
        assert dfm.journal.entries()[-1].status == 200
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from typing import Iterator

from .app import create_app, install
from .config import EmulatorConfig
from .serving import BackgroundServer
from .service import Emulator


class RunningEmulator:
    """What the runner yields: the base URL, the emulator, its clock and journal."""

    def __init__(self, app, server: BackgroundServer) -> None:
        self.app = app
        self.server = server

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def emulator(self) -> Emulator:
        return self.app.extensions["dfmock"]

    @property
    def clock(self):
        return self.emulator.clock

    @property
    def journal(self):
        return self.emulator.journal

    def url(self, path: str) -> str:
        return self.base_url + path

    def advance(self, seconds: float) -> float:
        """Move the clock; completion callbacks due by then are delivered before this returns."""
        now = self.emulator.clock.advance(seconds)
        self.emulator.callbacks.run_due()
        return now

    def replace_emulator(self, config: EmulatorConfig) -> Emulator:
        """Swap in a fresh emulator (new store, journal and clock) on the same server."""
        emulator = Emulator(_with_own_url(config, self.base_url))
        install(self.app, emulator)
        return emulator


def _with_own_url(config: EmulatorConfig, base_url: str) -> EmulatorConfig:
    if config.public_base_url:
        return config
    return dataclasses.replace(config, public_base_url=base_url)


@contextmanager
def run_emulator(config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 threads: int = 8) -> Iterator[RunningEmulator]:
    config = config or EmulatorConfig(clock="manual")
    app = create_app(config)
    server = BackgroundServer(app, host, port, threads, config.max_body_bytes)
    running = RunningEmulator(app, server)
    running.replace_emulator(config)  # now that the port is known, downloadUrl can name it
    with server:
        yield running

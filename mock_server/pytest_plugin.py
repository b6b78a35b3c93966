"""pytest plugin (registered through the ``pytest11`` entry point as ``dfmock``).

Fixtures:

* ``dfmock``: a fresh emulator for this test, served over real HTTP, manual clock.
  One server runs for the whole session; each test gets a new emulator swapped in
  (new store, journal and clock), which costs well under a millisecond.
* ``dfmock_config``: the ``EmulatorConfig`` each test's emulator is built from;
  override it in a test module or conftest to change timelines, switches, seed.
* ``dfmock_app``: the Flask app alone (no server), for in-process WSGI tests.
* ``dfmock_server``: the session's server (rarely needed directly).
* ``dfmock_client_runner``: a factory of client runners (contract_tests.client_runner)
  on the session's server, to judge an in-process client (a callable) or a command.

Imports are deferred so that merely having dfmock installed costs pytest nothing.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def dfmock_config():
    from mock_server.config import EmulatorConfig

    return EmulatorConfig(clock="manual", seed=0)


@pytest.fixture(scope="session")
def dfmock_server():
    from mock_server.config import EmulatorConfig
    from mock_server.runner import run_emulator

    with run_emulator(EmulatorConfig(clock="manual", seed=0)) as running:
        yield running


@pytest.fixture
def dfmock(dfmock_server, dfmock_config):
    dfmock_server.replace_emulator(dfmock_config)
    yield dfmock_server


@pytest.fixture
def dfmock_app(dfmock_config):
    from mock_server.app import create_app

    return create_app(dfmock_config)


@pytest.fixture
def dfmock_client_runner(dfmock_server, tmp_path):
    """A factory of client runners on the session's server (docs/client-protocol.md):
    ``dfmock_client_runner(client, **options)`` where ``client`` is a command (list of
    arguments) or a callable taking the DFMOCK_* environment and returning the exit
    status. Defaults suit tests: poll interval 0.01 s, Retry-After 0.05 s, 10 s per run."""
    from contract_tests.client_runner import ClientRunner
    from mock_server.config import EmulatorConfig

    def make(client, **options):
        options.setdefault("poll_interval", 0.01)
        options.setdefault("retry_after", 0.05)
        options.setdefault("time_limit", 10.0)
        options.setdefault("workdir", tmp_path)
        return ClientRunner(dfmock_server.base_url, client, **options)

    yield make
    dfmock_server.replace_emulator(EmulatorConfig(clock="manual", seed=0))  # as the session started

import dataclasses

import pytest

from mock_server import EmulatorConfig
from mock_server.auth import AuthSettings

APP_KEY, APP_SECRET = "app-1", "secret-1"


@pytest.fixture
def dfmock_config():
    """The plugin's fresh emulator per test, here in verify mode with one app."""
    return EmulatorConfig(clock="manual", seed=5,
                          auth=AuthSettings(mode="verify", apps=((APP_KEY, APP_SECRET),), timestamp_window=300.0))


@pytest.fixture
def gateway(dfmock):
    return dfmock


def emulator_ms(running):
    """Timestamps from the emulator's clock (its manual clock starts in 2024)."""
    return lambda: int(running.clock.now() * 1000)


def with_auth(running, **changes):
    config = running.emulator.config
    running.replace_emulator(dataclasses.replace(config, auth=dataclasses.replace(config.auth, **changes)))

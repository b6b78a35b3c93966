"""Suite (2): the contract checked on a live gateway (or an emulator) by URL alone.

    DFMOCK_GATEWAY_URL=https://apigw.example.com DFMOCK_GATEWAY_ORG=o1 \\
    DFMOCK_GATEWAY_CHANNEL=ch-1 DFMOCK_GATEWAY_TASKS=<id>,<id> \\
        python -m pytest --pyargs contract_tests.suites -rs -v

Skipped, with the reason, when DFMOCK_GATEWAY_URL/ORG/CHANNEL are not set; every
variable is listed in ``contract_tests.suites.gateway`` and docs/contract-suites.md.
"""

from __future__ import annotations

import os

import pytest

from contract_tests.suites.checks import assert_valid
from contract_tests.suites.gateway import GatewaySettings, GatewaySuite, SettingsError

NOT_CONFIGURED = ("gateway suite not configured: set DFMOCK_GATEWAY_URL, DFMOCK_GATEWAY_ORG and "
                  "DFMOCK_GATEWAY_CHANNEL (see docs/contract-suites.md)")
UNKNOWN_TASK = "dfdfdfdfdfdfdfdfdfdfdfdfdfdfdfdf"  # well-formed, and not a task anyone has


def _settings() -> GatewaySettings | None:
    return GatewaySettings.from_env(os.environ)


def pytest_generate_tests(metafunc):
    if "given_task" in metafunc.fixturenames:
        try:
            settings = _settings()
        except SettingsError:
            settings = None  # reported by the ``suite`` fixture
        tasks = list(settings.tasks) if settings is not None else []
        metafunc.parametrize("given_task", tasks or [None], ids=tasks or ["no-tasks"])


@pytest.fixture(scope="module")
def suite() -> GatewaySuite:
    try:
        settings = _settings()
    except SettingsError as exc:
        pytest.fail(f"gateway suite misconfigured: {exc}", pytrace=False)
    if settings is None:
        pytest.skip(NOT_CONFIGURED)
    return GatewaySuite(settings)


def test_list_channels_answer_is_valid(suite):
    s = suite.settings
    for channel_type in (None, "READ"):
        response = suite.target.list_channels(s.org, channel_type)
        body = assert_valid(response, "channels-answer", s.profile)
        assert body["code"] == 0, body


def test_status_of_an_unknown_task_is_a_valid_refusal(suite):
    s = suite.settings
    response = suite.target.get_status(s.org, s.channel, UNKNOWN_TASK)
    body = assert_valid(response, "error-envelope", s.profile)
    assert body["code"] != 0


def test_given_task_follows_a_possible_life(suite, given_task):
    """Poll until settled (bounded), validate each answer, check the history,
    download a success and compare its size with dataSize."""
    if given_task is None:
        pytest.skip("no DFMOCK_GATEWAY_TASKS given: no existing task to follow")
    followed = suite.follow(given_task)
    print(followed.summary())


def test_created_task_follows_a_possible_life(suite):
    """Create (only with DFMOCK_GATEWAY_CREATE=1: it costs a query), follow, then
    delete it unless DFMOCK_GATEWAY_DELETE_CREATED=0."""
    if not suite.settings.create:
        pytest.skip("DFMOCK_GATEWAY_CREATE is not 1: no task created on the gateway")
    task_id = suite.create()
    followed = suite.follow(task_id)
    if suite.settings.delete_created:
        suite.delete(followed)
    print(followed.summary())

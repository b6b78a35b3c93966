"""The gateway suite's settings, read from DFMOCK_GATEWAY_* variables."""

from __future__ import annotations

import json

import pytest

from contract_tests.suites.gateway import DEFAULT_CREATE_BODY, GatewaySettings, SettingsError

BASE = {"DFMOCK_GATEWAY_URL": "https://apigw.example.com/", "DFMOCK_GATEWAY_ORG": "o1",
        "DFMOCK_GATEWAY_CHANNEL": "ch-1"}


def test_not_configured_is_none_and_defaults_suit_a_real_gateway():
    assert GatewaySettings.from_env({}) is None
    settings = GatewaySettings.from_env(BASE)
    assert settings.url == "https://apigw.example.com" and settings.tasks == ()
    assert (settings.create, settings.profile, settings.poll_interval, settings.max_polls) == (False, "lenient", 10, 60)
    assert settings.create_body == DEFAULT_CREATE_BODY and settings.app_key is None


def test_every_variable_is_read(tmp_path):
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"taskName": "x"}))
    settings = GatewaySettings.from_env({
        **BASE, "DFMOCK_GATEWAY_TASKS": " a, b ,", "DFMOCK_GATEWAY_APP_KEY": "k", "DFMOCK_GATEWAY_APP_SECRET": "s",
        "DFMOCK_GATEWAY_CREATE": "yes", "DFMOCK_GATEWAY_CREATE_BODY": f"@{body}",
        "DFMOCK_GATEWAY_DELETE_CREATED": "0", "DFMOCK_GATEWAY_PROFILE": "documented",
        "DFMOCK_GATEWAY_POLL_INTERVAL": "0.5", "DFMOCK_GATEWAY_MAX_POLLS": "3", "DFMOCK_GATEWAY_DOWNLOAD": "false",
        "DFMOCK_GATEWAY_MAX_DOWNLOAD": "2M", "DFMOCK_GATEWAY_TIMELINE": "success"})
    assert settings.tasks == ("a", "b") and (settings.app_key, settings.app_secret) == ("k", "s")
    assert settings.create and settings.create_body == {"taskName": "x"} and not settings.delete_created
    assert (settings.profile, settings.poll_interval, settings.max_polls) == ("documented", 0.5, 3)
    assert not settings.download and settings.max_download == 2 * 1024**2 and settings.timeline == "success"


@pytest.mark.parametrize("extra, message", [
    ({"DFMOCK_GATEWAY_ORG": ""}, "also needs DFMOCK_GATEWAY_ORG"),
    ({"DFMOCK_GATEWAY_APP_KEY": "k"}, "both DFMOCK_GATEWAY_APP_KEY and DFMOCK_GATEWAY_APP_SECRET"),
    ({"DFMOCK_GATEWAY_CREATE": "maybe"}, "DFMOCK_GATEWAY_CREATE: expected 1/0"),
    ({"DFMOCK_GATEWAY_PROFILE": "strict"}, "DFMOCK_GATEWAY_PROFILE: expected one of"),
    ({"DFMOCK_GATEWAY_POLL_INTERVAL": "soon"}, "DFMOCK_GATEWAY_POLL_INTERVAL: expected a float"),
    ({"DFMOCK_GATEWAY_MAX_POLLS": "0"}, "DFMOCK_GATEWAY_MAX_POLLS: expected at least 1"),
    ({"DFMOCK_GATEWAY_CREATE_BODY": "[1]"}, "expected a JSON object"),
    ({"DFMOCK_GATEWAY_CREATE_BODY": "@/no/such/file.json"}, "DFMOCK_GATEWAY_CREATE_BODY"),
])
def test_unusable_values_are_named(extra, message):
    with pytest.raises(SettingsError, match=message):
        GatewaySettings.from_env({**BASE, **extra})

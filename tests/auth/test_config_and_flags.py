"""auth / callbacks in the config file and on the command line."""

import pytest

from mock_server.cli import build_parser, config_from_args
from mock_server.config import ConfigError, config_from_mapping


def test_config_file_sections():
    config = config_from_mapping({
        "auth": {"mode": "verify", "apps": ["k1:s1", {"key": "k2", "secret": "s2"}], "timestamp_window": "2m",
                 "token_ttl": 60, "error_shape": "envelope"},
        "callbacks": {"allow_hosts": ["10.0.0.0/8"], "max_attempts": 3, "backoff": "500ms"},
    })
    assert config.auth.mode == "verify" and config.auth.apps == (("k1", "s1"), ("k2", "s2"))
    assert config.auth.timestamp_window == 120 and config.auth.token_ttl == 60
    assert config.callbacks.allow_hosts == ("10.0.0.0/8",) and config.callbacks.backoff == 0.5
    assert config_from_mapping({"auth": {"timestamp_window": "off"}}).auth.timestamp_window is None


@pytest.mark.parametrize("data", [{"auth": {"mode": "strict"}}, {"auth": {"apps": ["nosecret"]}},
                                  {"callbacks": {"allow_hosts": ["bad host/x"]}},
                                  {"auth": {"apps": ["k:1", "k:2"]}}])
def test_bad_sections_are_reported(data):
    with pytest.raises(ConfigError):
        config_from_mapping(data)


def test_serve_flags():
    args = build_parser().parse_args(["serve", "--auth", "verify", "--app", "k1:s1", "--app", "k2:s:2",
                                      "--auth-window", "off", "--callback-allow", "hooks.internal"])
    config = config_from_args(args)
    assert config.auth.mode == "verify" and config.auth.apps == (("k1", "s1"), ("k2", "s:2"))
    assert config.auth.timestamp_window is None
    assert config.callbacks.allow_hosts == ("hooks.internal",)


def test_proxy_command_is_registered():
    args = build_parser().parse_args(["proxy", "--upstream", "http://127.0.0.1:9", "--strict", "--port", "0"])
    assert args.strict and args.upstream == "http://127.0.0.1:9" and args.profile == "lenient"

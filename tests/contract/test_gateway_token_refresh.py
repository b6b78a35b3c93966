"""The SDK refresh path in the gateway suite (contract_tests.signing.send_refreshing):
an answer with ``apim_status`` 4011 / 4012 makes the suite refresh its token (with the
answer's ``apim_refreshtoken`` when it gives one, else a new token from the token
service) and send the call once more; a second expiry answer in a row is a failure.

Against the in-process emulator (mock_server.runner.run_emulator) in ``verify`` mode,
its ``apim:4011`` / ``apim:4012`` fault rules answering the token expiry once. The
emulator's step clock moves at each status read: no sleeping.
"""

from __future__ import annotations


import pytest

from contract_tests.signing import (TOKEN_PATH, Signer, TokenError, TokenExpiredAgain, TokenExpiry,
                                    TokenRefreshFailed, send_refreshing, token_expiry)
from contract_tests.suites.checks import ContractFailure
from contract_tests.suites.gateway import GatewaySettings, GatewaySuite, RefreshingTarget, make_target
from mock_server import EmulatorConfig
from mock_server.auth import AuthSettings
from mock_server.faults import parse_rules
from mock_server.runner import run_emulator

from .helpers import GATEWAY_CHANNEL, GATEWAY_ORG, run_gateway_suite

pytest_plugins = ["pytester"]

ORG, CHANNEL = GATEWAY_ORG, GATEWAY_CHANNEL
KEY, SECRET = "dfmock-key", "dfmock-secret"
TIMELINE = "waiting:1s,running:3s,success,size:3000"


def _emulator(faults: str):
    return run_emulator(EmulatorConfig(
        clock="step:1s", seed=3, faults=tuple(parse_rules(faults)),
        auth=AuthSettings(mode="verify", apps=((KEY, SECRET),), timestamp_window=None)))


def _run_suite(pytester, monkeypatch, base: str):
    """The gateway suite creating and following one task, signed with the app's credentials."""
    return run_gateway_suite(pytester, monkeypatch, base, CREATE="1", TIMELINE=TIMELINE, PROFILE="sample",
                             APP_KEY=KEY, APP_SECRET=SECRET)


def _token(entry) -> str | None:
    return dict(entry.headers).get("Apim-Accesstoken")


# -- the shared helpers ----------------------------------------------------------------

def test_token_expiry_reads_the_sdks_signal():
    assert token_expiry({"apim_status": 4011, "apim_refreshtoken": "r"}) == TokenExpiry(4011, "r")
    assert token_expiry(b'{"apim_status":4012,"msg":"x"}') == TokenExpiry(4012, None)
    assert token_expiry('{"apim_status": 4011, "apim_refreshtoken": ""}') == TokenExpiry(4011, None)
    for other in ({"code": 0, "data": {}}, {"apim_status": 401}, {"apim_status": "4011"}, {"apim_status": True},
                  {"apim_status": [4011]}, [4011], b"a,b\n1,2\n", b"apim_status not json", None, 4011):
        assert token_expiry(other) is None, other


class _FakeSigner:
    def __init__(self):
        self.refreshed: list[str | None] = []

    def refresh(self, refresh_token=None):
        self.refreshed.append(refresh_token)


def test_send_refreshing_retries_once_with_the_refresh_token_or_without():
    answers = iter([{"apim_status": 4011, "apim_refreshtoken": "r1"}, {"code": 0}])
    signer, discarded = _FakeSigner(), []
    assert send_refreshing(signer, lambda: next(answers), lambda a: a, discard=discarded.append) == {"code": 0}
    assert signer.refreshed == ["r1"] and discarded == [{"apim_status": 4011, "apim_refreshtoken": "r1"}]

    answers = iter([{"apim_status": 4012}, {"code": 0}])
    signer = _FakeSigner()
    assert send_refreshing(signer, lambda: next(answers), lambda a: a) == {"code": 0}
    assert signer.refreshed == [None]

    calls = []
    signer = _FakeSigner()
    assert send_refreshing(signer, lambda: calls.append(1) or {"code": 0}, lambda a: a) == {"code": 0}
    assert calls == [1] and signer.refreshed == []  # no expiry: sent once, nothing refreshed


def test_send_refreshing_reports_a_second_expiry_and_a_refused_refresh():
    answers = iter([{"apim_status": 4011, "apim_refreshtoken": "r1"}, {"apim_status": 4012}, {"code": 0}])
    with pytest.raises(TokenExpiredAgain) as caught:
        send_refreshing(_FakeSigner(), lambda: next(answers), lambda a: a)
    assert str(caught.value) == (
        "the gateway answered apim_status 4012 (token not valid) again right after the token was refreshed "
        "(the first answer: apim_status 4011 (token expired, with a refresh token)); the SDKs retry only once, "
        "so this is a real failure, not a passing expiry")
    assert caught.value.answer == {"apim_status": 4012} and next(answers) == {"code": 0}  # not sent a third time

    sent = []

    def send():
        if sent:
            raise TokenError("token service refused (status 1002): no such app", 1002)
        sent.append(1)
        return {"apim_status": 4012}

    with pytest.raises(TokenRefreshFailed, match=r"getting a new access token after apim_status 4012 "
                                                 r"\(token not valid\) failed: token service refused"):
        send_refreshing(_FakeSigner(), send, lambda a: a)


def test_signer_refresh_takes_the_refresh_token_or_fetches_a_new_one():
    with _emulator("") as gateway:
        ms = lambda: int(gateway.clock.now() * 1000)  # noqa: E731
        signer = Signer(gateway.base_url, KEY, SECRET, time_ms=ms)
        first = signer.token()
        signer.refresh("handed-over")
        assert signer.token() == "handed-over"
        assert signer.headers("GET", gateway.url("/x"))["apim-accesstoken"] == "handed-over"
        signer.refresh()
        assert signer.token() == first  # asked the token service again: the app's live token
        tokens = [e for e in gateway.journal.entries() if e.path == TOKEN_PATH]
        assert len(tokens) == 2


# -- the suite against the emulator ----------------------------------------------------

@pytest.mark.parametrize("faults", [
    "apim:4011@nth:3/status; apim:4012@once/data",  # a poll of the created task; its download
    "apim:4012@once/channels; apim:4011@once/cancel",  # List Channels; the DELETE of the created task
], ids=["status-and-data", "channels-and-cancel"])
def test_gateway_suite_passes_through_one_4011_and_one_4012(pytester, monkeypatch, faults):
    with _emulator(faults) as gateway:
        result = _run_suite(pytester, monkeypatch, gateway.base_url)
        result.assert_outcomes(passed=3, skipped=1)  # no DFMOCK_GATEWAY_TASKS: that test is skipped
        assert "3:success -> 3:success -> 6:deleting; downloaded 3000 bytes" in result.stdout.str()
        entries = [e for e in gateway.journal.entries() if e.kind == "request"]

    faulted = [i for i, e in enumerate(entries) if e.fault]
    assert [entries[i].fault.split()[1] for i in faulted] == [rule.strip() for rule in faults.split(";")]
    for i in faulted:
        expired = entries[i]
        if "apim:4011" in expired.fault:
            # The answer's apim_refreshtoken is taken as the token: the retry follows at once.
            retry = entries[i + 1]
        else:
            # 4012 hands over no token: the token service is asked, then the call retried.
            assert entries[i + 1].path == TOKEN_PATH and entries[i + 1].status == 200
            retry = entries[i + 2]
        assert (retry.method, retry.path, retry.query) == (expired.method, expired.path, expired.query)
        assert retry.status == 200 and not retry.fault  # the retry went through
        assert _token(retry) and _token(retry) == _token(expired)  # the emulator's live token, both times
        assert dict(retry.headers)["Apim-Signature"] != dict(expired.headers)["Apim-Signature"]  # signed afresh
    # One token request at the start, one after the 4012 answer, none after the 4011 one.
    assert [i for i, e in enumerate(entries) if e.path == TOKEN_PATH] == [
        0, *(i + 1 for i in faulted if "apim:4012" in entries[i].fault)]


def test_gateway_suite_fails_clearly_on_two_expiry_answers_in_a_row(pytester, monkeypatch):
    # The unknown-task test makes the run's first status read: 4011, and its retry 4012.
    with _emulator("apim:4011@once/status; apim:4012@nth:2/status") as gateway:
        result = _run_suite(pytester, monkeypatch, gateway.base_url)
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    result.stdout.fnmatch_lines([
        "*test_status_of_an_unknown_task_is_a_valid_refusal*",
        f"*ContractFailure: GET /data-federation/v2.0/channels/read/{CHANNEL}/download/*/status: the gateway "
        "answered apim_status 4012 (token not valid) again right after the token was refreshed (the first "
        "answer: apim_status 4011 (token expired, with a refresh token)); the SDKs retry only once, so this is "
        "a real failure, not a passing expiry",
    ])


def test_a_download_answered_twice_with_an_expiry_fails_clearly():
    with _emulator("apim:4012@always/data") as gateway:
        settings = GatewaySettings.from_env({
            "DFMOCK_GATEWAY_URL": gateway.base_url, "DFMOCK_GATEWAY_ORG": ORG, "DFMOCK_GATEWAY_CHANNEL": CHANNEL,
            "DFMOCK_GATEWAY_APP_KEY": KEY, "DFMOCK_GATEWAY_APP_SECRET": SECRET, "DFMOCK_GATEWAY_TIMELINE": TIMELINE,
            "DFMOCK_GATEWAY_POLL_INTERVAL": "0", "DFMOCK_GATEWAY_PROFILE": "sample"})
        suite = GatewaySuite(settings, sleep=lambda seconds: None)
        assert isinstance(suite.target, RefreshingTarget)
        task_id = suite.create()
        expected = (r"GET http://\S+/data\?orgId=\S+ \(downloadUrl of a successful task\): "
                    r"the gateway answered apim_status 4012 \(token not valid\) again")
        with pytest.raises(ContractFailure, match=expected):
            suite.follow(task_id)
        downloads = [e for e in gateway.journal.entries() if e.path.endswith("/data")]
        assert len(downloads) == 2 and all("apim:4012" in e.fault for e in downloads)  # retried once, no more


def test_without_credentials_the_target_neither_signs_nor_refreshes():
    settings = GatewaySettings.from_env({"DFMOCK_GATEWAY_URL": "http://127.0.0.1:9", "DFMOCK_GATEWAY_ORG": ORG,
                                         "DFMOCK_GATEWAY_CHANNEL": CHANNEL})
    target, signer = make_target(settings)
    assert signer is None and target.sign is None and not isinstance(target, RefreshingTarget)

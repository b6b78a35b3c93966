"""POST /apim-token-service/v2.0/token/get."""

import hashlib

import requests

from contract_tests import check_message
from contract_tests.signing import TOKEN_PATH, token_encryption

from .conftest import APP_KEY, APP_SECRET


def ask(running, key=APP_KEY, secret=APP_SECRET, stamp=1704067200000, **overrides):
    body = {"appKey": key, "encryption": token_encryption(key, stamp, secret), "timestamp": stamp, **overrides}
    return requests.post(running.url(TOKEN_PATH), json=body, timeout=5)


def test_token_answer_has_the_documented_shape(gateway):
    answer = ask(gateway)
    assert answer.status_code == 200
    body = answer.json()
    assert list(body) == ["status", "msg", "business", "data"]
    assert body["status"] == 0 and body["business"] == "apim-token-service"
    assert body["data"]["expire"] == 7200 and len(body["data"]["accessToken"]) == 32
    assert check_message(answer.content, "token-answer").ok


def test_same_token_until_it_expires_on_the_emulator_clock(gateway):
    first = ask(gateway).json()["data"]
    gateway.advance(3600)
    again = ask(gateway, stamp=1704070800000).json()["data"]
    assert again["accessToken"] == first["accessToken"] and again["expire"] == 3600
    gateway.advance(3600)
    fresh = ask(gateway, stamp=1704074400000).json()["data"]
    assert fresh["accessToken"] != first["accessToken"] and fresh["expire"] == 7200


def test_wrong_encryption_is_1003(gateway):
    answer = ask(gateway, encryption=hashlib.sha256(b"nope").hexdigest())
    assert answer.status_code == 401
    assert answer.json()["status"] == 1003 and answer.json()["data"] is None


def test_unknown_app_is_1002(gateway):
    assert ask(gateway, key="other", secret="x").json()["status"] == 1002


def test_missing_field_is_1202_and_bad_type_1004(gateway):
    assert ask(gateway, appKey="").json()["status"] == 1202
    assert ask(gateway, timestamp="soon").json()["status"] == 1004
    empty = requests.post(gateway.url(TOKEN_PATH), data=b"", timeout=5)
    assert empty.json()["status"] == 1202
    not_json = requests.post(gateway.url(TOKEN_PATH), data=b"{", timeout=5)
    assert not_json.json()["status"] == 1004


def test_token_requests_are_journaled(gateway):
    ask(gateway)
    entry = gateway.journal.entries()[-1]
    assert entry.path == TOKEN_PATH and entry.code == 0

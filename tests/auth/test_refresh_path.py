"""The SDK refresh path: an ``apim:4011`` / ``apim:4012`` fault answers the gateway's
token-expiry body once (built by mock_server.auth.token_expiry_answer); the reference
client refreshes its token and retries, and follows the task to its end."""

import json

import pytest
import requests

from contract_tests.refclient import SUCCEEDED, Follower, PollSettings
from contract_tests.signing import Signer
from mock_server.auth import token_expiry_answer

from .conftest import APP_KEY, APP_SECRET, emulator_ms

BODY = {"taskName": "t", "sourceName": "hive_enos", "querySql": "select 1", "filePackageName": "out"}


class CountingSigner(Signer):
    refreshes = 0

    def refresh(self):
        self.refreshes += 1
        super().refresh()


@pytest.mark.parametrize("apim_status", [4011, 4012])
def test_reference_client_refreshes_and_retries(gateway, tmp_path, apim_status):
    sign = CountingSigner(gateway.base_url, APP_KEY, APP_SECRET, time_ms=emulator_ms(gateway))
    create = gateway.url("/data-federation/v2.0/channels/read/ch-1/download-request?orgId=o1")
    body = json.dumps(BODY).encode()
    headers = {**sign.headers("POST", create, None, body), "Content-Type": "application/json",
               "X-Dfmock-Faults": f"apim:{apim_status}@once/status"}
    task_id = requests.post(create, data=body, headers=headers, timeout=5).json()["data"]["taskId"]
    settings = PollSettings(gateway.base_url, "o1", "ch-1", task_id, tmp_path / "out.csv", interval=1.0)
    follower = Follower(settings, signer=sign, sleep=gateway.advance)  # sleeping moves the emulator clock
    assert follower.follow() == SUCCEEDED
    assert sign.refreshes == 1
    faulted = [e for e in gateway.journal.entries() if e.fault]
    assert len(faulted) == 1 and f"apim:{apim_status}" in faulted[0].fault


def test_token_expiry_answer_shapes():
    status, body = token_expiry_answer(4011, "tok")
    assert status == 200
    assert json.loads(body) == {"apim_status": 4011, "apim_refreshtoken": "tok",
                                "msg": "access token expired; refresh it and retry", "business": "apim-gateway"}
    assert "apim_refreshtoken" not in json.loads(token_expiry_answer(4012)[1])
    with pytest.raises(ValueError):
        token_expiry_answer(401)


def test_refresh_token_for_issues_a_live_token_of_the_same_app(gateway):
    sign = Signer(gateway.base_url, APP_KEY, APP_SECRET, time_ms=emulator_ms(gateway))
    token = sign.token()
    auth = gateway.emulator.auth
    assert auth.refresh_token_for(token) == token  # still live: the same one
    gateway.advance(7300)
    fresh = auth.refresh_token_for(token)
    assert fresh and fresh != token
    assert auth.refresh_token_for("unknown") is None

"""Auth modes on the emulated API: a client signing as REFERENCE.md section 5 gets
through verify; each kind of bad call gets its documented gateway code."""

import requests

from contract_tests import HttpTarget, check_message
from contract_tests.signing import Signer, sign_headers

from .conftest import APP_KEY, APP_SECRET, emulator_ms, with_auth

BODY = {"taskName": "t", "sourceName": "hive_enos", "querySql": "select 1", "filePackageName": "out"}
CREATE = "/data-federation/v2.0/channels/read/ch-1/download-request"


def signer(running):
    return Signer(running.base_url, APP_KEY, APP_SECRET, time_ms=emulator_ms(running))


def status_path(task_id):
    return f"/data-federation/v2.0/channels/read/ch-1/download/{task_id}/status"


def test_a_signing_client_gets_through_verify(gateway):
    target = HttpTarget(gateway.base_url, sign=signer(gateway))
    created = target.create_task("o1", "ch-1", BODY)
    assert created.status == 200 and created.json()["code"] == 0
    task_id = created.json()["data"]["taskId"]
    gateway.advance(10)
    status = target.get_status("o1", "ch-1", task_id)
    assert status.json()["data"]["progressCode"] == "3"
    url = status.json()["data"]["downloadUrl"]
    assert target.fetch_url(url).json()["status"] == 1202  # the file route is behind the gateway too
    sign = target.sign  # one signer: its stamps never repeat, so neither do its signatures
    file = requests.get(url, headers=sign.headers("GET", url), timeout=5)
    assert file.status_code == 200 and len(file.content) == int(status.json()["data"]["dataSize"])


def refused(answer, code):
    body = answer.json()
    assert body["status"] == code, body
    assert body["business"] == "apim-gateway" and body["data"] is None and body["msg"]
    assert check_message(answer.content).ok  # a gateway refusal reads as the APIM shape
    return body


def signed_get(running, sign, task="abc", **header_changes):
    params = {"orgId": "o1"}
    headers = sign_headers(sign.token(), APP_SECRET, emulator_ms(running)(), params)
    headers.update(header_changes)
    return requests.get(running.url(status_path(task)), params=params, headers=headers, timeout=5), headers


def test_wrong_signature_is_1003(gateway):
    answer, _ = signed_get(gateway, signer(gateway), **{"apim-signature": "0" * 64})
    assert answer.status_code == 401
    assert "signature" in refused(answer, 1003)["msg"]


def test_signature_over_other_params_is_1003(gateway):
    sign = signer(gateway)
    headers = sign_headers(sign.token(), APP_SECRET, emulator_ms(gateway)(), {"orgId": "o2"})
    answer = requests.get(gateway.url(status_path("abc")), params={"orgId": "o1"}, headers=headers, timeout=5)
    refused(answer, 1003)


def test_expired_token_after_a_clock_jump_is_1203(gateway):
    sign = signer(gateway)
    token = sign.token()
    gateway.advance(7201)
    headers = sign_headers(token, APP_SECRET, emulator_ms(gateway)(), {"orgId": "o1"})
    answer = requests.get(gateway.url(status_path("abc")), params={"orgId": "o1"}, headers=headers, timeout=5)
    assert answer.status_code == 401
    refused(answer, 1203)


def test_unknown_token_is_1003(gateway):
    headers = sign_headers("f" * 32, APP_SECRET, emulator_ms(gateway)(), {"orgId": "o1"})
    answer = requests.get(gateway.url(status_path("abc")), params={"orgId": "o1"}, headers=headers, timeout=5)
    refused(answer, 1003)


def test_stale_timestamp_is_1004(gateway):
    sign = signer(gateway)
    stale = emulator_ms(gateway)() - 301_000
    headers = sign_headers(sign.token(), APP_SECRET, stale, {"orgId": "o1"})
    answer = requests.get(gateway.url(status_path("abc")), params={"orgId": "o1"}, headers=headers, timeout=5)
    assert answer.status_code == 400
    assert "apim-timestamp" in refused(answer, 1004)["msg"]


def test_replayed_signature_is_1001(gateway):
    first, headers = signed_get(gateway, signer(gateway))
    assert first.json()["code"] == 81404  # through the gateway: the service says the task is unknown
    again = requests.get(gateway.url(status_path("abc")), params={"orgId": "o1"}, headers=headers, timeout=5)
    assert again.status_code == 403
    refused(again, 1001)


def test_missing_headers_are_1202(gateway):
    answer = requests.get(gateway.url(status_path("abc")), params={"orgId": "o1"}, timeout=5)
    assert "apim-accesstoken" in refused(answer, 1202)["msg"]
    answer = requests.get(gateway.url(status_path("abc")), params={"orgId": "o1"},
                          headers={"apim-accesstoken": signer(gateway).token()}, timeout=5)
    assert "apim-timestamp" in refused(answer, 1202)["msg"]


def test_admin_routes_are_exempt_and_refusals_are_journaled(gateway):
    assert requests.get(gateway.url("/__admin/health"), timeout=5).status_code == 200
    requests.get(gateway.url(status_path("abc")), params={"orgId": "o1"}, timeout=5)
    assert gateway.journal.entries()[-1].code == 1202


def test_replay_set_is_bounded(gateway):
    with_auth(gateway, replay_size=3)
    sign = signer(gateway)
    for _ in range(5):
        signed_get(gateway, sign)
        gateway.advance(0.001)
    assert gateway.emulator.auth.describe()["replaySet"] == 3


def test_presence_mode_only_wants_the_header(gateway):
    with_auth(gateway, mode="presence")
    url = gateway.url(status_path("abc"))
    refused(requests.get(url, params={"orgId": "o1"}, timeout=5), 1202)
    opaque = requests.get(url, params={"orgId": "o1"}, headers={"apim-accesstoken": "RSA-blob"}, timeout=5)
    assert opaque.json()["code"] == 81404


def test_off_mode_checks_nothing(gateway):
    with_auth(gateway, mode="off")
    assert requests.get(gateway.url(status_path("abc")), params={"orgId": "o1"}, timeout=5).json()["code"] == 81404


def test_envelope_error_shape(gateway):
    with_auth(gateway, error_shape="envelope")
    body = requests.get(gateway.url(status_path("abc")), params={"orgId": "o1"}, timeout=5).json()
    assert body == {"code": 1202, "msg": body["msg"], "data": None}


def test_error_status_200_switch_applies_to_gateway_refusals(gateway):
    import dataclasses

    config = gateway.emulator.config
    gateway.replace_emulator(dataclasses.replace(config, wire=config.wire.with_overrides({"error_status": "200"})))
    answer = requests.get(gateway.url(status_path("abc")), params={"orgId": "o1"}, timeout=5)
    assert answer.status_code == 200 and answer.json()["status"] == 1202

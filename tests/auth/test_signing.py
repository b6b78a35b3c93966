"""The shared signing helper against vectors computed here, independently, with
hashlib on literal strings (REFERENCE.md section 5)."""

import hashlib

from contract_tests import signing
from mock_server import auth


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_token_encryption_is_sha256_of_key_timestamp_secret():
    expected = sha("myAppKey" + "1704067200000" + "myAppSecret")
    assert signing.token_encryption("myAppKey", 1704067200000, "myAppSecret") == expected
    assert signing.token_encryption("myAppKey", "1704067200000", "myAppSecret") == expected
    assert expected == hashlib.sha256(b"myAppKey1704067200000myAppSecret").hexdigest()


def test_signature_sorts_params_by_name_and_appends_the_body():
    body = '{"taskName":"t","sourceName":"hive_enos"}'
    expected = sha("tok123" + "channelTypeREADorgIdo1" + body + "1704067200123" + "sec")
    got = signing.request_signature("tok123", {"orgId": "o1", "channelType": "READ"}, body.encode(),
                                    1704067200123, "sec")
    assert got == expected


def test_signature_without_body_and_with_ascii_order():
    # ASCII order puts upper case before lower case: "Zeta" < "alpha".
    expected = sha("T" + "Zeta1alpha2orgIdo%" + "42" + "S")
    assert signing.request_signature("T", "alpha=2&orgId=o%25&Zeta=1", None, 42, "S") == expected


def test_signature_of_non_ascii_values_uses_utf8():
    expected = hashlib.sha256("t".encode() + "name数据".encode("utf-8") + b"1" + b"s").hexdigest()
    assert signing.request_signature("t", {"name": "数据"}, b"", 1, "s") == expected


def test_url_params_merge_the_urls_own_query():
    pairs = signing.url_params("http://h/x/data?orgId=o1", {"b": "2"})
    assert sorted(pairs) == [("b", "2"), ("orgId", "o1")]


def test_sign_headers_names_and_values():
    headers = signing.sign_headers("tok", "sec", 1000, {"orgId": "o"}, None)
    assert headers == {"apim-accesstoken": "tok", "apim-timestamp": "1000",
                       "apim-signature": sha("tok" + "orgIdo" + "1000" + "sec")}


def test_emulator_uses_the_same_header_names_and_token_path():
    assert (auth.TOKEN_PATH, auth.HEADER_TOKEN, auth.HEADER_TIMESTAMP, auth.HEADER_SIGNATURE) == (
        signing.TOKEN_PATH, signing.HEADER_TOKEN, signing.HEADER_TIMESTAMP, signing.HEADER_SIGNATURE)

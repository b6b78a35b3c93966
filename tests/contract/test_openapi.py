"""The OpenAPI document: valid by openapi-spec-validator as written and bundled,
complete enough for Schemathesis (operationIds, parameter schemas, error answers)."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from contract_tests.openapi import bundled_openapi, load_openapi
from contract_tests.schemas import PROFILES
from tests.contract.helpers import SCHEMAS, fixture_path

METHODS = {"get", "post", "delete", "put", "patch"}


def test_document_as_written_validates_with_its_file_references():
    document, base_uri = read_from_filename(str(SCHEMAS.joinpath("openapi.yaml")))
    validate(document, base_uri=base_uri)


@pytest.mark.parametrize("profile", PROFILES)
def test_bundled_document_validates_and_is_self_contained(profile):
    bundle = bundled_openapi(profile)
    validate(bundle)
    refs = [ref for ref in _refs(bundle) if not ref.startswith("#/")]
    assert refs == []


def _refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_route_of_the_family_is_described_once():
    routes = {(method, path) for path, method, _ in _operations(load_openapi())}
    assert routes == {
        ("post", "/data-federation/v2.0/channels/read/{channelId}/download-request"),
        ("get", "/data-federation/v2.0/channels/read/{channelId}/download/{taskId}/status"),
        ("delete", "/data-federation/v2.0/channels/read/{channelId}/download/{taskId}"),
        ("get", "/channels/read/{channelId}/download/{taskId}/data"),
        ("get", "/data-federation/v2.0/channels"),
        ("post", "/apim-token-service/v2.0/token/get"),
    }


def test_operations_have_unique_ids_and_orgid_where_the_api_needs_it():
    document = load_openapi()
    ids = [op["operationId"] for _, _, op in _operations(document)]
    assert len(ids) == len(set(ids)) == 6
    org = document["components"]["parameters"]["orgId"]
    assert (org["in"], org["required"], org["schema"]) == ("query", True, {"type": "string", "minLength": 1})
    for path, _, operation in _operations(document):
        refs = {p.get("$ref") for p in operation.get("parameters", [])}
        if not path.startswith("/apim-token-service"):
            assert "#/components/parameters/orgId" in refs, path
        for name in ("channelId", "taskId"):
            if f"{{{name}}}" in path:
                assert f"#/components/parameters/{name}" in refs, path


def test_error_statuses_follow_the_wire_format():
    # docs/wire-format.md: which HTTP status carries which error code.
    document = load_openapi()
    expected = {"BadRequest": ("1202", "1004"), "Forbidden": ("81400",), "NotFound": ("81404",),
                "NotReady": ("81409",), "Gone": ("81410",), "TooLarge": ("90413",), "StoreFull": ("81429",),
                "InternalError": ("81500",)}
    for name, codes in expected.items():
        assert all(code in document["components"]["responses"][name]["description"] for code in codes), name
    status_of = {"BadRequest": "400", "Forbidden": "403", "NotFound": "404", "NotReady": "409", "Gone": "410",
                 "TooLarge": "413", "StoreFull": "429", "InternalError": "500"}
    for _, _, operation in _operations(document):
        for status, answer in operation["responses"].items():
            ref = answer.get("$ref", "")
            if ref.startswith("#/components/responses/") and ref.rsplit("/", 1)[1] in status_of:
                assert status_of[ref.rsplit("/", 1)[1]] == status


@pytest.mark.parametrize("profile,valid", [("lenient", True), ("sample", True), ("documented", False)])
def test_bundled_schemas_judge_the_samples_like_the_registry(profile, valid):
    bundle = bundled_openapi(profile)
    response = bundle["paths"]["/data-federation/v2.0/channels/read/{channelId}/download/{taskId}/status"]["get"]
    schema = {**bundle, **response["responses"]["200"]["content"]["application/json"]["schema"]}
    sample = json.loads(fixture_path("samples/status-success-cn4.json").read_text())
    assert Draft202012Validator(schema).is_valid(sample) is valid

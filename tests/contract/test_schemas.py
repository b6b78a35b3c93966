"""The schema files themselves: valid 2020-12 schemas, every reference resolvable,
profiles interchangeable."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from referencing.exceptions import Unresolvable

from contract_tests.schemas import KINDS, PROFILE_FILES, PROFILES, registry, schema_documents, validator
from tests.contract.helpers import SCHEMAS


def _all_schema_files():
    """Every JSON file under the schema package, subfolders included."""
    found = []

    def walk(folder, prefix=""):
        for entry in folder.iterdir():
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
            elif entry.name.endswith(".json"):
                found.append((f"{prefix}{entry.name}", entry))

    walk(SCHEMAS)
    return sorted(found, key=lambda pair: pair[0])


SCHEMA_FILES = _all_schema_files()


@pytest.mark.parametrize("name,entry", SCHEMA_FILES, ids=[name for name, _ in SCHEMA_FILES])
def test_schema_is_valid_against_the_2020_12_meta_schema(name, entry):
    document = json.loads(entry.read_text(encoding="utf-8"))
    assert document.get("$schema") == "https://json-schema.org/draft/2020-12/schema"
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(document)]
    assert errors == []


def test_ids_follow_the_file_layout():
    # Relative $refs resolve the same by $id and by file location only if they agree.
    for name, document in schema_documents().items():
        assert document["$id"] == f"https://dfmock.dev/schemas/{name}"


def _refs(node, found):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.append(node["$ref"])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


@pytest.mark.parametrize("profile", PROFILES)
def test_every_reference_resolves_in_every_profile(profile):
    reg = registry(profile)
    unresolved = []
    for document in schema_documents().values():
        resolver = reg.resolver(base_uri=document["$id"])
        for ref in _refs(document, []):
            try:
                resolver.lookup(ref)
            except Unresolvable as exc:
                unresolved.append(f"{document['$id']}: {ref} ({exc!r})")
    assert unresolved == []


def test_profiles_define_the_same_choices():
    names = {profile: set(schema_documents()[file]["$defs"]) for profile, file in PROFILE_FILES.items()}
    assert names["documented"] == names["lenient"] == names["sample"]


def test_profile_choices_only_select_shared_parts():
    # Profiles are built from common.json, never written out by hand.
    for file in PROFILE_FILES.values():
        for name, choice in schema_documents()[file]["$defs"].items():
            assert set(choice) == {"$ref"}, f"{file} {name}"
            assert choice["$ref"].startswith("common.json#/$defs/"), f"{file} {name}"


def test_each_profile_registry_really_swaps_the_selection():
    ints = {"code": 0, "msg": "OK", "data": {"taskId": "t", "progressCode": 4, "progressDesc": "cancelling"}}
    strings = {**ints, "data": {**ints["data"], "progressCode": "4"}}
    assert validator("cancel-answer", "documented").is_valid(ints)
    assert not validator("cancel-answer", "documented").is_valid(strings)
    assert validator("cancel-answer", "sample").is_valid(strings)
    assert not validator("cancel-answer", "sample").is_valid(ints)
    assert validator("cancel-answer", "lenient").is_valid(ints) and validator("cancel-answer", "lenient").is_valid(strings)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_schema_file(kind):
    assert f"{kind}.json" in schema_documents()

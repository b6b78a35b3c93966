"""Loading the contract: the JSON Schema files of ``dfmock_schemas``, one
``referencing.Registry`` per profile, and a validator per (kind, profile).

Profiles are built from shared parts. Every message schema points at
``profile.json#/$defs/...`` for the choices the docs leave open; ``profile.json``
on disk is the lenient selection, and ``profile-documented.json`` /
``profile-sample.json`` select other forms from ``common.json``. A profile's
registry holds every schema file and, at ``profile.json``'s URI, that profile's
selection file. Nothing is copied or rewritten.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE_URI = "https://dfmock.dev/schemas/"
PROFILE_URI = BASE_URI + "profile.json"

#: The profiles and the file holding each one's selection.
PROFILE_FILES = {
    "lenient": "profile.json",
    "documented": "profile-documented.json",
    "sample": "profile-sample.json",
}
PROFILES = tuple(PROFILE_FILES)

#: Message kinds: each is the stem of its schema file.
KINDS = (
    "status-answer",
    "create-answer",
    "cancel-answer",
    "error-envelope",
    "channels-answer",
    "create-request",
    "callback",
    "token-request",
    "token-answer",
    "status-struct",
    "envelope",
)


class UnknownProfile(ValueError):
    pass


class UnknownKind(ValueError):
    pass


def schema_dir():
    """The installed schema folder (a Traversable: works from a wheel, not only a checkout)."""
    return resources.files("dfmock_schemas")


@functools.cache
def schema_documents() -> dict[str, dict[str, Any]]:
    """Every top-level ``*.json`` schema file, by file name."""
    return {
        entry.name: json.loads(entry.read_text(encoding="utf-8"))
        for entry in schema_dir().iterdir()
        if entry.name.endswith(".json")
    }


def check_profile(profile: str) -> str:
    if profile not in PROFILE_FILES:
        raise UnknownProfile(f"unknown profile {profile!r}; use one of {', '.join(PROFILES)}")
    return profile


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise UnknownKind(f"unknown message kind {kind!r}; use one of {', '.join(KINDS)}")
    return kind


@functools.cache
def registry(profile: str = "lenient") -> Registry:
    """Every schema under its ``$id``, with ``profile``'s selection at ``profile.json``."""
    check_profile(profile)
    documents = schema_documents()
    resources_ = [
        (doc["$id"], Resource.from_contents(doc, default_specification=DRAFT202012))
        for doc in documents.values()
    ]
    selection = Resource.from_contents(documents[PROFILE_FILES[profile]], default_specification=DRAFT202012)
    # Added last, so it takes profile.json's URI over the lenient file's.
    return Registry().with_resources(resources_).with_resource(PROFILE_URI, selection).crawl()


def schema_uri(kind: str) -> str:
    return f"{BASE_URI}{check_kind(kind)}.json"


@functools.cache
def validator(kind: str, profile: str = "lenient") -> Draft202012Validator:
    """A ready validator for one message kind under one profile (cached: they are immutable)."""
    return Draft202012Validator({"$ref": schema_uri(kind)}, registry=registry(profile))

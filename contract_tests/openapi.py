"""The OpenAPI 3.1 document: as written (``schemas/openapi.yaml``, whose ``$ref``s
point at the JSON Schema files beside it) and bundled into one self-contained
document for tools that do not follow file references well.

Bundling moves each schema file into ``components/schemas`` and rewrites every
``$ref`` to a local pointer; ``profile.json`` becomes the chosen profile's
selection, so a bundle exists per profile.

    python -m contract_tests.openapi [PROFILE] > openapi.bundled.json
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

import yaml

from .schemas import PROFILE_FILES, check_profile, schema_dir, schema_documents

COMPONENTS = "#/components/schemas/"


def load_openapi() -> dict[str, Any]:
    """``openapi.yaml`` as written (external ``$ref``s relative to the schema folder)."""
    return yaml.safe_load(schema_dir().joinpath("openapi.yaml").read_text(encoding="utf-8"))


def component_name(file_name: str) -> str:
    """``status-answer.json`` -> ``StatusAnswer``."""
    return "".join(part.capitalize() for part in file_name.removesuffix(".json").split("-"))


def _rewrite_refs(node: Any, current_file: str | None) -> Any:
    if isinstance(node, dict):
        result = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                result[key] = _local_ref(value, current_file)
            elif key in ("$id", "$schema") and current_file is not None:
                continue  # embedded schemas take their identity from their place in the bundle
            else:
                result[key] = _rewrite_refs(value, current_file)
        return result
    if isinstance(node, list):
        return [_rewrite_refs(item, current_file) for item in node]
    return node


def _local_ref(ref: str, current_file: str | None) -> str:
    target, _, fragment = ref.partition("#")
    if not target:
        if current_file is None:
            return ref  # already a pointer inside the OpenAPI document
        target = current_file
    return COMPONENTS + component_name(target) + fragment


def bundled_openapi(profile: str = "lenient") -> dict[str, Any]:
    """One self-contained OpenAPI document whose schemas follow ``profile``."""
    check_profile(profile)
    documents = {name: doc for name, doc in schema_documents().items()
                 if not name.startswith("profile")}
    documents["profile.json"] = schema_documents()[PROFILE_FILES[profile]]
    bundle = _rewrite_refs(copy.deepcopy(load_openapi()), None)
    schemas = bundle.setdefault("components", {}).setdefault("schemas", {})
    for name in sorted(documents):
        schemas[component_name(name)] = _rewrite_refs(documents[name], name)
    bundle["info"]["description"] += f"\nBundled for the {profile} profile.\n"
    return bundle


if __name__ == "__main__":
    print(json.dumps(bundled_openapi(sys.argv[1] if len(sys.argv) > 1 else "lenient"), indent=2, ensure_ascii=False))

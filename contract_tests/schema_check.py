"""JSON Schema failures turned into ``Violation``s that point at the offending field.

jsonschema reports a missing or unexpected field at the object holding it; a reader
wants the field itself (``$.data.dataSize``), so those cases are re-pointed here.
Messages are rewritten where jsonschema's would print a whole object.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from jsonschema import ValidationError
from jsonschema.exceptions import best_match

from .schemas import validator
from .violations import MISSING, Violation, json_path

_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
               (list, "array"), (dict, "object"), (type(None), "null"))


def json_type(value: Any) -> str:
    for python_type, name in _JSON_TYPES:
        if isinstance(value, python_type):
            return name
    return type(value).__name__


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def schema_violations(instance: Any, kind: str, profile: str) -> list[Violation]:
    found: list[Violation] = []
    for error in validator(kind, profile).iter_errors(instance):
        found.extend(_from_error(error))
    return found


def _from_error(error: ValidationError) -> Iterator[Violation]:
    keyword = error.validator
    path = list(error.absolute_path)
    if keyword in ("anyOf", "oneOf") and error.context:
        # Report the branch that came closest rather than "matches none of".
        yield from _from_error(best_match(error.context))
        return
    if keyword == "required":
        for name in error.validator_value:
            if isinstance(error.instance, dict) and name not in error.instance and error.message.startswith(repr(name)):
                yield Violation(json_path([*path, name]), "schema:required", f"required field {name!r} is missing", MISSING)
        return
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        extras = [key for key in error.instance if repr(key) in error.message]
        for key in extras:
            yield Violation(json_path([*path, key]), f"schema:{keyword}",
                            f"unexpected field {key!r}", error.instance[key])
        if extras:
            return
    yield Violation(json_path(path), f"schema:{keyword if keyword is not None else 'false'}",
                    _message(error), error.instance)


def _message(error: ValidationError) -> str:
    keyword, instance, expected = error.validator, error.instance, error.validator_value
    if keyword == "type":
        types = [expected] if isinstance(expected, str) else list(expected)
        return f"expected {' or '.join(types)}, got {json_type(instance)}"
    if keyword == "const":
        return f"expected {_short(expected)}, got {_short(instance)}"
    if keyword == "enum":
        return f"expected one of {', '.join(_short(v) for v in expected)}; got {_short(instance)}"
    if keyword == "not":
        return f"{_short(instance)} is not allowed here"
    if keyword is None:
        return "no value is allowed here"
    if keyword in ("minItems", "maxItems"):
        return f"expected {'at least' if keyword == 'minItems' else 'at most'} {expected} item(s), got {len(instance)}"
    return error.message if len(error.message) <= 160 else error.message[:157] + "..."

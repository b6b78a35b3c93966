"""Reading a create-download-request body into a typed ``TaskRequest``.

Field by field, so each problem is reported with its path (``files[0].encoding``)
and what was expected. Every problem is collected, not just the first.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from .errors import InvalidParameter

ENCODINGS = ("utf-8", "gbk")
DELIMITERS = ("\t", ",", ";")
DEFAULT_HEADER = ("id", "name", "city", "amount", "created_at")
MAX_TEXT = 64 * 1024
MAX_COLUMNS = 512

_RENAME_KEY = re.compile(r"^file([1-9][0-9]*)$")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f/\\]")


@dataclass(frozen=True, slots=True)
class FileSpec:
    split: bool = False
    encoding: str = "utf-8"
    delimiter: str = ","
    header: tuple[str, ...] = DEFAULT_HEADER
    renames: tuple[str, ...] = ()  # part names, in order, when split


@functools.lru_cache(maxsize=1024)
def _intern_file_spec(spec: FileSpec) -> FileSpec:
    # Many tasks share one file layout: keep a single copy of it in memory.
    return spec


@dataclass(frozen=True, slots=True)
class TaskRequest:
    task_name: str
    source_name: str
    query_sql: str
    file_package_name: str
    file: FileSpec
    callback_url: str | None = None
    queue_para: str | None = None


def _text(body: dict, key: str, problems: list[str], required: bool) -> str | None:
    if key not in body or body[key] is None:
        if required:
            problems.append(f"{key}: required field is missing")
        return None
    value = body[key]
    if not isinstance(value, str):
        problems.append(f"{key}: expected a string, got {type(value).__name__}")
        return None
    if required and not value.strip():
        problems.append(f"{key}: must not be empty")
    if len(value) > MAX_TEXT:
        problems.append(f"{key}: longer than {MAX_TEXT} characters")
    return value


def _file_spec(files: Any, problems: list[str]) -> FileSpec:
    if files is None:
        return _intern_file_spec(FileSpec())
    if not isinstance(files, list):
        problems.append(f"files: expected a list of file configurations, got {type(files).__name__}")
        return FileSpec()
    if not files:
        return _intern_file_spec(FileSpec())
    if len(files) > 1:
        problems.append("files: dfmock writes one file per task; give exactly one file configuration")
    config = files[0]
    where = "files[0]"
    if not isinstance(config, dict):
        problems.append(f"{where}: expected an object, got {type(config).__name__}")
        return FileSpec()
    split = config.get("split")
    if "split" not in config:
        problems.append(f"{where}.split: required field is missing")
    elif not isinstance(split, bool):
        problems.append(f"{where}.split: expected true or false, got {split!r}")
    encoding = config.get("encoding")
    if "encoding" not in config:
        problems.append(f"{where}.encoding: required field is missing")
    elif encoding not in ENCODINGS:
        problems.append(f"{where}.encoding: expected utf-8 or gbk, got {encoding!r}")
    delimiter = config.get("delimiter", ",")
    if delimiter not in DELIMITERS:
        problems.append(f"{where}.delimiter: expected one of '\\t', ',', ';', got {delimiter!r}")
    header = config.get("fileHeader")
    if "fileHeader" not in config:
        problems.append(f"{where}.fileHeader: required field is missing")
    elif not isinstance(header, list) or not all(isinstance(h, str) and h for h in header):
        problems.append(f"{where}.fileHeader: expected a list of non-empty column names")
    elif not header or len(header) > MAX_COLUMNS:
        problems.append(f"{where}.fileHeader: expected 1 to {MAX_COLUMNS} columns, got {len(header)}")
    renames = _renames(config.get("fileRename"), f"{where}.fileRename", problems)
    if problems:
        return FileSpec()
    return _intern_file_spec(FileSpec(bool(split), encoding, delimiter, tuple(header), renames))


def _renames(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    """Part names from ``{"file1": "a.csv", ...}`` or ``[{"file1": "a.csv"}, ...]``."""
    if value is None:
        return ()
    items: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
        items = [pair for entry in value for pair in entry.items()]
    else:
        problems.append(f"{where}: expected an object like {{\"file1\": \"a.csv\"}} or a list of them")
        return ()
    names: dict[int, str] = {}
    for key, name in items:
        match = _RENAME_KEY.match(str(key))
        if not match:
            problems.append(f"{where}.{key}: keys are file1, file2, ...")
        elif not isinstance(name, str) or not name or _UNSAFE_NAME.search(name) or len(name) > 255:
            problems.append(f"{where}.{key}: expected a plain file name")
        else:
            names[int(match.group(1))] = name
    if names and sorted(names) != list(range(1, len(names) + 1)):
        problems.append(f"{where}: part numbers must run file1, file2, ... without gaps")
    if len(set(names.values())) != len(names):
        problems.append(f"{where}: part names must be distinct")
    return tuple(names[i] for i in sorted(names))


def parse_create_body(body: Any) -> TaskRequest:
    """A ``TaskRequest`` from the JSON body, or ``InvalidParameter`` naming every problem."""
    if not isinstance(body, dict):
        raise InvalidParameter(f"the request body must be a JSON object, got {type(body).__name__}")
    problems: list[str] = []
    task_name = _text(body, "taskName", problems, required=True)
    source_name = _text(body, "sourceName", problems, required=True)
    query_sql = _text(body, "querySql", problems, required=True)
    package = _text(body, "filePackageName", problems, required=True)
    if package and _UNSAFE_NAME.search(package):
        problems.append("filePackageName: must be a plain file name (no slashes or control characters)")
    callback = _text(body, "callbackURL", problems, required=False)
    queue_para = _text(body, "selfDefineQueuePara", problems, required=False)
    file_spec = _file_spec(body.get("files"), problems)
    if problems:
        raise InvalidParameter("invalid request body: " + "; ".join(problems))
    return TaskRequest(task_name, source_name, query_sql, package, file_spec, callback or None, queue_para)

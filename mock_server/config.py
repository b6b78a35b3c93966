"""The emulator's configuration: one typed, validated object passed to the app
factory. Nothing reads settings from globals or the environment at import time.

``load_config_file`` reads YAML or JSON, checks it against
``schemas/config/dfmock-config.schema.json`` (reporting every problem with its
path), and turns it into an ``EmulatorConfig``; flags then override it with
``dataclasses.replace``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .auth import AuthConfigError, AuthSettings, settings_from_mapping as auth_from_mapping
from .callbacks import CallbackSettings
from .clock import make_clock
from .faults import FaultError, FaultRule, parse_rules
from .timeline import DEFAULT_TIMELINE, TimelineError, TimelineSpec, parse_timeline

#: Bind addresses that mean "every interface": no single address to put in downloadUrl.
WILDCARD_HOSTS = ("0.0.0.0", "::", "")

CHANNEL_TYPES = ("READ", "WRITE", "DOWNLOAD")
CHANNEL_STATUSES = ("STARTING", "START", "STOPING", "STOP", "ERROR")


class ConfigError(ValueError):
    """A configuration that cannot be used; ``problems`` lists each one readably."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))

    def report(self) -> str:
        lines = [f"invalid configuration in {self.source}:"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


#: The choices of each wire switch; the first is the default.
WIRE_CHOICES = {
    "numbers": ("string", "integer"),
    "data_shape": ("object", "list"),
    "before_success": ("progress", "empty", "null", "omit"),
    "cancel_answer": ("cancelling", "cancelled"),
    "error_status": ("http", "200"),
}


@dataclass(frozen=True, slots=True)
class WireSettings:
    """How answers are shaped where the real API's docs leave a choice (docs/wire-format.md)."""

    numbers: str = "string"
    data_shape: str = "object"
    before_success: str = "progress"
    cancel_answer: str = "cancelling"
    error_status: str = "http"
    request_id: bool = False

    def __post_init__(self) -> None:
        for name, allowed in WIRE_CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"wire.{name} must be one of {', '.join(allowed)}; got {getattr(self, name)!r}")

    def with_overrides(self, overrides: Mapping[str, Any]) -> "WireSettings":
        unknown = set(overrides) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"unknown wire setting(s): {', '.join(sorted(unknown))}")
        values = dict(overrides)
        if "error_status" in values:
            values["error_status"] = str(values["error_status"])
        return dataclasses.replace(self, **values)


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    channel_id: str
    org_id: str | None = None
    channel_type: str = "READ"
    status: str = "START"
    source_name: str = "hive_enos"
    timeline: TimelineSpec | None = None


@dataclass(frozen=True)
class EmulatorConfig:
    seed: int | None = None
    clock: str = "real"
    speed: float = 1.0
    clock_start: float | None = None
    public_base_url: str | None = None
    timeline: TimelineSpec = DEFAULT_TIMELINE
    wire: WireSettings = field(default_factory=WireSettings)
    # None: any channel id is accepted (and listed once used).
    channels: tuple[ChannelConfig, ...] | None = None
    max_body_bytes: int = 1024 * 1024
    max_tasks: int = 100_000
    journal_size: int = 10_000
    max_file_bytes: int = 64 * 1024**3
    # Fault rules in force from the start (mock_server/faults.py).
    faults: tuple[FaultRule, ...] = ()
    # The APIM gateway's checks and the completion callbacks (docs/auth-callbacks-proxy.md).
    auth: AuthSettings = field(default_factory=AuthSettings)
    callbacks: CallbackSettings = field(default_factory=CallbackSettings)

    def __post_init__(self) -> None:
        make_clock(self.clock, self.speed, self.clock_start)  # fail early on a bad clock spec


def _config_validator():
    from importlib import resources

    from jsonschema import Draft202012Validator  # imported when a config file is read (start-up time)

    text = (resources.files("dfmock_schemas") / "config" / "dfmock-config.schema.json").read_text("utf-8")
    return Draft202012Validator(json.loads(text))


def _json_path(error) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def config_from_mapping(data: Any, source: str = "<config>") -> EmulatorConfig:
    """An ``EmulatorConfig`` from parsed YAML/JSON, or ``ConfigError`` listing every problem."""
    if data is None:
        data = {}
    errors = sorted(_config_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ConfigError(source, [f"{_json_path(e)}: {_short(e)}" for e in errors])
    problems: list[str] = []
    kwargs: dict[str, Any] = {}
    for key in ("seed", "clock", "speed", "clock_start", "public_base_url"):
        if key in data:
            kwargs[key] = data[key]
    try:
        kwargs["timeline"] = parse_timeline(data.get("timeline"))
    except TimelineError as exc:
        problems.append(f"$.timeline: {exc}")
    try:
        kwargs["wire"] = WireSettings().with_overrides(data.get("wire", {}))
    except ValueError as exc:
        problems.append(f"$.wire: {exc}")
    if "channels" in data:
        channels = []
        for index, item in enumerate(data["channels"]):
            try:
                timeline = parse_timeline(item["timeline"], kwargs.get("timeline", DEFAULT_TIMELINE)) if "timeline" in item else None
            except TimelineError as exc:
                problems.append(f"$.channels[{index}].timeline: {exc}")
                timeline = None
            channels.append(ChannelConfig(
                channel_id=item["id"], org_id=item.get("org"), channel_type=item.get("type", "READ"),
                status=item.get("status", "START"), source_name=item.get("source_name", "hive_enos"),
                timeline=timeline,
            ))
        ids = [c.channel_id for c in channels]
        if len(set(ids)) != len(ids):
            problems.append("$.channels: channel ids must be unique")
        kwargs["channels"] = tuple(channels)
    if "faults" in data:
        try:
            kwargs["faults"] = tuple(parse_rules(data["faults"]))
        except FaultError as exc:
            problems.append(f"$.faults: {exc}")
    if "auth" in data:
        try:
            kwargs["auth"] = auth_from_mapping(data["auth"])
        except AuthConfigError as exc:
            problems.append(f"$.auth: {exc}")
    if "callbacks" in data:
        try:
            kwargs["callbacks"] = callback_settings(data["callbacks"])
        except ValueError as exc:
            problems.append(f"$.callbacks: {exc}")
    kwargs.update(data.get("limits", {}))
    if problems:
        raise ConfigError(source, problems)
    try:
        return EmulatorConfig(**kwargs)
    except ValueError as exc:
        raise ConfigError(source, [str(exc)]) from None


def callback_settings(data: Mapping[str, Any], base: CallbackSettings | None = None) -> CallbackSettings:
    """The config file's ``callbacks`` object: {allow_hosts, max_attempts, backoff, max_backoff,
    timeout, max_pending} (durations as numbers or text such as 2s)."""
    from .units import UnitError, parse_duration

    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "allow_hosts":
            values[key] = tuple(value)
        elif key in ("backoff", "max_backoff", "timeout"):
            try:
                values[key] = parse_duration(value)
            except UnitError as exc:
                raise ValueError(f"{key}: {exc}") from None
        else:
            values[key] = value
    return dataclasses.replace(base or CallbackSettings(), **values)


def _short(error) -> str:
    # oneOf failures print whole sub-schemas; say what was expected instead.
    if error.validator == "oneOf":
        return f"{error.instance!r} is not a valid {error.schema.get('description', 'value').split('.')[0].lower()}"
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown key(s)")
    return error.message


def load_config_file(path: str | Path) -> EmulatorConfig:
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    import yaml

    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(str(path), [f"not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {exc}"]) from None
    return config_from_mapping(data, str(path))

"""dfmock's emulator of the EnOS Data Federation download-task API.

Layers (imports point down only): model (pure) <- store <- service <- http_* <- app,
runner, serving, cli. See README.md in this folder.
"""

__version__ = "0.1.0"

from .clock import ManualClock, RealClock, StepClock, make_clock  # noqa: E402
from .config import ChannelConfig, ConfigError, EmulatorConfig, WireSettings, load_config_file  # noqa: E402
from .service import Emulator  # noqa: E402
from .timeline import TimelineSpec, parse_timeline  # noqa: E402

__all__ = [
    "ChannelConfig", "ConfigError", "Emulator", "EmulatorConfig", "ManualClock", "RealClock", "StepClock",
    "TimelineSpec", "WireSettings", "create_app", "load_config_file", "make_clock", "parse_timeline",
    "__version__",
]


def __getattr__(name: str):
    # create_app imports Flask; deferred so that `dfmock serve` answers before Flask is loaded.
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

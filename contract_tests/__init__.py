"""dfmock's contract kit: validate messages and task lifecycles of the EnOS Data
Federation download-task API against the contract in ``dfmock_schemas``, over any
target (a WSGI app in-process, an emulator or a real gateway by URL).

Never imports ``mock_server``: the same checks run against a real gateway.
"""

from .lifecycle import check_lifecycle
from .schemas import KINDS, PROFILES, registry, validator
from .targets import HttpTarget, Response, WsgiTarget
from .validator import check_message, check_response, detect_kind, validate_message
from .violations import MISSING, Report, Violation

__all__ = [
    "KINDS", "MISSING", "PROFILES",
    "HttpTarget", "Report", "Response", "Violation", "WsgiTarget",
    "check_lifecycle", "check_message", "check_response", "detect_kind",
    "registry", "validate_message", "validator",
]

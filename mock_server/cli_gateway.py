"""``dfmock serve`` options for the gateway (auth, callbacks), and the ``dfmock proxy``
command (which lives in the kit: contract_tests.proxy). Kept apart from cli.py so
that file only calls in here."""

from __future__ import annotations

import dataclasses
from typing import Any

from .auth import AUTH_MODES, AuthConfigError, parse_app, parse_window


def add_serve_options(p) -> None:
    p.add_argument("--auth", choices=AUTH_MODES, help="APIM checks: off (default), presence (an apim-accesstoken "
                                                       "header is required) or verify (token, timestamp, signature, replay)")
    p.add_argument("--app", action="append", metavar="KEY:SECRET", dest="auth_apps",
                   help="an app the token service knows (repeatable; adds to the config file's)")
    p.add_argument("--auth-window", metavar="DURATION", help="how far apim-timestamp may be from the emulator "
                                                              "clock (default 5m; off: not checked)")
    p.add_argument("--callback-allow", action="append", metavar="HOST", dest="callback_allow",
                   help="a host (name, IP or CIDR network; * for any) callbacks may go to besides loopback (repeatable)")


def serve_changes(args, config) -> dict[str, Any]:
    """Config changes from the gateway flags (``ValueError`` for a bad value)."""
    changes: dict[str, Any] = {}
    auth: dict[str, Any] = {}
    try:
        if getattr(args, "auth", None):
            auth["mode"] = args.auth
        if getattr(args, "auth_apps", None):
            given = dict(parse_app(text) for text in args.auth_apps)
            auth["apps"] = tuple((k, s) for k, s in config.auth.apps if k not in given) + tuple(given.items())
        if getattr(args, "auth_window", None):
            auth["timestamp_window"] = parse_window(args.auth_window)
        if auth:
            changes["auth"] = dataclasses.replace(config.auth, **auth)
    except AuthConfigError as exc:
        raise ValueError(str(exc)) from None
    if getattr(args, "callback_allow", None):
        hosts = tuple(dict.fromkeys((*config.callbacks.allow_hosts, *args.callback_allow)))
        changes["callbacks"] = dataclasses.replace(config.callbacks, allow_hosts=hosts)
    return changes


def add_proxy_parser(sub) -> None:
    from contract_tests.proxy import add_proxy_parser as add

    add(sub)

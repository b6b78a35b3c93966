"""Hypothesis settings profiles for the contract suites.

- ``ci``: bounded (50 examples), no deadline (shared machines stall), failing
  examples printed as reproduction blobs; runs stay random, and Hypothesis prints
  the seed of a failure so it can be replayed with ``--hypothesis-seed``.
- ``local``: more examples (300) for a deeper search on a developer machine.

``register_profiles()`` is idempotent; ``load_default_profile()`` picks ``ci`` when
the environment variable ``CI`` is set to a non-empty value other than ``0`` /
``false``, else ``local``; ``HYPOTHESIS_PROFILE`` names one explicitly.
"""

from __future__ import annotations

import os
from typing import Mapping

from hypothesis import HealthCheck, settings

PROFILE_SETTINGS = {
    "ci": {"max_examples": 50, "deadline": None, "print_blob": True, "derandomize": False,
           "suppress_health_check": [HealthCheck.too_slow]},
    "local": {"max_examples": 300, "deadline": None, "print_blob": True},
}


def register_profiles() -> None:
    for name, values in PROFILE_SETTINGS.items():
        settings.register_profile(name, **values)


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in ("", "0", "false", "no")


def default_profile_name(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    if environ.get("HYPOTHESIS_PROFILE"):
        return environ["HYPOTHESIS_PROFILE"]
    return "ci" if _truthy(environ.get("CI")) else "local"


def load_default_profile(environ: Mapping[str, str] | None = None) -> str:
    """Register the profiles, load the one the environment asks for, return its name."""
    register_profiles()
    name = default_profile_name(environ)
    settings.load_profile(name)
    return name

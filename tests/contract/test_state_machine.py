"""Suite (1): the emulator driven in-process by the kit's state machine
(contract_tests.suites.emulator_machine), under several wire settings, each
checked with the profile that matches it."""

from __future__ import annotations

from hypothesis import settings

from contract_tests.suites.emulator_machine import emulator_machine
from contract_tests.targets import WsgiTarget
from mock_server import EmulatorConfig, create_app
from mock_server.config import WireSettings


def _machine(name: str, profile: str, **wire):
    wire_settings = WireSettings(**wire)

    def make_target(seed: int) -> WsgiTarget:
        return WsgiTarget(create_app(EmulatorConfig(clock="manual", seed=seed, wire=wire_settings)))

    machine = emulator_machine(make_target, profile=profile, cancel_answer=wire_settings.cancel_answer,
                               error_status=wire_settings.error_status, name=name)
    # The loaded profile (ci / local) sets max_examples; the step count is bounded here.
    machine.TestCase.settings = settings(stateful_step_count=30)
    return machine


# Defaults: the published samples' forms (numbers as strings, data an object).
TestDefaultWire = _machine("DefaultWire", "sample").TestCase

# The documentation table's types: integers, data a one-item list.
TestDocumentedWire = _machine("DocumentedWire", "documented", numbers="integer", data_shape="list").TestCase

# Everything else the docs leave open, which only the lenient profile accepts.
TestOddWire = _machine("OddWire", "lenient", before_success="omit", cancel_answer="cancelled",
                       error_status="200", request_id=True).TestCase

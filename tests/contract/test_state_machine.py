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


def test_the_machine_runs_over_http_against_a_served_emulator():
    """The same machine over real HTTP (docs/contract-suites.md): one server, reset
    before each example; a few examples, the in-process runs above go deep."""
    from hypothesis.stateful import run_state_machine_as_test

    from contract_tests.targets import HttpTarget
    from mock_server.runner import run_emulator

    with run_emulator(EmulatorConfig(clock="manual", seed=0)) as dfm:
        def make_target(seed: int) -> HttpTarget:
            target = HttpTarget(dfm.base_url, timeout=10)
            target.request("POST", "/__admin/reset")
            return target

        machine = emulator_machine(make_target, profile="sample", name="HttpEmulator")
        run_state_machine_as_test(machine, settings=settings(stateful_step_count=20, max_examples=8))

"""Judge a real client: run it against generated scenarios on the emulator and say
precisely where it breaks, with the smallest scenario that shows it.

Talks to the emulator over HTTP only (its admin API), like the rest of the kit.
The protocol a client follows is in docs/client-protocol.md.
"""

from .judge import CHECKS, RunFacts, Violation, judge
from .runner import ClientRunner, Exploration, RunnerError, RunResult
from .scenario import MAX_FAULTS_PER_ROUTE, Scenario, expected_exit, scenarios

__all__ = [
    "CHECKS", "ClientRunner", "Exploration", "MAX_FAULTS_PER_ROUTE", "RunFacts", "RunResult", "RunnerError",
    "Scenario", "Violation", "expected_exit", "judge", "scenarios",
]

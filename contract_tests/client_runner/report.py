"""A failed run, told readably: the rule broken, the scenario, what the client did
(the journal, trimmed), the client's last words, and the command that replays it."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .judge import STATE_NAMES, answered, route_of
from .scenario import EXIT_MEANINGS

if TYPE_CHECKING:
    from .runner import RunResult

HEAD, TAIL = 6, 12


def journal_line(entry: dict, start: float | None) -> str:
    offset = f"+{entry['received'] - start:7.3f}s" if start is not None and entry.get("received") else "        "
    route = route_of(entry) or urlsplit(entry["path"]).path
    if entry["status"] == 0:
        answer = "no answer (connection dropped)"
    else:
        answer = f"{entry['status']}"
        if entry.get("code") not in (None, 0):
            answer += f" code {entry['code']}"
        state = entry.get("state")
        if state is not None:
            shown = answered(entry)
            answer += f" {STATE_NAMES[state]} ({state})" if shown else f" [hid {STATE_NAMES[state]}]"
    fault = f"   <- fault {entry['fault']}" if entry.get("fault") else ""
    return f"  #{entry['seq']:<4}{offset}  {entry['method']:6} {route:8} -> {answer}{fault}"


def trimmed_journal(journal: list[dict], marked: set[int]) -> list[str]:
    start = journal[0].get("received") if journal else None
    if len(journal) <= HEAD + TAIL + 2:
        shown = journal
    else:
        keep = set(range(HEAD)) | set(range(len(journal) - TAIL, len(journal)))
        keep |= {i for i, e in enumerate(journal) if e["seq"] in marked}
        shown = [journal[i] for i in sorted(keep)]
    lines, previous = [], None
    for entry in shown:
        if previous is not None and entry["seq"] != previous + 1:
            lines.append(f"  ... {entry['seq'] - previous - 1} more ...")
        lines.append(journal_line(entry, start) + ("   <== here" if entry["seq"] in marked else ""))
        previous = entry["seq"]
    return lines or ["  (no requests)"]


def render_report(result: "RunResult", replay: str, *, runs: int | None = None, elapsed: float | None = None) -> str:
    facts = result.facts
    marked = {seq for v in result.violations for seq in v.seqs}
    lines = []
    if runs is not None:
        lines.append(f"FINDING after {runs} scenario runs ({elapsed or 0:.1f} s); smallest scenario found:")
    else:
        lines.append("FINDING:")
    lines.append("")
    lines.append("rule broken:")
    for violation in result.violations:
        lines.append(f"  [{violation.rule}] {violation.message}")
    lines.append("")
    lines.append("scenario:")
    lines += [f"  {line}" for line in result.scenario.describe()]
    expected = f"exit {facts.expected_exit} ({EXIT_MEANINGS[facts.expected_exit]}: {facts.expected_reason})"
    got = (f"exit {facts.exit_code} ({EXIT_MEANINGS.get(facts.exit_code, 'gave up')})" if facts.exit_code is not None
           else f"killed: {facts.killed_reason}")
    lines.append(f"  expected     {expected}")
    lines.append(f"  got          {got} after {facts.elapsed:.2f} s")
    lines.append("")
    lines.append(f"what the client did (journal of task {result.task_id[:8]}…, {len(facts.journal)} requests):")
    lines += trimmed_journal(facts.journal, marked)
    if result.stderr.strip():
        lines.append("")
        lines.append("client stderr (last lines):")
        lines += [f"  | {line}" for line in result.stderr.splitlines()]
    lines.append("")
    lines.append("replay exactly this scenario:")
    lines.append(f"  {replay}")
    return "\n".join(lines)

"""The evidence of one request: read-only lookups run for a diagnosis, numbered E1, E2, ...

Each lookup is validated, grounded, scope-checked and held to the user's context and Docker
host (guards.target_problems) before it runs; an identical repeated lookup is refused (the
loop cannot spin on one call) and one request runs at most `max_lookups` of them. Results,
and refusals that quote cluster names, are redacted, truncated and delimited as untrusted
data. Answers cite the ids; the citations list the exact read calls.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.catalog import Operation
from bot.planning import tools as toolset
from bot.planning.base import Inventory
from bot.planning.grounding import check_operation
from bot.planning.guards import target_problems
from bot.planning.toolargs import ArgumentError, error_text, to_operation
from bot.planning.untrusted import data_block, scrub_error
from bot.planning.wording import Wording

ReadTool = Callable[[Operation], str]
"""Runs one read-only operation on the real backends and returns redacted text."""


@dataclass(frozen=True)
class Lookup:
    evidence_id: str
    op: Operation

    @property
    def citation(self) -> str:
        return f"{self.evidence_id}: {self.op.describe()}"


@dataclass
class EvidenceLog:
    read_tool: ReadTool
    inventory: Inventory
    allowed_namespaces: Sequence[str]
    max_data_chars: int
    wording: Wording
    default_context: str | None = None
    max_lookups: int = 12
    lookups: list[Lookup] = field(default_factory=list)
    _seen: dict[str, str] = field(default_factory=dict)

    def run(self, tool_name: str, raw_arguments: str) -> str:
        """Run one lookup call; returns the tool message content for the model."""
        kind = toolset.lookup_kind(tool_name)
        if kind is None:
            return f"not run: '{tool_name}' is not a lookup tool"
        try:
            op = to_operation(kind, raw_arguments)
        except ArgumentError as exc:
            return f"not run: invalid arguments ({error_text(exc)})"
        key = json.dumps(op.model_dump(mode="json"), sort_keys=True)
        if key in self._seen:
            return (
                f"refused: this identical lookup already ran as {self._seen[key]}; "
                "use that evidence or call answer."
            )
        if len(self.lookups) >= self.max_lookups:
            return (
                f"not run: at most {self.max_lookups} lookups run for one request; "
                "answer from the evidence you have."
            )
        targets = target_problems(op, self.wording, default_context=self.default_context)
        if targets:
            return "not run: " + "; ".join(targets) + " (lookups use the default or the user's)"
        report = check_operation(
            op, inventory=self.inventory, allowed_namespaces=self.allowed_namespaces
        )
        if not report.ok:  # the problems quote existing names: data, never instructions
            details = "; ".join(report.out_of_scope + report.problems)
            return "not run: the names were checked against the cluster:\n" + data_block(
                details, source="grounding", max_chars=self.max_data_chars
            )
        evidence_id = f"E{len(self.lookups) + 1}"
        self._seen[key] = evidence_id
        self.lookups.append(Lookup(evidence_id=evidence_id, op=op))
        try:
            text = self.read_tool(op)
        except Exception as exc:  # noqa: BLE001 - a failed lookup is evidence too
            text = f"lookup failed: {type(exc).__name__}: {scrub_error(str(exc))}"
        return data_block(
            text, source=op.describe(), evidence_id=evidence_id, max_chars=self.max_data_chars
        )

    def citations(self, cited: Sequence[str] = ()) -> list[str]:
        """The cited lookups (all of them when the answer cited none that exist)."""
        by_id = {lk.evidence_id: lk for lk in self.lookups}
        used = [by_id[c] for c in dict.fromkeys(cited) if c in by_id] or self.lookups
        return [lk.citation for lk in used]

    def cite(self, answer: str, cited: Sequence[str]) -> str:
        """Make sure an answer built on lookups names its evidence ids in the text."""
        ids = [c.split(":", 1)[0] for c in self.citations(cited)]
        if not ids or any(f"[{i}]" in answer for i in ids):
            return answer
        return answer + " (evidence: " + ", ".join(f"[{i}]" for i in ids) + ")"

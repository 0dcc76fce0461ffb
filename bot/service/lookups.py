"""The planner's read tool, bound to one requester: each lookup is a read, held to the
requester's words (the contexts and hosts they named), policed as them and run as them."""

from __future__ import annotations

from bot.audit import AuditLog
from bot.catalog import Operation, Risk
from bot.models import Principal
from bot.plan import Plan
from bot.planning.diagnose import ReadTool
from bot.planning.guards import target_problems
from bot.planning.untrusted import scrub_error
from bot.planning.wording import Wording
from bot.policy.decision import Outcome
from bot.render import render_execution
from bot.service import audit_records
from bot.service.decider import Decider
from bot.service.runs import AuditedRuns

NOT_RUN = (
    "not run: this is a preview (`opsbot plan`), reads are listed, not run; plan from the "
    "request and the inventory alone"
)


def recording(run: ReadTool | None, wanted: list[str]) -> ReadTool:
    """A read tool that lists each lookup in `wanted` and runs it with `run` (None: not run)."""

    def lookup(op: Operation) -> str:
        wanted.append(op.describe())
        return run(op) if run is not None else NOT_RUN

    return lookup


class PolicedLookups:
    def __init__(self, *, decider: Decider, runs: AuditedRuns, audit: AuditLog) -> None:
        self.decider = decider
        self.runs = runs
        self.audit = audit

    def for_requester(self, requester: Principal, wording: Wording) -> ReadTool:
        """The lookup function handed to the planner for one request."""

        def lookup(op: Operation) -> str:
            return self.run(op, requester=requester, wording=wording)

        return lookup

    def run(self, op: Operation, *, requester: Principal, wording: Wording) -> str:
        if op.risk != Risk.READ:
            return "refused: lookups are read operations made on behalf of a requester"
        targets = target_problems(op, wording, default_context=self.decider.default_context)
        if targets:
            return "refused: " + "; ".join(targets)
        plan = self.decider.in_context(Plan(steps=[op], source="llm"))
        decision = self.decider.decide(plan, requester)
        self.audit.record(audit_records.decision(plan, requester, decision))
        if decision.outcome != Outcome.ALLOW:
            return "refused by policy: " + "; ".join(decision.reasons)
        execution = self.runs.run(plan, requester)
        text = render_execution(execution)
        # an error text may name a kubeconfig or token file: the model never sees paths
        return text if execution.ok else scrub_error(text)

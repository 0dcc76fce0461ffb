"""Plain-language requests: the LLM planner, its scope, grounding and policed lookups."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from bot import metrics
from bot.audit import AuditEntry
from bot.catalog import Operation, Risk
from bot.inventory import CachedInventory, InventoryUnavailable
from bot.models import Principal, Request
from bot.plan import Plan
from bot.planning.base import Inventory
from bot.planning.guards import guard_writes, target_problems
from bot.planning.untrusted import scrub_error
from bot.planning.wording import Wording
from bot.policy.decision import Outcome
from bot.render import render_execution
from bot.replies import Reply, ReplyKind
from bot.service_base import ServiceBase


@dataclass(frozen=True)
class _Asker:
    """Who the LLM planner works for, and their words (which contexts and hosts they named)."""

    requester: Principal
    wording: Wording


# While the planner runs, its read lookups act as the requester, held to their words.
_acting_for: ContextVar[_Asker | None] = ContextVar("opsbot_acting_for", default=None)


class LlmPlanning(ServiceBase):
    def _plan_with_llm(self, request: Request, requester: Principal) -> Plan | Reply:
        assert self.planner is not None and self.inventory is not None
        if self.rate_limiter is not None:
            within_limit, retry_after = self.rate_limiter.allow(requester.id)
            if not within_limit:
                return self._reply(
                    ReplyKind.INVALID,
                    text=f"You have sent many plain-language requests; try again in {retry_after}s "
                    "or use an explicit command (`help`).",
                )
        inventory = CachedInventory(self.inventory)
        try:
            allowed = self._readable_namespaces(requester, inventory)
        except InventoryUnavailable as exc:
            return self._reply(
                ReplyKind.ERROR,
                text=f"I could not read the cluster to check names ({exc}), so nothing was "
                "planned. Explicit commands still work (`help`).",
            )
        wording = Wording.of(request.text)
        token = _acting_for.set(_Asker(requester=requester, wording=wording))
        try:
            outcome = self.planner.plan(
                request,
                requester=requester,
                inventory=inventory,
                allowed_namespaces=allowed,
                default_context=self.default_context,
            )
        finally:
            _acting_for.reset(token)
        metrics.record_llm_usage(
            model=outcome.usage.model or "unknown",
            input_tokens=outcome.usage.prompt_tokens,
            output_tokens=outcome.usage.completion_tokens,
            cost_usd=outcome.usage.cost_usd,
        )
        self.audit.record(
            AuditEntry(
                event="llm_usage",
                requester=requester.id,
                plan_digest=outcome.plan.digest if outcome.plan else None,
                details=outcome.usage.model_dump(),
            )
        )
        if outcome.plan is not None:
            problems = self._proposal_problems(outcome.plan, wording, inventory)
            problems = problems or self._grounding_problems(
                outcome.plan.with_default_context(self.default_context), allowed, inventory
            )
            if problems:
                return self._reply(ReplyKind.INVALID, text="\n".join(problems))
            return outcome.plan
        text = outcome.answer or outcome.clarification or outcome.abstain_reason or outcome.error
        kind = ReplyKind.RESULT if outcome.answer else ReplyKind.INVALID
        if outcome.answer and outcome.evidence:
            text = f"{outcome.answer}\n\nEvidence: " + "; ".join(outcome.evidence)
        return self._reply(kind, text=text or "I could not turn that into a plan.")

    def _readable_namespaces(self, requester: Principal, inventory: Inventory) -> list[str]:
        """Namespaces the requester may read: all the LLM is told about or may name.
        Raises InventoryUnavailable when the cluster cannot be listed."""
        namespaces = inventory.namespaces()
        if not namespaces:  # no Kubernetes backend: Docker-only scope
            return []
        readable = self.policy.readable_namespaces(
            requester, namespaces, now=self.clock(), context=self.default_context
        )
        # Whoever may read every namespace may also ask across all of them (health, -A).
        return ["*"] if set(readable) >= set(namespaces) else readable

    def _proposal_problems(self, plan: Plan, wording: Wording, inventory: Inventory) -> list[str]:
        """Invariant 7, checked again here (whatever the Planner implementation): every step is
        held to the user's words; none runs in a context or host the model chose."""
        guarded = guard_writes(
            plan.steps, text=wording, inventory=inventory, default_context=self.default_context
        )
        if not guarded.blocked:
            return []
        return ["Not planned (only changes you ask for are proposed):", *guarded.blocked]

    def _grounding_problems(
        self, plan: Plan, allowed: list[str], inventory: Inventory
    ) -> list[str]:
        """Invariant 5, checked again here: an LLM plan naming anything that does not exist
        live, or outside the requester's readable namespaces, is never shown as executable."""
        from bot.planning.grounding import GroundingUnavailable, check_operation

        problems: list[str] = []
        try:
            for op in plan.steps:
                report = check_operation(op, inventory=inventory, allowed_namespaces=allowed)
                problems += report.problems + report.out_of_scope
        except GroundingUnavailable as exc:
            problems.append(f"I could not check the plan's names against the cluster ({exc}).")
        return problems

    def planner_lookup(self, op: Operation) -> str:
        """The planner's read tool: a read, policed and run as the person it plans for."""
        asker = _acting_for.get()
        if asker is None or op.risk != Risk.READ:
            return "refused: lookups are read operations made on behalf of a requester"
        requester = asker.requester
        targets = target_problems(op, asker.wording, default_context=self.default_context)
        if targets:
            return "refused: " + "; ".join(targets)
        plan = Plan(steps=[op], source="llm").with_default_context(self.default_context)
        decision = self._evaluate(plan, requester)
        self._audit_decision(plan, requester, decision)
        if decision.outcome != Outcome.ALLOW:
            return "refused by policy: " + "; ".join(decision.reasons)
        execution = self.executor.run(plan, actor=requester)
        self._audit_execution(plan, requester, execution, approvers=[])
        text = render_execution(execution)
        # an error text may name a kubeconfig or token file: the model never sees paths
        return text if execution.ok else scrub_error(text)

"""Plain-language requests: the LLM planner, its scope, grounding and policed lookups."""

from __future__ import annotations

from contextvars import ContextVar

from bot import metrics
from bot.audit import AuditEntry
from bot.catalog import Operation, Risk
from bot.inventory import CachedInventory, InventoryUnavailable
from bot.models import Principal, Request
from bot.plan import Plan
from bot.planning.base import Inventory
from bot.policy.decision import Outcome
from bot.render import render_execution
from bot.replies import Reply, ReplyKind
from bot.service_base import ServiceBase

# Who the LLM planner is working for while it runs: its read lookups act as that person.
_acting_for: ContextVar[Principal | None] = ContextVar("opsbot_acting_for", default=None)


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
        token = _acting_for.set(requester)
        try:
            outcome = self.planner.plan(
                request, requester=requester, inventory=inventory, allowed_namespaces=allowed
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
            problems = self._grounding_problems(
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
        requester = _acting_for.get()
        if requester is None or op.risk != Risk.READ:
            return "refused: lookups are read operations made on behalf of a requester"
        plan = Plan(steps=[op], source="llm").with_default_context(self.default_context)
        decision = self._evaluate(plan, requester)
        self._audit_decision(plan, requester, decision)
        if decision.outcome != Outcome.ALLOW:
            return "refused by policy: " + "; ".join(decision.reasons)
        execution = self.executor.run(plan, actor=requester)
        self._audit_execution(plan, requester, execution, approvers=[])
        return render_execution(execution)

"""The one place that turns a Plan and a requester into a Decision: the operations this
deployment enables, the policy in force, and the fail-closed checks around it. Requests,
undo, the planner's lookups, vote counting and `opsbot plan` all decide here."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.models import Principal
from bot.plan import Plan
from bot.policy.decision import Decision, Outcome
from bot.replies import ExecutionReport
from bot.service.ports import AsGiven, PolicySource, PrincipalResolver

log = logging.getLogger("opsbot.service")


class Decider:
    def __init__(
        self,
        *,
        policy: PolicySource,
        clock: Callable[[], datetime],
        enabled_operations: frozenset[str] = frozenset(),
        default_context: str | None = None,
        principals: PrincipalResolver | None = None,
    ) -> None:
        self.policy = policy
        self.principals: PrincipalResolver = principals or AsGiven()
        self.clock = clock
        self.enabled_operations = enabled_operations
        self.default_context = default_context

    def in_context(self, plan: Plan) -> Plan:
        """The plan as it would run: steps naming no context get the deployment's."""
        return plan.with_default_context(self.default_context)

    def effective(self, principal: Principal) -> Principal:
        """The principal with the groups the policy in force gives it."""
        return self.policy.effective_principal(principal)

    def current(self, principal: Principal) -> Principal:
        """A stored principal (a requester, a ballot's voter) with its platform groups as they
        are now plus the policy's: how approvals are counted and re-evaluated."""
        return self.policy.effective_principal(self.principals.current(principal))

    def decide(self, plan: Plan, requester: Principal) -> Decision:
        disabled = sorted(
            {s.kind for s in plan.steps} - self.enabled_operations
            if self.enabled_operations
            else ()
        )
        if disabled:
            return Decision.deny(
                f"{', '.join(disabled)} is not enabled in this deployment "
                "(OPSBOT_ENABLED_OPERATIONS / the chart's operations.enabled)"
            )
        try:
            decision = self.policy.evaluate(plan, requester, now=self.clock())
        except Exception as exc:
            log.exception("policy evaluation failed")
            return Decision.deny(
                f"policy evaluation failed ({exc}); nothing runs until it is fixed"
            )
        if decision.outcome == Outcome.ALLOW and not plan.is_read_only:
            # Invariant: a write never runs without an approval, whatever a policy file says.
            return Decision.deny("policy allowed a write without approval; refusing (fail closed)")
        if decision.outcome == Outcome.NEEDS_APPROVAL and not decision.requirements:
            return Decision.deny("policy asked for approval but named no approvers (fail closed)")
        return decision

    def readable_namespaces(self, requester: Principal, namespaces: list[str]) -> list[str]:
        """Of `namespaces`, those the requester may read; ["*"] when that is all of them
        (whoever may read every namespace may also ask across all of them: health, -A)."""
        if not namespaces:  # no Kubernetes backend: Docker-only scope
            return []
        readable = self.policy.readable_namespaces(
            requester, namespaces, now=self.clock(), context=self.default_context
        )
        return ["*"] if set(readable) >= set(namespaces) else readable

    def without_disabled_undo(self, execution: ExecutionReport) -> ExecutionReport:
        """Offer undo only when its operations are enabled in this deployment."""
        undo = execution.undo_plan
        if undo is None or not self.enabled_operations:
            return execution
        if {s.kind for s in undo.steps} <= self.enabled_operations:
            return execution
        return execution.model_copy(update={"undo_plan": None})

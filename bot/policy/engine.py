"""The policy engine: Plan + requester + time -> Decision. Fails closed, never raises.

Per step, in order (all deny reasons are collected, deny always wins):
  1. denies that match          -> DENY with each rule's reason
  2. no grant matches           -> DENY ("no grant lets bob run scale_deployment in ...")
  3. a limit is exceeded        -> DENY naming the limit
  4. a freeze window is active  -> DENY naming the window and when it ends
  5. reads                      -> ALLOW, unless an approval rule names reads explicitly
  6. writes / destructive       -> NEEDS_APPROVAL: every matching approval rule becomes a
                                   requirement and all must be met (the soonest expiry wins);
                                   DENY when no approval rule covers them
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from bot.catalog import OPERATIONS, Operation, Risk
from bot.catalog.kubernetes_ops import ListPods
from bot.models import Principal
from bot.plan import Plan
from bot.policy.decision import ApprovalRequirement, Decision, Outcome, StepDecision
from bot.policy.freeze import active_until, describe_end
from bot.policy.loader import Labeled, Policy, PolicyError, load_policy
from bot.policy.model import Approval, Limit, Scoped
from bot.policy.patterns import ANY, glob_match

log = logging.getLogger(__name__)


class PolicyEngine:
    """Evaluates plans against a loaded Policy. A broken engine denies everything."""

    def __init__(self, policy: Policy, *, broken_reason: str | None = None) -> None:
        self.policy = policy
        self.broken_reason = broken_reason

    @classmethod
    def broken(cls, reason: str, *, source: Path | None = None) -> PolicyEngine:
        """An engine that denies every plan with `reason` (e.g. the load error)."""
        return cls(Policy(source=source or Path("<none>")), broken_reason=reason)

    @property
    def ok(self) -> bool:
        return self.broken_reason is None

    # -- identity -----------------------------------------------------------------------------

    def groups_of(self, principal: Principal) -> frozenset[str]:
        """The chat platform's groups plus the policy's static groups for this user id."""
        return principal.groups | self.policy.groups.get(principal.id, frozenset())

    def effective_principal(self, principal: Principal) -> Principal:
        """The principal with merged groups; pass voters through this before `admits()`."""
        groups = self.groups_of(principal)
        return (
            principal
            if groups == principal.groups
            else principal.model_copy(update={"groups": groups})
        )

    # -- evaluation ---------------------------------------------------------------------------

    def evaluate(self, plan: Plan, requester: Principal, *, now: datetime) -> Decision:
        """The decision for the whole plan. Any exception inside becomes a DENY."""
        if self.broken_reason is not None:
            return Decision.deny(f"policy unavailable, denying everything: {self.broken_reason}")
        try:
            if now.tzinfo is None:
                now = now.replace(tzinfo=UTC)
            who = self.effective_principal(requester)
            steps = [self.evaluate_step(step, who, now=now) for step in plan.steps]
            return _combine(steps)
        except Exception as err:
            log.exception("policy evaluation failed")
            return Decision.deny(f"policy evaluation failed ({type(err).__name__}: {err})")

    def readable_namespaces(
        self,
        principal: Principal,
        namespaces: Iterable[str],
        *,
        now: datetime,
        context: str | None = None,
    ) -> list[str]:
        """The given namespaces (in order, without repeats) where `principal` may run
        `list_pods` without approval: a one-step plan per namespace, ALLOW means readable.
        `context`: the kubeconfig context the steps would carry (None: `default_context`).

        For narrowing what the LLM planner is shown. Never raises: a broken engine, an invalid
        namespace name or any failure leaves the namespace (or everything) out.
        """
        if self.broken_reason is not None:
            return []
        readable: list[str] = []
        try:
            for namespace in dict.fromkeys(namespaces):
                try:
                    plan = Plan(steps=[ListPods(namespace=namespace, context=context)])
                except ValueError:
                    continue
                if self.evaluate(plan, principal, now=now).outcome == Outcome.ALLOW:
                    readable.append(namespace)
        except Exception:
            log.exception("readable_namespaces failed; showing no namespaces")
            return []
        return readable

    def evaluate_step(self, step: Operation, who: Principal, *, now: datetime) -> StepDecision:
        kind = getattr(step, "kind", None)
        if not isinstance(kind, str) or OPERATIONS.get(kind) is not type(step):
            return StepDecision(
                outcome=Outcome.DENY, reasons=[f"unknown action {kind!r}: not in the catalog"]
            )
        where = describe_scope(step, self.policy.default_context)
        reasons: list[str] = []
        matched: list[str] = []
        for deny in self._matching(self.policy.denies, step, who, restrictive=True):
            if not _exempt(deny.rule.exempt_users, deny.rule.exempt_groups, who):
                reasons.append(f"denied by '{deny.label}': {deny.rule.reason}")
                matched.append(deny.label)
        grants = list(self._matching(self.policy.grants, step, who, restrictive=False))
        if not grants:
            reasons.append(f"no grant lets {who.id} run {kind} in {where}")
        matched.extend(g.label for g in grants)
        for label, text in self._limit_violations(step, who):
            reasons.append(text)
            matched.append(label)
        for freeze in self._matching(self.policy.freezes, step, who, restrictive=True):
            if _exempt(freeze.rule.exempt_users, freeze.rule.exempt_groups, who):
                continue
            until = active_until(freeze.rule, now)
            if until is not None:
                reasons.append(
                    f"change freeze '{freeze.label}' is active until {describe_end(until)}"
                    f" ({freeze.rule.timezone}): {freeze.rule.reason}"
                )
                matched.append(freeze.label)
        if reasons:
            return StepDecision(outcome=Outcome.DENY, reasons=reasons, matched_rules=matched)
        return self._approval(step, who, where=where, matched=matched)

    # -- pieces -------------------------------------------------------------------------------

    def _approval(
        self, step: Operation, who: Principal, *, where: str, matched: list[str]
    ) -> StepDecision:
        rules = [
            a
            for a in self._matching(self.policy.approvals, step, who, restrictive=True)
            if step.risk != Risk.READ or step.kind in a.explicit_kinds
        ]
        if not rules:
            if step.risk == Risk.READ:
                return StepDecision(outcome=Outcome.ALLOW, matched_rules=matched)
            return StepDecision(
                outcome=Outcome.DENY,
                reasons=[
                    f"no approval rule covers {step.kind} ({step.risk}) in {where}; "
                    "writes need one (fail closed)"
                ],
                matched_rules=matched,
            )
        requirements: list[ApprovalRequirement] = []
        for approval in rules:
            requirement = _requirement(approval)
            if requirement not in requirements:
                requirements.append(requirement)
        labels = [r.rule for r in requirements]
        return StepDecision(
            outcome=Outcome.NEEDS_APPROVAL,
            reasons=[f"{step.kind} in {where} needs approval per {_quoted(labels)}"],
            matched_rules=[*matched, *labels],
            requirements=requirements,
        )

    def _limit_violations(self, step: Operation, who: Principal) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for limit in self._matching(self.policy.limits, step, who, restrictive=True):
            for param, bound in limit.rule.max.items():
                value = getattr(step, param, None)
                if isinstance(value, int) and value > bound:
                    out.append((limit.label, _limit_text(limit, param, value, f"at most {bound}")))
            for param, bound in limit.rule.min.items():
                value = getattr(step, param, None)
                if isinstance(value, int) and value < bound:
                    out.append((limit.label, _limit_text(limit, param, value, f"at least {bound}")))
        return out

    def _matching[R: Scoped](
        self,
        rules: tuple[Labeled[R], ...],
        step: Operation,
        who: Principal,
        *,
        restrictive: bool,
    ) -> list[Labeled[R]]:
        return [
            r
            for r in rules
            if step.kind in r.kinds
            and _applies_to(r.rule, who, required=not restrictive)
            and self._in_scope(r.rule, step, restrictive=restrictive)
        ]

    def _in_scope(self, rule: Scoped, step: Operation, *, restrictive: bool) -> bool:
        namespace, context, host = scope_values(step, self.policy.default_context)
        return (
            _dimension(rule.namespaces, rule.except_namespaces, namespace, restrictive)
            and _dimension(rule.contexts, rule.except_contexts, context, restrictive)
            and _dimension(rule.hosts, rule.except_hosts, host, restrictive)
        )


def load_engine_or_deny(path: Path) -> PolicyEngine:
    """The service's entry point: a working engine, or one that denies with the load error."""
    try:
        return PolicyEngine(load_policy(path))
    except PolicyError as err:
        log.error("policy %s is broken, denying everything:\n%s", path, err)
        return PolicyEngine.broken(f"policy {path} is invalid: {err}", source=path)
    except Exception as err:
        log.exception("policy %s could not be loaded", path)
        return PolicyEngine.broken(f"policy {path} could not be loaded: {err}", source=path)


def scope_values(
    step: Operation, default_context: str
) -> tuple[str | None, str | None, str | None]:
    """(namespace, context, host) of a step; None where the dimension does not apply.

    '*' as namespace means all namespaces. A Kubernetes step without a context is matched as
    the policy's `default_context`.
    """
    namespace = step.scope_namespace
    if step.backend.value == "kubernetes":
        return namespace, step.scope_context or default_context, None
    if step.kind == "health_report":
        return namespace, step.scope_context or default_context, step.scope_host or ANY
    return None, None, step.scope_host


def describe_scope(step: Operation, default_context: str) -> str:
    namespace, context, host = scope_values(step, default_context)
    parts: list[str] = []
    if namespace == ANY:
        parts.append("all namespaces")
    elif namespace is not None:
        parts.append(f"namespace {namespace}")
    if context is not None and context != default_context:
        parts.append(f"context {context}")
    if host is not None and host != ANY:
        parts.append(f"docker host {host}")
    return ", ".join(parts) or "any scope"


def _dimension(
    patterns: list[str], excepts: list[str], value: str | None, restrictive: bool
) -> bool:
    """Does a rule's scope dimension cover `value`?

    Not applicable (None, e.g. the namespace of a Docker step): only a '*' dimension matches.
    All (value '*'): a restrictive rule (deny, limit, freeze, approval) matches if it names
    anything; a permissive rule (grant) only if it covers everything ('*', no excepts).
    """
    if value is None:
        return ANY in patterns
    if value == ANY:
        return bool(patterns) if restrictive else ANY in patterns and not excepts
    if any(glob_match(p, value) for p in excepts):
        return False
    return any(glob_match(p, value) for p in patterns)


def _applies_to(rule: Scoped, who: Principal, *, required: bool) -> bool:
    """Grants must name their subjects; other rules with no users/groups apply to everyone."""
    if not rule.users and not rule.groups:
        return not required
    if ANY in rule.users or ANY in rule.groups or who.id in rule.users:
        return True
    return bool(who.groups & set(rule.groups))


def _exempt(users: list[str], groups: list[str], who: Principal) -> bool:
    return who.id in users or bool(who.groups & set(groups))


def _requirement(approval: Labeled[Approval]) -> ApprovalRequirement:
    """One matching rule as a requirement; it keeps the rule's own self-approval flag."""
    rule = approval.rule
    return ApprovalRequirement(
        rule=approval.label,
        count=rule.count,
        approver_groups=frozenset(rule.approver_groups),
        approver_users=frozenset(rule.approver_users),
        allow_self_approval=rule.allow_self_approval,
        ttl_seconds=rule.ttl_seconds,
    )


def _quoted(labels: list[str]) -> str:
    quoted = [f"'{label}'" for label in labels]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _limit_text(limit: Labeled[Limit], param: str, value: int, bound: str) -> str:
    tail = f": {limit.rule.reason}" if limit.rule.reason else ""
    return (
        f"limit '{limit.label}': {param}={value} is out of bounds ({param} must be {bound}){tail}"
    )


def _combine(steps: list[StepDecision]) -> Decision:
    denied = [s for s in steps if s.outcome == Outcome.DENY]
    if denied:
        reasons = [
            f"step {i + 1}: {reason}" if len(steps) > 1 else reason
            for i, s in enumerate(steps)
            if s.outcome == Outcome.DENY
            for reason in s.reasons
        ]
        return Decision(outcome=Outcome.DENY, reasons=reasons, steps=steps)
    requirements: list[ApprovalRequirement] = []
    for s in steps:
        for requirement in s.requirements:
            if requirement not in requirements:
                requirements.append(requirement)
    if requirements:
        reasons = [r for s in steps for r in s.reasons]
        return Decision(
            outcome=Outcome.NEEDS_APPROVAL, reasons=reasons, steps=steps, requirements=requirements
        )
    return Decision(outcome=Outcome.ALLOW, reasons=["allowed by policy"], steps=steps)

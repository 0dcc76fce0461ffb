"""Request -> Plan: the explicit parser first, then the plain-language planner with the
requester's scope, its proposal held to their words and re-grounded, its lookups policed."""

from __future__ import annotations

from dataclasses import dataclass

from bot import metrics
from bot.audit import AuditLog
from bot.live_inventory import CachedInventory, InventoryUnavailable
from bot.models import Principal, Request
from bot.parsing import HelpRequested, NotACommand, Parsed, ParseError, parse_command
from bot.plan import Plan
from bot.planning.base import (
    Abstain,
    Answer,
    Clarify,
    Inventory,
    Planner,
    PlannerFailed,
    Proposed,
)
from bot.planning.grounding import GroundingUnavailable, check_operation
from bot.planning.guards import guard_writes
from bot.planning.wording import Wording
from bot.replies import AnswerReply, ErrorReply, HelpReply, InvalidReply, Reply
from bot.service import audit_records
from bot.service.decider import Decider
from bot.service.lookups import PolicedLookups, recording
from bot.service.ports import RateLimiter

_NO_PLAN = "I could not turn that into a plan."


@dataclass(frozen=True)
class Preview:
    """What a request would become (`opsbot plan`), with the reads the planner asked for."""

    result: Plan | Reply
    lookups: tuple[str, ...] = ()
    lookups_ran: bool = False


class Intake:
    def __init__(
        self,
        *,
        decider: Decider,
        audit: AuditLog,
        lookups: PolicedLookups,
        planner: Planner | None = None,
        inventory: Inventory | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.decider = decider
        self.audit = audit
        self.lookups = lookups
        self.planner = planner
        self.inventory = inventory
        self.rate_limiter = rate_limiter

    def plan(self, request: Request, requester: Principal) -> Plan | Reply:
        return self._plan(request, requester, wanted=None, run_lookups=True)

    def preview(self, request: Request, requester: Principal, *, run_lookups: bool) -> Preview:
        """Plan without submitting anything. The planner's reads run (as the requester, through
        policy, as in chat) only when `run_lookups`; otherwise each is answered "not run" and
        listed."""
        wanted: list[str] = []
        result = self._plan(request, requester, wanted=wanted, run_lookups=run_lookups)
        return Preview(result=result, lookups=tuple(wanted), lookups_ran=run_lookups)

    def _plan(
        self, request: Request, requester: Principal, *, wanted: list[str] | None, run_lookups: bool
    ) -> Plan | Reply:
        parsed = parse_command(request.text)
        if isinstance(parsed, Parsed):
            return parsed.plan
        if isinstance(parsed, HelpRequested):
            return HelpReply(text=parsed.text)
        if self.planner is None or self.inventory is None:
            if isinstance(parsed, ParseError):
                return InvalidReply(text=parsed.message, usage=parsed.usage)
            assert isinstance(parsed, NotACommand)
            return InvalidReply(
                text="I understand explicit commands only (no LLM is configured). "
                "Try `help` for the list, e.g. `scale deploy/web --replicas 5 -n prod`.",
            )
        return self._plan_with_llm(
            self.planner, self.inventory, request, requester, wanted, run_lookups
        )

    def _plan_with_llm(
        self,
        planner: Planner,
        live: Inventory,
        request: Request,
        requester: Principal,
        wanted: list[str] | None,
        run_lookups: bool,
    ) -> Plan | Reply:
        if self.rate_limiter is not None:
            within_limit, retry_after = self.rate_limiter.allow(requester.id)
            if not within_limit:
                return InvalidReply(
                    text=f"You have sent many plain-language requests; try again in {retry_after}s "
                    "or use an explicit command (`help`).",
                )
        inventory = CachedInventory(live)
        try:
            allowed = self.decider.readable_namespaces(requester, inventory.namespaces())
        except InventoryUnavailable as exc:
            return ErrorReply(
                text=f"I could not read the cluster to check names ({exc}), so nothing was "
                "planned. Explicit commands still work (`help`).",
            )
        wording = Wording.of(request.text)
        lookup = self.lookups.for_requester(requester, wording)
        if wanted is not None:
            lookup = recording(lookup if run_lookups else None, wanted)
        outcome = planner.plan(
            request,
            requester=requester,
            inventory=inventory,
            allowed_namespaces=allowed,
            default_context=self.decider.default_context,
            lookup=lookup,
        )
        metrics.record_llm_usage(
            model=outcome.usage.model or "unknown",
            input_tokens=outcome.usage.prompt_tokens,
            output_tokens=outcome.usage.completion_tokens,
            cost_usd=outcome.usage.cost_usd,
        )
        plan = outcome.plan if isinstance(outcome, Proposed) else None
        self.audit.record(audit_records.llm_usage(requester, outcome.usage, plan=plan))
        match outcome:
            case Proposed(plan=plan):
                problems = self._proposal_problems(plan, wording, inventory)
                problems = problems or self._grounding_problems(
                    self.decider.in_context(plan), allowed, inventory
                )
                if problems:
                    return InvalidReply(text="\n".join(problems))
                return plan
            case (
                Answer(text=answer) | Clarify(answer=str(answer)) | Abstain(answer=str(answer))
            ) if answer:
                evidence = "; ".join(outcome.evidence)
                return AnswerReply(text=f"{answer}\n\nEvidence: {evidence}" if evidence else answer)
            case Clarify(question=text) | Abstain(reason=text):
                return InvalidReply(text=text or _NO_PLAN)
            case Answer():  # an empty answer
                return InvalidReply(text=_NO_PLAN)
            case PlannerFailed():
                return InvalidReply(text=outcome.message)

    def _proposal_problems(self, plan: Plan, wording: Wording, inventory: Inventory) -> list[str]:
        """Invariant 7, checked again here (whatever the Planner implementation): every step is
        held to the user's words; none runs in a context or host the model chose."""
        guarded = guard_writes(
            plan.steps,
            text=wording,
            inventory=inventory,
            default_context=self.decider.default_context,
        )
        if not guarded.blocked:
            return []
        return ["Not planned (only changes you ask for are proposed):", *guarded.blocked]

    def _grounding_problems(
        self, plan: Plan, allowed: list[str], inventory: Inventory
    ) -> list[str]:
        """Invariant 5, checked again here: an LLM plan naming anything that does not exist
        live, or outside the requester's readable namespaces, is never shown as executable."""
        problems: list[str] = []
        try:
            for op in plan.steps:
                report = check_operation(op, inventory=inventory, allowed_namespaces=allowed)
                problems += report.problems + report.out_of_scope
        except GroundingUnavailable as exc:
            problems.append(f"I could not check the plan's names against the cluster ({exc}).")
        return problems

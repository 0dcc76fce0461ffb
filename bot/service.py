"""The orchestration: request -> plan -> policy -> preview -> approval -> exactly-once execution.

Chat adapters call these methods and render the replies; they decide nothing themselves.
Everything that can go wrong comes back as a Reply with a clear text, never as an exception.
The pieces: bot/service_base.py (state, decisions, audit), bot/service_llm.py (plain
language), bot/service_approvals.py (votes, execution, undo, expiry).
"""

from __future__ import annotations

from bot import metrics
from bot.models import Principal, Request
from bot.plan import Plan
from bot.replies import Reply, ReplyKind
from bot.service_approvals import ApprovalFlow
from bot.service_base import PolicySource, RateLimiter
from bot.service_llm import LlmPlanning

__all__ = ["OpsService", "PolicySource", "RateLimiter"]


class OpsService(LlmPlanning, ApprovalFlow):
    # every request of a user counts (reads, writes, help, plain language); set by bot.wiring
    request_limiter: RateLimiter | None = None

    def handle_request(self, request: Request) -> Reply:
        if request.event_id and not self._claim(f"req:{request.event_id}"):
            return Reply(kind=ReplyKind.DUPLICATE, text="")
        metrics.record_request(request.source)
        if self.request_limiter is not None:
            within_limit, retry_after = self.request_limiter.allow(request.principal.id)
            if not within_limit:
                return self._reply(
                    ReplyKind.DENIED,
                    text=f"You are sending requests too fast: try again in {retry_after} s",
                )
        requester = self.policy.effective_principal(request.principal)
        planned = self._plan(request, requester)
        if isinstance(planned, Reply):
            return planned
        return self.submit_plan(planned, requester=requester, request=request)

    def _plan(self, request: Request, requester: Principal) -> Plan | Reply:
        from bot.parsing import HelpRequested, NotACommand, Parsed, ParseError, parse_command

        parsed = parse_command(request.text)
        if isinstance(parsed, Parsed):
            return parsed.plan
        if isinstance(parsed, HelpRequested):
            return Reply(kind=ReplyKind.HELP, text=parsed.text)
        if self.planner is None or self.inventory is None:
            if isinstance(parsed, ParseError):
                return self._reply(ReplyKind.INVALID, text=parsed.message, usage=parsed.usage)
            assert isinstance(parsed, NotACommand)
            return self._reply(
                ReplyKind.INVALID,
                text="I understand explicit commands only (no LLM is configured). "
                "Try `help` for the list, e.g. `scale deploy/web --replicas 5 -n prod`.",
            )
        return self._plan_with_llm(request, requester)

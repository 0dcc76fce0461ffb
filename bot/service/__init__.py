"""The service: request -> plan -> policy -> preview -> approval -> exactly-once execution.

Parts (each gets what it needs through its constructor; OpsService in front.py wires them):
decider.py (enabled operations + policy + fail-closed checks -> Decision), intake.py
(request -> Plan: parser, LLM planner), lookups.py (the planner's policed reads),
submission.py (run a read / preview and store a write), approval_flow.py (votes, execution,
undo, expiry, interrupted), runs.py (executor + audit), audit_records.py (audit entries).
"""

from bot.service.contract import ChatService
from bot.service.front import OpsService
from bot.service.ports import PolicySource, RateLimiter

__all__ = ["ChatService", "OpsService", "PolicySource", "RateLimiter"]


def _implements_the_contract(service: OpsService) -> ChatService:
    return service  # mypy checks OpsService against the front-end contract here

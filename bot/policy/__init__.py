"""Policy: YAML rules (grants, denies, limits, freezes, approvals) -> structured Decisions."""

from bot.policy.cli import check_command, test_command
from bot.policy.decision import ApprovalRequirement, Decision, Outcome, StepDecision
from bot.policy.engine import PolicyEngine, load_engine_or_deny
from bot.policy.loader import Policy, PolicyError, load_policy, parse_policy

__all__ = [
    "ApprovalRequirement",
    "Decision",
    "Outcome",
    "Policy",
    "PolicyEngine",
    "PolicyError",
    "StepDecision",
    "check_command",
    "load_engine_or_deny",
    "load_policy",
    "parse_policy",
    "test_command",
]

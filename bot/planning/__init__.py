"""Planning: the Planner contract and the LLM planner (OpenAI-compatible, grounded, guarded)."""

from bot.planning.base import (
    Abstain,
    Answer,
    Clarify,
    Inventory,
    Planner,
    PlannerFailed,
    PlannerOutcome,
    Proposed,
    Usage,
)
from bot.planning.diagnose import ReadTool
from bot.planning.llm import OpenAIPlanner
from bot.planning.ratelimit import LlmRateLimiter
from bot.planning.static_inventory import StaticInventory

__all__ = [
    "Abstain",
    "Answer",
    "Clarify",
    "Inventory",
    "LlmRateLimiter",
    "OpenAIPlanner",
    "Planner",
    "PlannerFailed",
    "PlannerOutcome",
    "Proposed",
    "ReadTool",
    "StaticInventory",
    "Usage",
]

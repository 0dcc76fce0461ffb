"""Planning: the Planner contract and the LLM planner (OpenAI-compatible, grounded, guarded)."""

from bot.planning.base import Inventory, Planner, PlannerOutcome, Usage
from bot.planning.diagnose import ReadTool
from bot.planning.inventory import StaticInventory
from bot.planning.llm import OpenAIPlanner
from bot.planning.ratelimit import LlmRateLimiter

__all__ = [
    "Inventory",
    "LlmRateLimiter",
    "OpenAIPlanner",
    "Planner",
    "PlannerOutcome",
    "ReadTool",
    "StaticInventory",
    "Usage",
]

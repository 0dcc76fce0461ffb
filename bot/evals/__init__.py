"""The LLM planner's evaluation harness (`opsbot eval CASES`)."""

from bot.evals.runner import eval_command

__all__ = ["eval_command"]

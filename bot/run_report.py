"""What previewing or running a plan produced. Shown in replies and stored with approvals
(previews while a plan waits, the report once it ran)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from bot.backends.base import Result
from bot.plan import Plan


class StepPreview(BaseModel):
    operation: str
    description: str
    risk: str
    current: dict[str, Any] = Field(default_factory=dict)
    desired: dict[str, Any] = Field(default_factory=dict)
    dry_run_ok: bool | None = None
    dry_run_error: str | None = None
    note: str | None = None


class StepOutcome(BaseModel):
    operation: str
    description: str
    result: Result


class ExecutionReport(BaseModel):
    plan_digest: str
    approval_id: str | None = None
    steps: list[StepOutcome] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list, description="steps not run after a failure")
    ok: bool = True
    undo_plan: Plan | None = Field(default=None, description="inverse plan, when reversible")
    duration_ms: float = 0.0

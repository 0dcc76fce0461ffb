"""Running a plan for real: the executor, then its metrics and its audit entry."""

from __future__ import annotations

from bot import metrics
from bot.audit import AuditLog
from bot.executor import Executor
from bot.models import Principal
from bot.plan import Plan
from bot.replies import ExecutionReport
from bot.service import audit_records


class AuditedRuns:
    def __init__(self, *, executor: Executor, audit: AuditLog) -> None:
        self.executor = executor
        self.audit = audit

    def run(
        self,
        plan: Plan,
        requester: Principal,
        *,
        approval_id: str | None = None,
        approvers: list[str] | None = None,
    ) -> ExecutionReport:
        """Run `plan` as `requester` and audit the result (before anyone records it elsewhere:
        the write has happened even if the approval store cannot take it now)."""
        execution = self.executor.run(plan, actor=requester, approval_id=approval_id)
        for step in execution.steps:
            metrics.record_execution(
                operation=step.operation,
                result=step.result.status.value,
                seconds=step.result.duration_ms / 1000,
            )
        self.audit.record(
            audit_records.executed(plan, requester, execution, approvers=approvers or [])
        )
        return execution

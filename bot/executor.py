"""Runs plans against the backends: previews before approval, steps in order after it.

Steps stop at the first failure; the report says which ran, which failed and which were skipped,
and carries the inverse plan when every step that ran can be undone.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from bot.backends.base import Backend, ErrorKind, Preview, Result, Status
from bot.catalog import BackendKind, Operation
from bot.models import Principal
from bot.plan import Plan
from bot.replies import ExecutionReport, StepOutcome, StepPreview


class Executor:
    def __init__(self, *, backends: Mapping[BackendKind, Backend]) -> None:
        self._backends = dict(backends)

    def backend_for(self, op: Operation) -> Backend | None:
        return self._backends.get(op.backend)

    def unavailable(self) -> dict[str, str]:
        """Backend name -> reason, for every configured backend that does not answer."""
        problems = {}
        for kind, backend in self._backends.items():
            reason = backend.check()
            if reason:
                problems[kind.value] = reason
        return problems

    def preview(self, plan: Plan, *, actor: Principal | None) -> list[StepPreview]:
        previews = []
        for op in plan.steps:
            backend = self.backend_for(op)
            if backend is None:
                previews.append(_step_preview(op, Preview(note=_not_configured(op))))
                continue
            previews.append(_step_preview(op, backend.preview(op, actor=actor)))
        return previews

    def run(
        self, plan: Plan, *, actor: Principal | None, approval_id: str | None = None
    ) -> ExecutionReport:
        started = time.perf_counter()
        outcomes: list[StepOutcome] = []
        ok = True
        for index, op in enumerate(plan.steps):
            backend = self.backend_for(op)
            if backend is None:
                result = Result(
                    status=Status.ERROR,
                    call=f"{op.kind} (no {op.backend.value} backend)",
                    error=_not_configured(op),
                    error_kind=ErrorKind.NOT_CONFIGURED,
                )
            else:
                result = backend.execute(op, actor=actor)
            outcomes.append(
                StepOutcome(operation=op.kind, description=op.describe(), result=result)
            )
            if not result.ok:
                ok = False
                skipped = [step.describe() for step in plan.steps[index + 1 :]]
                break
        else:
            skipped = []
        return ExecutionReport(
            plan_digest=plan.digest,
            approval_id=approval_id,
            steps=outcomes,
            skipped=skipped,
            ok=ok,
            undo_plan=_undo_plan(plan, outcomes) if ok else None,
            duration_ms=(time.perf_counter() - started) * 1000,
        )


def _undo_plan(plan: Plan, outcomes: list[StepOutcome]) -> Plan | None:
    """Inverse steps in reverse order, or None when any write step cannot be undone."""
    inverses: list[Operation] = []
    for op, outcome in zip(plan.steps, outcomes, strict=True):
        if op.risk.value == "read":
            continue
        inverse = op.inverse(outcome.result.before or {}) if op.reversible else None
        if inverse is None:
            return None
        inverses.append(inverse)
    if not inverses:
        return None
    return Plan(steps=list(reversed(inverses)), source="undo")


def _step_preview(op: Operation, preview: Preview) -> StepPreview:
    dry = preview.dry_run
    return StepPreview(
        operation=op.kind,
        description=op.describe(),
        risk=op.risk.value,
        current=preview.current,
        desired=preview.desired,
        dry_run_ok=None if dry is None else dry.ok,
        dry_run_error=None if dry is None or dry.ok else _with_hint(dry.error, dry.hint),
        note=preview.note,
    )


def _with_hint(error: str | None, hint: str | None) -> str | None:
    return f"{error} (try: {hint})" if error and hint else error


def _not_configured(op: Operation) -> str:
    hints = {
        BackendKind.KUBERNETES: (
            "set a kubeconfig (KUBECONFIG / OPSBOT_KUBE_CONTEXT) or run in-cluster "
            "(and unset OPSBOT_KUBE_DISABLED)"
        ),
        BackendKind.DOCKER: (
            "set DOCKER_HOST or OPSBOT_DOCKER_HOSTS (and unset OPSBOT_DOCKER_DISABLED)"
        ),
        BackendKind.HOST: "health reports are not enabled in this build",
    }
    return f"the {op.backend.value} backend is not configured: {hints[op.backend]}"

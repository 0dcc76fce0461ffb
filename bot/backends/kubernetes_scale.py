"""Scaling through the `/scale` subresource, one way for every workload that has one
(Deployments, StatefulSets): a server-side dry run for the preview, and a write carrying the
resourceVersion it read, so a concurrent change answers 409 and is re-read (bounded)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.backends.base import ErrorKind, Preview, Result, Status
from bot.backends.kubernetes_client import CONFLICT_ATTEMPTS, DRY_RUN, KubeSession, with_dry_run
from bot.backends.kubernetes_errors import KubeError
from bot.backends.kubernetes_reads import path
from bot.backends.kubernetes_render import meta


class ScaleOp(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def namespace(self) -> str: ...
    @property
    def replicas(self) -> int: ...


@dataclass(frozen=True)
class Scalable:
    word: str  # deployment: in texts and Result data
    resource: str  # deployments: in the REST path
    stem: str  # deployment | stateful_set: AppsV1Api.read_namespaced_<stem>_scale

    def call(self, method: str, op: ScaleOp) -> str:
        where = path(
            namespace=op.namespace, resource=self.resource, name=op.name, group="apps", sub="scale"
        )
        return f"{method} {where}"

    def read(self, s: KubeSession, op: ScaleOp) -> dict[str, Any]:
        return s.json(
            self.call("GET", op),
            getattr(s.apps, f"read_namespaced_{self.stem}_scale"),
            op.name,
            op.namespace,
            what=self.what(op),
        )

    def patch(self, s: KubeSession, op: ScaleOp, body: dict[str, Any], **kw: Any) -> Any:
        call = self.call("PATCH", op)
        return s.json(
            with_dry_run(call) if kw.get("dry_run") else call,
            getattr(s.apps, f"patch_namespaced_{self.stem}_scale"),
            op.name,
            op.namespace,
            body,
            what=self.what(op),
            **kw,
        )

    def what(self, op: ScaleOp) -> str:
        return f"{self.word} {op.namespace}/{op.name}"


DEPLOYMENTS = Scalable("deployment", "deployments", "deployment")
STATEFULSETS = Scalable("statefulset", "statefulsets", "stateful_set")


def replicas_of(scale: dict[str, Any]) -> int:
    return int((scale.get("spec") or {}).get("replicas") or 0)


def preview_scale(
    s: KubeSession,
    target: Scalable,
    op: ScaleOp,
    *,
    note: Callable[[int], str | None] = lambda current: None,
) -> Preview:
    """Current and desired replicas, the server's dry run; `note(current)` says what changes
    (the default: nothing beyond "no change" when already at that count)."""
    current = replicas_of(target.read(s, op))
    answer = target.patch(s, op, {"spec": {"replicas": op.replicas}}, dry_run=DRY_RUN)
    dry = Result(
        status=Status.SUCCESS,
        call=with_dry_run(target.call("PATCH", op)),
        data={"replicas": replicas_of(answer)},
        text=f"server-side dry run accepted: replicas {current} -> {replicas_of(answer)}",
    )
    said = "no change: already at that count" if current == op.replicas else note(current)
    return Preview(
        current={"replicas": current}, desired={"replicas": op.replicas}, dry_run=dry, note=said
    )


def execute_scale(s: KubeSession, target: Scalable, op: ScaleOp) -> Result:
    """Read the scale, write it with the resourceVersion read; on 409 re-read and retry."""
    call = target.call("PATCH", op)
    for _ in range(CONFLICT_ATTEMPTS):
        scale = target.read(s, op)
        before = replicas_of(scale)
        body = {
            "metadata": {"resourceVersion": meta(scale).get("resourceVersion")},
            "spec": {"replicas": op.replicas},
        }
        try:
            answer = target.patch(s, op, body)
        except KubeError as err:
            if err.kind != ErrorKind.CONFLICT:
                raise
            continue
        after = replicas_of(answer)
        return Result(
            status=Status.SUCCESS,
            call=call,
            before={"replicas": before},
            after={"replicas": after},
            data={
                target.word: op.name,
                "namespace": op.namespace,
                "replicas_before": before,
                "replicas_after": after,
            },
            text=f"Scaled {target.what(op)} from {before} to {after} replicas.",
        )
    raise KubeError(
        kind=ErrorKind.CONFLICT,
        call=call,
        status=409,
        message=f"{target.what(op)} kept changing while scaling "
        f"({CONFLICT_ATTEMPTS} conflicting writes); nothing was changed by us",
    )

"""Seed helpers of the Kubernetes API test server: namespaces, deployments with a revision
history, pods with logs and statuses, events."""

from __future__ import annotations

import copy
import time
from typing import Any

from tests.fakes.k8s_state import (
    Store,
    now_iso,
)


class SeedMixin:
    """Adds objects straight into the in-memory store (no HTTP, no RBAC)."""

    store: Store

    def add_namespace(self, name: str) -> dict[str, Any]:
        with self.store.lock:
            existing = self.store.get("namespaces", "", name)
            if existing:
                return existing
            obj = {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": name},
                "status": {"phase": "Active"},
            }
            return self.store.put("namespaces", obj)

    def add_deployment(
        self,
        namespace: str,
        name: str,
        *,
        replicas: int = 1,
        image: str = "nginx:1.25",
        images: list[str] | None = None,
        revision: int = 1,
        labels: dict[str, str] | None = None,
        env: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A deployment whose history has `revision` ReplicaSets; `images` gives each one's image
        (oldest first), else every revision runs `image` with a distinct revision label."""
        self.add_namespace(namespace)
        history = images or [image] * revision
        match = labels or {"app": name}
        with self.store.lock:
            dep: dict[str, Any] = {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "labels": dict(match),
                    "generation": 1,
                    "annotations": {},
                },
                "spec": {"replicas": replicas, "selector": {"matchLabels": dict(match)}},
            }
            self.store.put("deployments", dep)
            for i, img in enumerate(history, start=1):
                dep["spec"]["template"] = self._template(
                    name, match, img, env, i if images is None else None
                )
                self.store.reconcile(dep)
            return self.store.put("deployments", dep)

    @staticmethod
    def _template(
        name: str,
        labels: dict[str, str],
        image: str,
        env: list[dict[str, Any]] | None,
        rev: int | None,
    ) -> dict[str, Any]:
        container: dict[str, Any] = {"name": name, "image": image}
        if env:
            container["env"] = copy.deepcopy(env)
        meta: dict[str, Any] = {"labels": dict(labels)}
        if rev is not None:
            meta["annotations"] = {"fake/seed-revision": str(rev)}
        return {"metadata": meta, "spec": {"containers": [container]}}

    def add_pod(
        self,
        namespace: str,
        name: str,
        *,
        phase: str = "Running",
        restarts: int = 0,
        logs: str | dict[str, str] = "",
        previous_logs: str = "",
        labels: dict[str, str] | None = None,
        containers: list[dict[str, Any]] | None = None,
        owner: tuple[str, str] | None = None,
        waiting_reason: str | None = None,
    ) -> dict[str, Any]:
        self.add_namespace(namespace)
        specs = containers or [{"name": "app", "image": "busybox:1"}]
        ready = phase == "Running" and waiting_reason is None
        statuses = []
        for c in specs:
            state: dict[str, Any] = (
                {"waiting": {"reason": waiting_reason}}
                if waiting_reason
                else {"running": {"startedAt": now_iso()}}
                if phase == "Running"
                else {"waiting": {"reason": "ContainerCreating"}}
            )
            statuses.append(
                {
                    "name": c["name"],
                    "image": c.get("image", ""),
                    "imageID": "",
                    "ready": ready,
                    "restartCount": restarts,
                    "state": state,
                }
            )
        meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": labels or {}}
        if owner:
            meta["ownerReferences"] = [
                {
                    "apiVersion": "apps/v1",
                    "kind": owner[0],
                    "name": owner[1],
                    "uid": "x",
                    "controller": True,
                }
            ]
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": {"containers": copy.deepcopy(specs), "nodeName": "node-1"},
            "status": {
                "phase": phase,
                "podIP": "10.0.0.1",
                "startTime": now_iso(),
                "containerStatuses": statuses,
                "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            },
        }
        with self.store.lock:
            self.store.put("pods", pod)
            per_container = logs if isinstance(logs, dict) else {specs[0]["name"]: logs}
            for container, text in per_container.items():
                self.append_log(namespace, name, text, container=container)
            if previous_logs:
                self.append_log(
                    namespace, name, previous_logs, container=specs[0]["name"], previous=True
                )
        return pod

    def append_log(
        self,
        namespace: str,
        pod: str,
        text: str,
        *,
        container: str | None = None,
        previous: bool = False,
        age_seconds: float = 0.0,
    ) -> None:
        with self.store.lock:
            obj = self.store.get("pods", namespace, pod)
            assert obj is not None, f"add_pod {namespace}/{pod} first"
            name = container or obj["spec"]["containers"][0]["name"]
            lines = self.store.logs.setdefault((namespace, pod, name, previous), [])
            stamp = time.time() - age_seconds
            lines.extend((stamp, line) for line in text.splitlines())

    def add_event(
        self,
        namespace: str,
        *,
        object_kind: str,
        object_name: str,
        reason: str,
        message: str,
        type: str = "Normal",
        count: int = 1,
        age_seconds: float = 0.0,
        name: str | None = None,
    ) -> dict[str, Any]:
        self.add_namespace(namespace)
        with self.store.lock:
            ev = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {
                    "name": name or f"{object_name}.{self.store.next_rv()}",
                    "namespace": namespace,
                },
                "involvedObject": {
                    "kind": object_kind,
                    "name": object_name,
                    "namespace": namespace,
                },
                "reason": reason,
                "message": message,
                "type": type,
                "count": count,
                "firstTimestamp": now_iso(age_seconds),
                "lastTimestamp": now_iso(age_seconds),
                "source": {"component": "fake"},
            }
            return self.store.put("events", ev)

"""The Kubernetes API test server with the autoscaling group: discovery (GET /apis/autoscaling)
and HorizontalPodAutoscalers in the versions given (autoscaling/v2 by default, as clusters
from 1.23 serve it; the real test cluster, v1.20, serves v2beta2).

HPAs are kept as the test writes them; GET (list and item) and PATCH (merge patch, dry run,
resourceVersion precondition) behave like the real server's."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from tests.fakes.k8s_handler import Handler
from tests.fakes.k8s_model import ApiError
from tests.fakes.k8s_state import strategic_merge
from tests.fixtures.k8s_fake import FakeK8s

_RESOURCE = "horizontalpodautoscalers"


class AutoscalingHandler(Handler):
    api: FakeK8sWithHpa

    def _dispatch(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any, str]:
        if not path.startswith("/apis/autoscaling"):
            return super()._dispatch(method, path, query, body)
        self._identity()
        parts = path.strip("/").split("/")  # apis autoscaling [v] [namespaces ns] res [name]
        versions = self.api.autoscaling_versions
        if len(parts) == 2:
            listed = [{"groupVersion": f"autoscaling/{v}", "version": v} for v in versions]
            group = {"kind": "APIGroup", "name": "autoscaling", "versions": listed}
            return 200, group, "application/json"
        version = parts[2]
        if version not in versions or _RESOURCE not in parts:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        ns = parts[4] if parts[3:4] == ["namespaces"] else None
        name = parts[-1] if parts[-1] != _RESOURCE else None
        with self.api.store.lock:
            return self._hpa(method, version, ns, name, query, body)

    def _hpa(
        self,
        method: str,
        version: str,
        ns: str | None,
        name: str | None,
        query: dict[str, str],
        body: Any,
    ) -> tuple[int, Any, str]:
        hpas = self.api.hpas
        if name is None:
            self._authorize("list", _RESOURCE, ns, None)
            items = [h for (n, _), h in sorted(hpas.items()) if ns is None or n == ns]
            listing = {"kind": "HorizontalPodAutoscalerList", "metadata": {}, "items": items}
            return 200, {"apiVersion": f"autoscaling/{version}", **listing}, "application/json"
        verb = "get" if method == "GET" else "patch"
        self._authorize(verb, _RESOURCE, ns, name)
        obj = hpas.get((ns or "", name))
        if obj is None:
            raise ApiError(
                404,
                "NotFound",
                f'{_RESOURCE}.autoscaling "{name}" not found',
                {"name": name, "group": "autoscaling", "kind": _RESOURCE},
            )
        if method == "GET":
            return 200, obj, "application/json"
        if method != "PATCH":
            raise ApiError(405, "MethodNotAllowed", f"the server does not allow {method} here")
        wanted = (body.get("metadata") or {}).get("resourceVersion")
        if wanted and wanted != obj["metadata"]["resourceVersion"]:
            raise ApiError(409, "Conflict", "the object has been modified; please try again")
        updated: dict[str, Any] = strategic_merge(copy.deepcopy(obj), body)
        spec = updated["spec"]
        if spec.get("minReplicas", 1) > spec["maxReplicas"]:
            raise ApiError(
                422,
                "Invalid",
                f'HorizontalPodAutoscaler.autoscaling "{name}" is invalid: spec.maxReplicas: '
                "Invalid value: must be greater than or equal to `minReplicas`",
            )
        updated["metadata"]["resourceVersion"] = self.api.store.next_rv()
        if query.get("dryRun") != "All":
            hpas[(ns or "", name)] = updated
        return 200, updated, "application/json"


@dataclass
class FakeK8sWithHpa(FakeK8s):
    autoscaling_versions: list[str] = field(default_factory=lambda: ["v2", "v1"])
    hpas: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def start(self) -> FakeK8sWithHpa:
        handler = type("BoundHandler", (AutoscalingHandler,), {"api": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def add_hpa(self, ns: str, name: str, *, kind: str, target: str, **spec: Any) -> None:
        """An autoscaling/v2 HPA on CPU utilisation, with current metrics in its status."""
        self.hpas[(ns, name)] = {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "namespace": ns, "resourceVersion": self.store.next_rv()},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": target},
                "minReplicas": 2,
                "maxReplicas": 10,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 70},
                        },
                    },
                    {
                        "type": "Pods",
                        "pods": {
                            "metric": {"name": "requests_per_second"},
                            "target": {"type": "AverageValue", "averageValue": "100"},
                        },
                    },
                ],
                **spec,
            },
            "status": {
                "currentReplicas": 4,
                "desiredReplicas": 5,
                "currentMetrics": [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "current": {"averageUtilization": 85}},
                    }
                ],
                "conditions": [
                    {
                        "type": "ScalingLimited",
                        "status": "False",
                        "reason": "DesiredWithinRange",
                        "message": "the desired count is within the acceptable range",
                    }
                ],
            },
        }

"""The Kubernetes API test server with the batch and policy groups and Nodes, as clusters from
1.21 serve them: discovery (GET /apis/batch, /apis/batch/VERSION, same for policy), CronJobs in
batch/v1 (or the versions given; the real test cluster, v1.20, serves only batch/v1beta1), Jobs
in batch/v1, PodDisruptionBudgets in policy/v1, Nodes, and the pods/eviction subresource that
answers 429 with the real server's Status body when a budget allows no disruption.

No controllers run: a Job created here stays as written, an eviction deletes the pod at once and
takes one from its budget's `status.disruptionsAllowed`, as the real disruption controller's
bookkeeping does between two resyncs."""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.k8s_handler import Handler
from tests.fakes.k8s_model import ApiError, not_found
from tests.fakes.k8s_state import match_labels, now_iso
from tests.fixtures.k8s_fake import FakeK8s

JSON = "application/json"
_KINDS = {
    "cronjobs": "CronJob",
    "jobs": "Job",
    "poddisruptionbudgets": "PodDisruptionBudget",
    "nodes": "Node",
}
_GROUP_PATH = re.compile(
    r"^/apis/(?P<group>batch|policy)(?:/(?P<version>[^/]+))?"
    r"(?:/namespaces/(?P<ns>[^/]+))?(?:/(?P<res>[^/]+))?(?:/(?P<name>[^/]+))?$"
)
_NODE_PATH = re.compile(r"^/api/v1/nodes(?:/(?P<name>[^/]+))?$")
_EVICTION_PATH = re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/pods/(?P<name>[^/]+)/eviction$")


class BatchPolicyHandler(Handler):
    api: FakeK8sWithBatchPolicy

    def _query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def do_POST(self) -> None:
        self._serve("POST")

    def _dispatch(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any, str]:
        for pattern, route in (
            (_GROUP_PATH, self._group),
            (_NODE_PATH, self._node),
            (_EVICTION_PATH, self._eviction),
        ):
            m = pattern.match(path)
            if m:
                with self.api.store.lock:
                    return route(method, m.groupdict(), query, body)
        return super()._dispatch(method, path, query, body)

    # ------------------------------------------------------------------ discovery
    def _served(self, group: str) -> dict[str, list[str]]:
        """version -> resources served in it, for `group`."""
        if group == "policy":
            return {v: ["poddisruptionbudgets"] for v in self.api.policy_versions}
        served: dict[str, list[str]] = {"v1": ["jobs"]}
        for v in self.api.cronjob_versions:
            served.setdefault(v, []).append("cronjobs")
        return served

    def _group(
        self, method: str, g: dict[str, Any], query: dict[str, str], body: Any
    ) -> tuple[int, Any, str]:
        group, version, res = g["group"], g["version"], g["res"]
        served = self._served(group)
        if version is None:
            self._identity()
            listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in served]
            return 200, {"kind": "APIGroup", "name": group, "versions": listed}, JSON
        if version not in served:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if res is None and g["ns"] is None:
            self._identity()
            resources = [
                {"name": r, "namespaced": True, "kind": _KINDS[r], "verbs": ["get", "list"]}
                for r in served[version]
            ]
            listing = {"groupVersion": f"{group}/{version}", "resources": resources}
            return 200, {"kind": "APIResourceList", **listing}, JSON
        if res not in served[version]:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if g["name"] is None and method == "GET":
            return self._list_of(res, f"{group}/{version}", g["ns"])
        if g["name"] is None and method == "POST" and res == "jobs":
            return self._create_job(g["ns"], query, body)
        return self._object(method, res, g["ns"] or "", g["name"], query, body)

    # ------------------------------------------------------------------ generic objects
    def _list_of(self, res: str, api_version: str, ns: str | None) -> tuple[int, Any, str]:
        """A list page as the real server answers it (`limit`, `continue`, selectors)."""
        self._authorize("list", res, ns, None)
        store, query = self.api.store, self._query()
        after = query.get("continue")
        start = tuple(json.loads(base64.b64decode(after))) if after else None
        limit = int(query.get("limit") or 0)
        items: list[dict[str, Any]] = []
        meta: dict[str, Any] = {"resourceVersion": str(store._rv)}
        last: tuple[str, str] | None = None
        for key, obj in store.scan(res, ns, after=start):  # type: ignore[arg-type]
            if not match_labels(obj["metadata"].get("labels") or {}, query.get("labelSelector")):
                continue
            if limit and len(items) == limit:
                meta["continue"] = base64.b64encode(json.dumps(list(last or key)).encode()).decode()
                break
            items.append(obj)
            last = key
        kind = _KINDS[res] + "List"
        return (
            200,
            {"kind": kind, "apiVersion": api_version, "metadata": meta, "items": items},
            JSON,
        )

    def _object(
        self, method: str, res: str, ns: str, name: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any, str]:
        verb = {"GET": "get", "PATCH": "patch", "DELETE": "delete"}.get(method)
        if verb is None:
            raise ApiError(405, "MethodNotAllowed", f"the server does not allow {method} here")
        self._authorize(verb, res, ns or None, name)
        store = self.api.store
        obj = store.get(res, ns, name)
        if obj is None:
            raise not_found(res, name)
        dry = query.get("dryRun") == "All"
        if method == "GET":
            return 200, obj, JSON
        if method == "DELETE":
            gone = copy.deepcopy(obj)
            gone["metadata"]["deletionTimestamp"] = now_iso()
            if not dry:
                store.delete(res, ns, name)
            return 200, gone, JSON
        updated: dict[str, Any] = self._patched(copy.deepcopy(obj), body)
        if dry:
            return 200, updated, JSON
        return 200, store.put(res, updated), JSON

    def _create_job(self, ns: str, query: dict[str, str], body: Any) -> tuple[int, Any, str]:
        self._authorize("create", "jobs", ns, None)
        name = (body.get("metadata") or {}).get("name")
        if (body.get("apiVersion"), body.get("kind")) != ("batch/v1", "Job"):
            raise ApiError(400, "BadRequest", "the body of the request is not a batch/v1 Job")
        if self.api.store.get("jobs", ns, name) is not None:
            raise ApiError(
                409,
                "AlreadyExists",
                f'jobs.batch "{name}" already exists',
                {"name": name, "group": "batch", "kind": "jobs"},
            )
        job = copy.deepcopy(body)
        job["metadata"]["namespace"] = ns
        job["status"] = {}
        if query.get("dryRun") == "All":
            job["metadata"].update(uid="dry-run", creationTimestamp=now_iso())
            return 201, job, JSON
        return 201, self.api.store.put("jobs", job), JSON

    # ------------------------------------------------------------------ nodes
    def _node(
        self, method: str, g: dict[str, Any], query: dict[str, str], body: Any
    ) -> tuple[int, Any, str]:
        if g["name"] is None:
            return self._list_of("nodes", "v1", None)
        return self._object(method, "nodes", "", g["name"], query, body)

    # ------------------------------------------------------------------ evictions
    def _eviction(
        self, method: str, g: dict[str, Any], query: dict[str, str], body: Any
    ) -> tuple[int, Any, str]:
        ns, name = g["ns"], g["name"]
        if method != "POST":
            raise ApiError(405, "MethodNotAllowed", f"the server does not allow {method} here")
        self._authorize("create", "pods/eviction", ns, name)
        api_version = (body or {}).get("apiVersion")
        if api_version not in [f"policy/{v}" for v in self.api.policy_versions]:
            raise ApiError(
                400,
                "BadRequest",
                f'no kind "Eviction" is registered for version "{api_version}" in scheme '
                '"k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"',
            )
        store = self.api.store
        pod = store.get("pods", ns, name)
        if pod is None:
            raise not_found("pods", name)
        labels = pod["metadata"].get("labels") or {}
        budgets = [
            b for b in store.items("poddisruptionbudgets", ns) if match_labels(labels, _selector(b))
        ]
        if len(budgets) > 1:
            raise ApiError(
                500,
                "InternalError",
                "This pod has more than one PodDisruptionBudget, which the eviction "
                "subresource does not support.",
            )
        for budget in budgets:
            status = budget.setdefault("status", {})
            if status.get("disruptionsAllowed", 0) < 1:
                raise ApiError(
                    429,
                    "TooManyRequests",
                    "Cannot evict pod as it would violate the pod's disruption budget.",
                    {
                        "causes": [
                            {
                                "reason": "DisruptionBudget",
                                "message": f"The disruption budget {budget['metadata']['name']} "
                                f"needs {status.get('desiredHealthy', 0)} healthy pods and has "
                                f"{status.get('currentHealthy', 0)} currently",
                            }
                        ]
                    },
                )
            if query.get("dryRun") != "All":
                status["disruptionsAllowed"] -= 1
                status["currentHealthy"] = status.get("currentHealthy", 0) - 1
                store.put("poddisruptionbudgets", budget)
        if query.get("dryRun") != "All":
            store.delete("pods", ns, name)
        success = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
        return 201, {**success, "code": 201}, JSON


def _selector(budget: dict[str, Any]) -> str:
    labels = ((budget.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in labels.items()) or "!no-selector-matches-nothing"


@dataclass
class FakeK8sWithBatchPolicy(FakeK8s):
    """The test server as a 1.25+ cluster by default: batch/v1 CronJobs, policy/v1 only."""

    cronjob_versions: list[str] = field(default_factory=lambda: ["v1"])
    policy_versions: list[str] = field(default_factory=lambda: ["v1"])

    def start(self) -> FakeK8sWithBatchPolicy:
        for res in _KINDS:
            self.store.objects.setdefault(res, {})
        handler = type("BoundHandler", (BatchPolicyHandler,), {"api": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def add_cronjob(
        self, ns: str, name: str, *, schedule: str = "0 3 * * *", suspend: bool = False
    ) -> dict[str, Any]:
        self.add_namespace(ns)
        template = {"spec": {"containers": [{"name": "c", "image": "busybox:1"}]}}
        cronjob = {
            "apiVersion": f"batch/{self.cronjob_versions[0]}",
            "kind": "CronJob",
            "metadata": {"name": name, "namespace": ns},
            "spec": {
                "schedule": schedule,
                "suspend": suspend,
                "concurrencyPolicy": "Forbid",
                "jobTemplate": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"backoffLimit": 1, "template": template},
                },
            },
            "status": {},
        }
        with self.store.lock:
            return self.store.put("cronjobs", cronjob)

    def add_node(self, name: str, *, unschedulable: bool = False) -> dict[str, Any]:
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/os": "linux"}},
            "spec": {"unschedulable": unschedulable},
            "status": {
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                "nodeInfo": {"kubeletVersion": "v1.29.0"},
                "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
            },
        }
        with self.store.lock:
            return self.store.put("nodes", node)

    def add_pdb(
        self, ns: str, name: str, *, labels: dict[str, str], disruptions_allowed: int
    ) -> dict[str, Any]:
        healthy = len(
            [
                p
                for p in self.store.items("pods", ns)
                if match_labels(
                    p["metadata"].get("labels") or {},
                    ",".join(f"{k}={v}" for k, v in labels.items()),
                )
            ]
        )
        pdb = {
            "apiVersion": f"policy/{self.policy_versions[0]}",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": ns},
            "spec": {
                "minAvailable": healthy - disruptions_allowed,
                "selector": {"matchLabels": labels},
            },
            "status": {
                "disruptionsAllowed": disruptions_allowed,
                "currentHealthy": healthy,
                "desiredHealthy": healthy - disruptions_allowed,
                "expectedPods": healthy,
            },
        }
        with self.store.lock:
            return self.store.put("poddisruptionbudgets", pdb)


__all__ = ["FakeK8sWithBatchPolicy"]

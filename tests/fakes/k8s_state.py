"""In-memory object store of the Kubernetes API test server: objects as plain JSON dicts,
a global resourceVersion counter, selectors, patches and a tiny deployment controller."""

from __future__ import annotations

import bisect
import copy
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

REVISION = "deployment.kubernetes.io/revision"


def now_iso(offset_seconds: float = 0.0) -> str:
    return datetime.fromtimestamp(time.time() - offset_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def match_labels(labels: dict[str, str], selector: str | None) -> bool:
    """Equality-based label selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`, comma-separated."""
    if not selector:
        return True
    for raw in selector.split(","):
        term = raw.strip()
        if not term:
            continue
        if "!=" in term:
            key, value = (p.strip() for p in term.split("!=", 1))
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = (p.strip() for p in term.replace("==", "=").split("=", 1))
            if labels.get(key) != value:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def _field(obj: dict[str, Any], path: str) -> Any:
    cur: Any = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return cur


def match_fields(obj: dict[str, Any], selector: str | None) -> bool:
    if not selector:
        return True
    for raw in selector.split(","):
        term = raw.strip()
        if "!=" in term:
            key, value = term.split("!=", 1)
            if str(_field(obj, key) or "") == value:
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if str(_field(obj, key) or "") != value:
                return False
    return True


def strategic_merge(target: Any, patch: Any) -> Any:
    """Merge patch semantics, plus strategic merge of named lists (containers, env) by name."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list) and isinstance(result.get(key), list) and _named(value):
            merged = {item["name"]: item for item in result[key] if isinstance(item, dict)}
            order = [item.get("name") for item in result[key] if isinstance(item, dict)]
            for item in value:
                name = item["name"]
                merged[name] = strategic_merge(merged.get(name, {}), item)
                if name not in order:
                    order.append(name)
            result[key] = [merged[name] for name in order]
        else:
            result[key] = strategic_merge(result.get(key), value)
    return result


def _named(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and "name" in i for i in items)


def json_patch(target: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    """RFC 6902 add/replace/remove/test (enough for `kubectl rollout undo`-style patches)."""
    doc = copy.deepcopy(target)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent: Any = doc
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent.setdefault(part, {})
        last = parts[-1]
        kind = op["op"]
        if kind in ("add", "replace"):
            if isinstance(parent, list):
                parent[int(last)] = op["value"]
            else:
                parent[last] = op["value"]
        elif kind == "remove":
            if isinstance(parent, list):
                parent.pop(int(last))
            else:
                parent.pop(last, None)
        elif kind == "test" and parent.get(last) != op.get("value"):
            raise ValueError(f"test operation failed at {op['path']}")
    return doc


def template_hash(template: dict[str, Any]) -> str:
    clean = copy.deepcopy(template)
    clean.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
    digest = hashlib.sha256(json.dumps(clean, sort_keys=True).encode()).hexdigest()
    return "".join(c for c in digest if c in "bcdfghjklmnpqrstvwxz2456789")[:10] or digest[:10]


class Store:
    """Namespaced objects keyed (resource, namespace, name). Thread-safe through `lock`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._rv = 1000
        self.objects: dict[str, dict[tuple[str, str], dict[str, Any]]] = {
            "namespaces": {},
            "pods": {},
            "events": {},
            "deployments": {},
            "replicasets": {},
        }
        self.logs: dict[tuple[str, str, str, bool], list[tuple[float, str]]] = {}
        self._sorted: dict[str, list[tuple[str, str]]] = {}

    def next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def put(self, resource: str, obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj.setdefault("metadata", {})
        meta["resourceVersion"] = self.next_rv()
        meta.setdefault(
            "uid",
            hashlib.md5(
                f"{resource}/{meta.get('namespace')}/{meta['name']}/{time.time_ns()}".encode(),
                usedforsecurity=False,
            ).hexdigest(),
        )
        meta.setdefault("creationTimestamp", now_iso())
        key = (meta.get("namespace", ""), meta["name"])
        if key not in self.objects[resource]:
            self._sorted.pop(resource, None)
        self.objects[resource][key] = obj
        return obj

    def delete(self, resource: str, namespace: str, name: str) -> None:
        self.objects[resource].pop((namespace, name), None)
        self._sorted.pop(resource, None)

    def sorted_keys(self, resource: str) -> list[tuple[str, str]]:
        keys = self._sorted.get(resource)
        if keys is None:
            keys = self._sorted[resource] = sorted(self.objects[resource])
        return keys

    def scan(
        self, resource: str, namespace: str | None, *, after: tuple[str, str] | None = None
    ) -> Iterator[tuple[tuple[str, str], dict[str, Any]]]:
        """Objects in key order, optionally only in one namespace, starting after a key."""
        keys = self.sorted_keys(resource)
        lo = bisect.bisect_left(keys, (namespace, "")) if namespace is not None else 0
        if after is not None:
            lo = max(lo, bisect.bisect_right(keys, after))
        rows = self.objects[resource]
        for key in keys[lo:]:
            if namespace is not None and key[0] != namespace:
                return
            yield key, rows[key]

    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        return self.objects[resource].get((namespace, name))

    def items(self, resource: str, namespace: str | None) -> list[dict[str, Any]]:
        return [obj for _, obj in self.scan(resource, namespace)]

    # --- the deployment controller, in miniature
    def owned_replicasets(self, deployment: dict[str, Any]) -> list[dict[str, Any]]:
        uid = deployment["metadata"]["uid"]
        ns = deployment["metadata"]["namespace"]
        return [
            rs
            for rs in self.items("replicasets", ns)
            if any(o.get("uid") == uid for o in rs["metadata"].get("ownerReferences", []))
        ]

    def reconcile(self, deployment: dict[str, Any]) -> None:
        """Make the deployment's template the newest ReplicaSet, as the controller does."""
        template = deployment["spec"]["template"]
        wanted = template_hash(template)
        owned = self.owned_replicasets(deployment)
        top = max(
            (int(rs["metadata"]["annotations"].get(REVISION, "0")) for rs in owned), default=0
        )
        replicas = deployment["spec"].get("replicas", 1)
        current = next(
            (rs for rs in owned if rs["metadata"]["labels"].get("pod-template-hash") == wanted),
            None,
        )
        for rs in owned:
            if rs is not current:
                rs["spec"]["replicas"] = 0
                rs["status"] = {"replicas": 0}
        if current is None:
            current = self._new_replicaset(deployment, wanted, top + 1)
        elif int(current["metadata"]["annotations"].get(REVISION, "0")) != top:
            current["metadata"]["annotations"][REVISION] = str(top + 1)
            self.put("replicasets", current)
        current["spec"]["replicas"] = replicas
        current["status"] = {"replicas": replicas, "readyReplicas": replicas}
        deployment["metadata"].setdefault("annotations", {})[REVISION] = current["metadata"][
            "annotations"
        ][REVISION]
        deployment["status"] = {
            "observedGeneration": deployment["metadata"].get("generation", 1),
            "replicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "updatedReplicas": replicas,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
            ],
        }

    def _new_replicaset(
        self, deployment: dict[str, Any], pod_hash: str, revision: int
    ) -> dict[str, Any]:
        meta = deployment["metadata"]
        template = copy.deepcopy(deployment["spec"]["template"])
        template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = pod_hash
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta['name']}-{pod_hash}",
                "namespace": meta["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "annotations": {REVISION: str(revision)},
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": meta["name"],
                        "uid": meta["uid"],
                        "controller": True,
                    }
                ],
            },
            "spec": {
                "replicas": 0,
                "selector": {
                    "matchLabels": {
                        **deployment["spec"]["selector"]["matchLabels"],
                        "pod-template-hash": pod_hash,
                    }
                },
                "template": template,
            },
            "status": {"replicas": 0},
        }
        return self.put("replicasets", rs)

"""Shared pieces of the Kubernetes API test server: users, recorded requests, faults,
RBAC rules and `Status` errors shaped like the real API server's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# user -> groups of the tokens in the kubeconfig this server writes (mirrors the real cluster)
USERS: dict[str, tuple[str, ...]] = {
    "admin": ("system:masters",),
    "opsbot": (),
    "alice": ("sre",),
    "bob": ("dev",),
    "viewer": ("viewers",),
}
GROUPS = {
    "pods": "",
    "events": "",
    "namespaces": "",
    "nodes": "",
    "deployments": "apps",
    "replicasets": "apps",
    "cronjobs": "batch",
    "jobs": "batch",
    "poddisruptionbudgets": "policy",
}
VERB_BY_METHOD = {
    "GET": "get",
    "DELETE": "delete",
    "PATCH": "patch",
    "PUT": "update",
    "POST": "create",
}


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, list[str]]
    body: Any
    status: int = 0


@dataclass
class Fault:
    pattern: re.Pattern[str]
    method: str | None
    times: int
    status: int = 0
    retry_after: float | None = None
    delay: float = 0.0
    late: bool = False
    drop: bool = False
    conflict: bool = False  # a concurrent writer bumps the object's resourceVersion first


@dataclass
class Rule:
    user: str | None
    group: str | None
    verbs: frozenset[str]
    resources: frozenset[str]
    namespaces: frozenset[str] | None


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            out["details"] = self.details
        return out


def qualified(resource: str) -> str:
    group = GROUPS.get(resource.split("/")[0], "")
    return f"{resource.split('/')[0]}.{group}" if group else resource.split("/")[0]


def not_found(resource: str, name: str) -> ApiError:
    details = {"name": name, "kind": resource}
    if GROUPS.get(resource):
        details["group"] = GROUPS[resource]
    return ApiError(404, "NotFound", f'{qualified(resource)} "{name}" not found', details)

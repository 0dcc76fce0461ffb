"""Grounding: every name in a proposed plan is checked against the live inventory.

An unknown name never becomes a plan: the user gets "did you mean ...?" suggestions (or the
list of what does exist) instead. Inventory failures fail closed (no plan, a clear message).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.catalog import Operation
from bot.planning.base import Inventory

_SINGULAR = {
    "pods": "pod",
    "deployments": "deployment",
    "statefulsets": "statefulset",
    "daemonsets": "daemonset",
    "horizontalpodautoscalers": "horizontalpodautoscaler",
    "cronjobs": "cronjob",
    "jobs": "job",
    "nodes": "node",
    "services": "service",
    "ingresses": "ingress",
    "configmaps": "config map",
    "persistentvolumeclaims": "persistent volume claim",
    "containers": "container",
    "namespaces": "namespace",
    "objects": "object",
    "contexts": "context",
    "Docker hosts": "Docker host",
}
_MAX_LISTED = 8


class GroundingUnavailable(Exception):
    """The inventory could not be read, so names cannot be verified."""


@dataclass
class GroundingReport:
    problems: list[str] = field(default_factory=list)
    rejected_names: list[str] = field(default_factory=list)
    out_of_scope: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.out_of_scope


def did_you_mean(name: str, candidates: Sequence[str], *, limit: int = 3) -> list[str]:
    """Close existing names: generated-suffix matches first (api -> api-7f9c-x), then fuzzy."""
    unique = list(dict.fromkeys(candidates))
    prefixed = [c for c in unique if c.startswith(f"{name}-")][:limit]
    base = name.rsplit("-", 1)[0]
    if not prefixed and base != name:  # web-0 -> web-7f9c-abcde (same deployment's pods)
        prefixed = [c for c in unique if c.startswith(f"{base}-")][:limit]
    fuzzy = difflib.get_close_matches(name, unique, n=limit, cutoff=0.6)
    return list(dict.fromkeys(prefixed + fuzzy))[:limit]


def _quote_list(names: Sequence[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def unknown_name_message(
    *, resource: str, name: str, namespace: str | None, candidates: Sequence[str]
) -> str:
    what = _SINGULAR.get(resource, resource)
    where = f" in {namespace}" if namespace else ""
    suggestions = did_you_mean(name, candidates)
    if suggestions:
        return f"no {what} '{name}'{where}; did you mean {_quote_list(suggestions)}?"
    if not candidates:
        return f"no {what} '{name}'{where} (there are no {resource}{where})"
    listed = ", ".join(sorted(candidates)[:_MAX_LISTED])
    more = ", ..." if len(candidates) > _MAX_LISTED else ""
    return f"no {what} '{name}'{where}; existing {resource}: {listed}{more}"


def in_scope(namespace: str | None, allowed: Sequence[str]) -> bool:
    if namespace is None or "*" in allowed:
        return True
    return namespace != "*" and namespace in allowed


def _names(inventory: Inventory, resource: str, namespace: str | None) -> list[str]:
    try:
        return list(inventory.names(resource, namespace=namespace))
    except Exception as exc:
        raise GroundingUnavailable(f"could not list {resource}: {exc}") from exc


def _namespaces(inventory: Inventory) -> list[str]:
    try:
        return list(inventory.namespaces())
    except Exception as exc:
        raise GroundingUnavailable(f"could not list namespaces: {exc}") from exc


def check_operation(
    op: Operation, *, inventory: Inventory, allowed_namespaces: Sequence[str]
) -> GroundingReport:
    """Check one operation's namespace, names and scope. Raises GroundingUnavailable."""
    report = GroundingReport()
    scope = op.scope_namespace
    if not in_scope(scope, allowed_namespaces):
        label = "all namespaces" if scope == "*" else f"namespace '{scope}'"
        allowed = ", ".join(allowed_namespaces) or "none"
        report.out_of_scope.append(
            f"{op.kind} in {label} is outside your scope (allowed namespaces: {allowed})"
        )
        return report
    _check_targets(op, inventory=inventory, report=report)
    if report.problems:  # an unknown context or host: its names cannot be checked either
        return report
    namespace = getattr(op, "namespace", None)
    if isinstance(namespace, str) and not getattr(op, "all_namespaces", False):
        existing = _namespaces(inventory)
        if namespace not in existing:
            report.problems.append(
                unknown_name_message(
                    resource="namespaces", name=namespace, namespace=None, candidates=existing
                )
            )
            report.rejected_names.append(namespace)
            return report
    _check_names(op, namespace, inventory=inventory, report=report)
    return report


def _optional_list(inventory: Inventory, method: str) -> list[str] | None:
    """Optional inventory extras (`contexts()`, `docker_hosts()` returning a list, or None
    when unknown): an inventory without them is not checked for these names."""
    getter = getattr(inventory, method, None)
    if not callable(getter):
        return None
    try:
        values = getter()
        return None if values is None else [str(v) for v in values]
    except Exception as exc:
        raise GroundingUnavailable(f"could not list {method.replace('_', ' ')}: {exc}") from exc


def _check_targets(op: Operation, *, inventory: Inventory, report: GroundingReport) -> None:
    """Kubeconfig contexts and Docker host aliases, when the inventory can list them."""
    for value, method, what in (
        (op.scope_context, "contexts", "contexts"),
        (op.scope_host, "docker_hosts", "Docker hosts"),
    ):
        if value is None:
            continue
        known = _optional_list(inventory, method)
        if known is not None and value not in known:
            report.problems.append(
                unknown_name_message(resource=what, name=value, namespace=None, candidates=known)
            )
            report.rejected_names.append(value)


def _check_names(
    op: Operation, namespace: str | None, *, inventory: Inventory, report: GroundingReport
) -> None:
    checks: list[tuple[str, str, list[str]]] = []
    name = getattr(op, "name", None)
    if op.backend.value == "kubernetes" and isinstance(name, str):
        # the object type the catalog says it acts on ("deployments/scale" -> deployments)
        resource = op.named_resource
        checks.append((resource, name, _names(inventory, resource, namespace)))
    container = getattr(op, "container", None)
    if op.backend.value == "docker" and isinstance(container, str):
        # Docker has no namespaces: the container's host alias is its scope.
        host = getattr(op, "host", None)
        checks.append(("containers", container, _names(inventory, "containers", host)))
    object_name = getattr(op, "object_name", None)
    if isinstance(object_name, str):
        pods = _names(inventory, "pods", namespace)
        deployments = _names(inventory, "deployments", namespace)
        known = object_name in deployments or any(
            p == object_name or p.startswith(f"{object_name}-") for p in pods
        )
        if not known:
            report.problems.append(
                unknown_name_message(
                    resource="objects",
                    name=object_name,
                    namespace=namespace,
                    candidates=deployments + pods,
                )
            )
            report.rejected_names.append(object_name)
    for resource, value, candidates in checks:
        if value not in candidates:
            report.problems.append(
                unknown_name_message(
                    resource=resource, name=value, namespace=namespace, candidates=candidates
                )
            )
            report.rejected_names.append(value)


def check_plan(
    steps: Sequence[Operation], *, inventory: Inventory, allowed_namespaces: Sequence[str]
) -> GroundingReport:
    merged = GroundingReport()
    for op in steps:
        report = check_operation(op, inventory=inventory, allowed_namespaces=allowed_namespaces)
        merged.problems += [p for p in report.problems if p not in merged.problems]
        merged.rejected_names += report.rejected_names
        merged.out_of_scope += report.out_of_scope
    return merged

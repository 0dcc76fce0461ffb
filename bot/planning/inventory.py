"""A fixed, in-memory Inventory: seeded inventories for the eval harness and for tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class StaticInventory:
    def __init__(
        self,
        *,
        deployments: Mapping[str, Sequence[str]] | None = None,
        pods: Mapping[str, Sequence[str]] | None = None,
        containers: Sequence[str] = (),
        namespaces: Sequence[str] = (),
    ) -> None:
        self._by_resource: dict[str, dict[str, list[str]]] = {
            "deployments": {ns: list(v) for ns, v in (deployments or {}).items()},
            "pods": {ns: list(v) for ns, v in (pods or {}).items()},
        }
        self._containers = list(containers)
        known = set(namespaces)
        for per_ns in self._by_resource.values():
            known.update(per_ns)
        self._namespaces = sorted(known)

    def namespaces(self) -> list[str]:
        return list(self._namespaces)

    def names(self, resource: str, *, namespace: str | None = None) -> list[str]:
        if resource == "containers":
            return list(self._containers)
        per_ns = self._by_resource.get(resource)
        if per_ns is None:
            raise ValueError(f"unknown resource {resource!r}: use pods, deployments or containers")
        if namespace is None:
            return [name for names in per_ns.values() for name in names]
        return list(per_ns.get(namespace, []))

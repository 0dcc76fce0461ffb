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
        contexts: Sequence[str] | None = None,
        docker_hosts: Sequence[str] | None = None,
        objects: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
        cluster_objects: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """`objects`: other namespaced resources by their plural (statefulsets: {prod: [redis]});
        `cluster_objects`: cluster-scoped ones, which have no namespace (nodes: [node-3])."""
        self._by_resource: dict[str, dict[str, list[str]]] = {
            resource: {ns: list(v) for ns, v in per_ns.items()}
            for resource, per_ns in (objects or {}).items()
        }
        self._by_resource["deployments"] = {ns: list(v) for ns, v in (deployments or {}).items()}
        self._by_resource["pods"] = {ns: list(v) for ns, v in (pods or {}).items()}
        self._containers = list(containers)
        known = set(namespaces)
        for per_ns in self._by_resource.values():
            known.update(per_ns)
        self._namespaces = sorted(known)
        self._cluster = {resource: list(v) for resource, v in (cluster_objects or {}).items()}
        self._cluster["namespaces"] = list(self._namespaces)
        self._contexts = list(contexts) if contexts is not None else None
        self._docker_hosts = list(docker_hosts) if docker_hosts is not None else None

    def namespaces(self) -> list[str]:
        return list(self._namespaces)

    def contexts(self) -> list[str] | None:
        """Kubeconfig contexts (optional grounding extra); None: not known, not checked."""
        return list(self._contexts) if self._contexts is not None else None

    def docker_hosts(self) -> list[str] | None:
        """Docker host aliases (optional grounding extra); None: not known, not checked."""
        return list(self._docker_hosts) if self._docker_hosts is not None else None

    def names(self, resource: str, *, namespace: str | None = None) -> list[str]:
        if resource == "containers":
            return list(self._containers)
        if resource in self._cluster:  # a namespace does not narrow cluster-scoped objects
            return list(self._cluster[resource])
        per_ns = self._by_resource.get(resource)
        if per_ns is None:
            known = ", ".join(sorted([*self._by_resource, *self._cluster]))
            raise ValueError(
                f"unknown resource {resource!r}: this inventory has {known}, containers"
            )
        if namespace is None:
            return [name for names in per_ns.values() for name in names]
        return list(per_ns.get(namespace, []))

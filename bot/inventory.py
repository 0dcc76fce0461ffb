"""Live names from the backends, for grounding plans (planner) and did-you-mean suggestions."""

from __future__ import annotations

from collections.abc import Mapping

from bot.backends.base import Backend
from bot.catalog import BackendKind


class BackendInventory:
    """Implements bot.planning.base.Inventory over the configured backends."""

    def __init__(self, backends: Mapping[BackendKind, Backend]) -> None:
        self._backends = backends

    def namespaces(self) -> list[str]:
        kube = self._backends.get(BackendKind.KUBERNETES)
        return kube.known_names("namespaces") if kube else []

    def names(self, resource: str, *, namespace: str | None = None) -> list[str]:
        kind = BackendKind.DOCKER if resource == "containers" else BackendKind.KUBERNETES
        backend = self._backends.get(kind)
        if backend is None:
            return []
        return backend.known_names(resource, namespace=namespace)

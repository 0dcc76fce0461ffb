"""Live names from the backends, for grounding plans (planner) and did-you-mean suggestions.

Besides object names, the inventory knows the kubeconfig contexts and the Docker host aliases
(`contexts()`, `docker_hosts()`), so grounding refuses a context or host that does not exist,
for plan steps and diagnosis lookups alike (planning/grounding.py `_check_targets`).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.backends.base import Backend
from bot.backends.docker_hosts import DEFAULT_ALIAS
from bot.backends.kubernetes_client import kubeconfig_contexts
from bot.catalog import BackendKind
from bot.config import Settings
from bot.planning.base import Inventory


class InventoryUnavailable(RuntimeError):
    """A backend could not be read: its names are unknown, not empty."""


class BackendInventory:
    """Implements bot.planning.base.Inventory over the configured backends.

    Backends answer an empty list when they cannot list; an empty answer is therefore checked
    against `backend.check()`, so an outage is reported as one instead of as "no such name".
    """

    def __init__(
        self, backends: Mapping[BackendKind, Backend], *, settings: Settings | None = None
    ) -> None:
        """`settings` lets contexts and hosts be checked; without them they are not known."""
        self._backends = backends
        self._settings = settings

    def contexts(self) -> list[str] | None:
        """The kubeconfig's contexts ([] without Kubernetes or a kubeconfig: in-cluster there
        is only the default, so any named context is unknown)."""
        if self._settings is None:
            return None
        if BackendKind.KUBERNETES not in self._backends:
            return []
        return kubeconfig_contexts()

    def docker_hosts(self) -> list[str] | None:
        """The configured Docker host aliases ("default" is always one)."""
        if self._settings is None:
            return None
        if BackendKind.DOCKER not in self._backends:
            return []
        return sorted({DEFAULT_ALIAS, *self._settings.docker_hosts})

    def namespaces(self) -> list[str]:
        kube = self._backends.get(BackendKind.KUBERNETES)
        return self._checked(kube, "namespaces", None) if kube else []

    def names(self, resource: str, *, namespace: str | None = None) -> list[str]:
        kind = BackendKind.DOCKER if resource == "containers" else BackendKind.KUBERNETES
        backend = self._backends.get(kind)
        return self._checked(backend, resource, namespace) if backend else []

    @staticmethod
    def _checked(backend: Backend, resource: str, namespace: str | None) -> list[str]:
        names = backend.known_names(resource, namespace=namespace)
        if not names:
            reason = backend.check()
            if reason:
                raise InventoryUnavailable(reason)
        return names


class CachedInventory:
    """One request's view of the inventory: each list is fetched once, however many times
    the planner, its guards and the service's grounding ask."""

    def __init__(self, inner: Inventory) -> None:
        self._inner = inner
        self._namespaces: list[str] | None = None
        self._names: dict[tuple[str, str | None], list[str]] = {}
        self._targets: dict[str, list[str] | None] = {}

    def contexts(self) -> list[str] | None:
        return self._target("contexts")

    def docker_hosts(self) -> list[str] | None:
        return self._target("docker_hosts")

    def _target(self, method: str) -> list[str] | None:
        if method not in self._targets:
            getter = getattr(self._inner, method, None)
            self._targets[method] = getter() if callable(getter) else None
        return self._targets[method]

    def namespaces(self) -> list[str]:
        if self._namespaces is None:
            self._namespaces = self._inner.namespaces()
        return self._namespaces

    def names(self, resource: str, *, namespace: str | None = None) -> list[str]:
        key = (resource, namespace)
        if key not in self._names:
            self._names[key] = self._inner.names(resource, namespace=namespace)
        return self._names[key]

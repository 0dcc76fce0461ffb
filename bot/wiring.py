"""The composition root: turns Settings into a ready OpsService with real backends and stores.

The only module that knows every concrete class; everything else depends on protocols.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import redis

from bot.approvals.memory_store import MemoryApprovalStore
from bot.approvals.redis_store import RedisApprovalStore, connect
from bot.approvals.store import ApprovalStore
from bot.audit import AuditLog
from bot.backends.base import Backend
from bot.catalog import BackendKind
from bot.config import Settings
from bot.executor import Executor
from bot.inventory import BackendInventory
from bot.service import OpsService

log = logging.getLogger("opsbot.wiring")


@dataclass
class Wiring:
    service: OpsService
    backends: dict[BackendKind, Backend]
    notes: list[str] = field(default_factory=list)
    redis_client: redis.Redis | None = None


def redis_client_from(settings: Settings) -> redis.Redis | None:
    """One fail-fast client (short timeouts, one retry) shared by every Redis user."""
    return connect(settings.redis_url) if settings.redis_url else None


def build_backends(settings: Settings) -> tuple[dict[BackendKind, Backend], list[str]]:
    """Every backend that can be configured, plus a note for each that is not."""
    backends: dict[BackendKind, Backend] = {}
    notes: list[str] = []
    if settings.kube_disabled:
        notes.append("Kubernetes: disabled (OPSBOT_KUBE_DISABLED)")
    else:
        from bot.backends.kubernetes import KubernetesBackend

        try:
            backends[BackendKind.KUBERNETES] = KubernetesBackend.from_settings(settings)
        except Exception as exc:  # noqa: BLE001 - any config problem becomes a note, not a crash
            notes.append(f"Kubernetes: not configured ({exc})")
    if settings.docker_disabled:
        notes.append("Docker: disabled (OPSBOT_DOCKER_DISABLED)")
    else:
        from bot.backends.docker_backend import DockerBackend

        backends[BackendKind.DOCKER] = DockerBackend(settings=settings)
    from bot.reports.backend import HostBackend

    backends[BackendKind.HOST] = HostBackend(settings=settings, backends=dict(backends))
    return backends, notes


def effective_kube_context(settings: Settings) -> str | None:
    """The kubeconfig context steps run against when they name none (None: in-cluster, or no
    kubeconfig, where the policy's `default_context` applies)."""
    if settings.kube_disabled or settings.kube_in_cluster:
        return None
    if settings.kube_context:
        return settings.kube_context
    from bot.backends.kubernetes_client import kubeconfig_current_context

    return kubeconfig_current_context()


def build_policy(settings: Settings):  # type: ignore[no-untyped-def]
    from bot.policy import load_engine_or_deny

    return load_engine_or_deny(settings.policy_path)


def build(settings: Settings, *, store: ApprovalStore | None = None) -> Wiring:
    client = redis_client_from(settings)
    if store is None:
        store = (
            RedisApprovalStore(client, prefix=settings.key_prefix)
            if client is not None
            else MemoryApprovalStore()
        )
    backends, notes = build_backends(settings)
    if client is None:
        notes.append("Approvals: in-process store (set REDIS_URL for Redis; single process only)")
    executor = Executor(backends=backends)
    inventory = BackendInventory(backends, settings=settings)
    service = OpsService(
        policy=build_policy(settings),
        store=store,
        executor=executor,
        audit=AuditLog(client=client, prefix=settings.key_prefix),
        inventory=inventory,
        enabled_operations=frozenset(settings.enabled_operations),
        default_context=effective_kube_context(settings),
        max_pending_per_user=settings.max_pending_per_user,
    )
    from bot.planning.llm import OpenAIPlanner
    from bot.planning.ratelimit import LlmRateLimiter, UserRateLimiter

    service.request_limiter = UserRateLimiter(
        client,
        per_minute=settings.request_rate_limit_per_minute,
        scope="requests",
        key_prefix=settings.key_prefix,
    )

    service.planner = OpenAIPlanner.from_settings(settings, read_tool=service.planner_lookup)
    if service.planner is None:
        notes.append("LLM: not configured (set OPENAI_API_KEY); explicit commands only")
    else:
        service.rate_limiter = LlmRateLimiter(
            client,
            per_minute=settings.llm_rate_limit_per_minute,
            key_prefix=settings.key_prefix,
        )
    return Wiring(service=service, backends=backends, notes=notes, redis_client=client)

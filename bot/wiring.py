"""The composition root: turns Settings into a ready OpsService with real backends and stores.

The only module that knows every concrete class; everything else depends on protocols.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.approvals.memory_store import MemoryApprovalStore
from bot.approvals.redis_store import RedisApprovalStore
from bot.approvals.store import ApprovalStore
from bot.audit import AuditLog
from bot.backends.base import Backend
from bot.catalog import BackendKind
from bot.config import Settings
from bot.executor import Executor
from bot.live_inventory import BackendInventory
from bot.redis_url import RedisClient, ack_replicas, connect
from bot.service import OpsService
from bot.service.ports import PrincipalResolver, RateLimiter

log = logging.getLogger("opsbot.wiring")


class ByPrincipal:
    """A RateLimiter giving the named service principals (the Alertmanager receiver's
    `alertmanager`, which speaks for many alerts) their own limiter; everyone else shares
    `default`, each user in their own window."""

    def __init__(self, default: RateLimiter, own: Mapping[str, RateLimiter]) -> None:
        self._default = default
        self._own = dict(own)

    def allow(self, user_id: str) -> tuple[bool, int]:
        return self._own.get(user_id, self._default).allow(user_id)


@dataclass
class Wiring:
    service: OpsService
    backends: dict[BackendKind, Backend]
    notes: list[str] = field(default_factory=list)
    redis_client: RedisClient | None = None


def redis_client_from(settings: Settings) -> RedisClient | None:
    """One fail-fast client (short timeouts, one retry) shared by every Redis user; REDIS_URL
    may name one server, Sentinels or Cluster nodes (bot/approvals/redis_connect.py)."""
    return connect(settings.redis_url) if settings.redis_url else None


def redis_store_from(settings: Settings, client: RedisClient) -> RedisApprovalStore:
    return RedisApprovalStore(
        client,
        prefix=settings.key_prefix,
        ack_replicas=ack_replicas(settings.redis_ack_replicas, settings.redis_url),
        ack_timeout_ms=settings.redis_ack_timeout_ms,
    )


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


def build(
    settings: Settings,
    *,
    store: ApprovalStore | None = None,
    clock: Callable[[], datetime] | None = None,
    principals: PrincipalResolver | None = None,
) -> Wiring:
    """`clock`: the service's time (tests pass a fixed one; default: the wall clock).
    `principals`: the chat platform's current groups of a user (Slack: its UserDirectory)."""
    client = redis_client_from(settings)
    if store is None:
        store = redis_store_from(settings, client) if client is not None else MemoryApprovalStore()
    backends, notes = build_backends(settings)
    if client is None:
        notes.append("Approvals: in-process store (set REDIS_URL for Redis; single process only)")
    from bot.planning.llm import OpenAIPlanner
    from bot.planning.ratelimit import LlmRateLimiter, UserRateLimiter

    planner = OpenAIPlanner.from_settings(settings)
    if planner is None:
        notes.append("LLM: not configured (set OPENAI_API_KEY); explicit commands only")
    executor = Executor(backends=backends)
    request_limiter: RateLimiter = UserRateLimiter(
        client,
        per_minute=settings.request_rate_limit_per_minute,
        scope="requests",
        key_prefix=settings.key_prefix,
    )
    pending_caps: dict[str, int] = {}
    if settings.alerts_routing is not None:
        # the receiver's principal speaks for many alerts: its own window and cap
        request_limiter = ByPrincipal(
            request_limiter,
            {
                settings.alerts_principal: UserRateLimiter(
                    client,
                    per_minute=settings.alerts_rate_limit_per_minute,
                    scope="alert-requests",
                    key_prefix=settings.key_prefix,
                )
            },
        )
        pending_caps[settings.alerts_principal] = settings.alerts_max_pending
    service = OpsService(
        policy=build_policy(settings),
        store=store,
        executor=executor,
        audit=AuditLog(client=client, prefix=settings.key_prefix),
        planner=planner,
        inventory=BackendInventory(backends, settings=settings),
        request_limiter=request_limiter,
        llm_rate_limiter=LlmRateLimiter(
            client,
            per_minute=settings.llm_rate_limit_per_minute,
            key_prefix=settings.key_prefix,
        )
        if planner is not None
        else None,
        enabled_operations=frozenset(settings.enabled_operations),
        default_context=effective_kube_context(settings),
        max_pending_per_user=settings.max_pending_per_user,
        pending_caps=pending_caps,
        clock=clock,
        principals=principals,
    )
    return Wiring(service=service, backends=backends, notes=notes, redis_client=client)

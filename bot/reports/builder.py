"""Builds one HealthReport for a scope from the collectors (Kubernetes, Docker, the host)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from bot.backends.docker_hosts import DockerHosts
from bot.backends.kubernetes_client import (
    CLIENT_CONFIG_ERRORS,
    ApiClientFactory,
    SessionPool,
    default_factory,
)
from bot.config import Settings
from bot.reports.docker_collector import collect_docker
from bot.reports.host_collector import collect_host
from bot.reports.k8s_collector import K8sTarget, collect_kubernetes
from bot.reports.models import HealthReport, sort_findings
from bot.reports.scope import ReportScope, Thresholds
from bot.reports.sink import FindingSink


class ReportBuilder:
    """Reads clusters and hosts with the bot's own identity (reports are not impersonated).

    `api_client_factory(context)` and `docker_hosts` default to the ones Settings describe.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        thresholds: Thresholds | None = None,
        api_client_factory: ApiClientFactory | None = None,
        docker_hosts: DockerHosts | None = None,
    ) -> None:
        self.settings = settings
        self.thresholds = thresholds or Thresholds()
        factory = api_client_factory or default_factory(
            context=settings.kube_context, in_cluster=settings.kube_in_cluster
        )
        self._pool = SessionPool(factory, timeout=settings.kube_timeout_seconds)
        self._docker = docker_hosts or DockerHosts(
            hosts=settings.docker_hosts, timeout_seconds=settings.docker_timeout_seconds
        )

    def build(self, scope: ReportScope, *, now: datetime | None = None) -> HealthReport:
        started = time.perf_counter()
        now = now or datetime.now(UTC)
        sink = FindingSink(max_per_kind=self.thresholds.max_findings_per_kind)
        if scope.kubernetes and not self.settings.kube_disabled:
            contexts: list[str | None] = list(scope.contexts) or [None]
            for context in contexts:
                self._kubernetes(context, scope.namespaces, now=now, sink=sink)
        if scope.docker and not self.settings.docker_disabled:
            aliases = scope.docker_hosts or self._docker.aliases()
            collect_docker(
                self._docker,
                aliases=aliases,
                thresholds=self.thresholds,
                sink=sink,
                expected=self._expected_docker_hosts(scope),
            )
        if scope.host:
            collect_host(thresholds=self.thresholds, sink=sink)
        return HealthReport(
            scope=scope.label(),
            generated_at=now,
            findings=sort_findings(sink.findings),
            omitted=sink.omitted(),
            counters=dict(sink.counters),
            notes=sink.notes,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )

    def _expected_docker_hosts(self, scope: ReportScope) -> frozenset[str]:
        """Hosts someone asked for: configured aliases, named in the scope, or DOCKER_HOST."""
        expected = set(self.settings.docker_hosts) | set(scope.docker_hosts)
        if os.environ.get("DOCKER_HOST"):
            expected.add("default")
        return frozenset(expected)

    def _kubernetes(
        self, context: str | None, namespaces: list[str], *, now: datetime, sink: FindingSink
    ) -> None:
        target = K8sTarget(context=context, namespaces=namespaces)
        try:
            session = self._pool.session(context=context)
        except CLIENT_CONFIG_ERRORS as err:
            sink.note(
                f"Kubernetes {target.label}: not configured ({err}); set KUBECONFIG or "
                "OPSBOT_KUBE_CONTEXT, or OPSBOT_KUBE_DISABLED=true"
            )
            return
        collect_kubernetes(session, target=target, thresholds=self.thresholds, now=now, sink=sink)

    def close(self) -> None:
        self._docker.close()

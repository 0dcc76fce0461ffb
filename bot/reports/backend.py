"""HostBackend: runs the `health_report` catalog operation (planned, policed and audited like
any read) by building a HealthReport for the operation's scope."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from bot.backends.base import Backend, ErrorKind, Preview, Result, Status
from bot.backends.dispatch import Dispatch, handler
from bot.backends.docker_hosts import DockerHosts
from bot.backends.kubernetes_client import ApiClientFactory
from bot.catalog import BackendKind, Operation
from bot.catalog.health_ops import HealthReport as HealthReportOp
from bot.config import Settings
from bot.models import Principal
from bot.redact import redact, truncate
from bot.reports.builder import ReportBuilder
from bot.reports.schedules import ReportsConfigError, load_reports_config
from bot.reports.scope import ReportScope, Thresholds
from bot.reports.text_render import render_text

log = logging.getLogger(__name__)


class HostBackend:
    """Kubernetes and Docker are included when `backends` has them (i.e. they are configured).
    Thresholds come from OPSBOT_REPORTS_CONFIG; when it is unusable, `check()` says why."""

    name = "host"

    def __init__(
        self,
        *,
        settings: Settings,
        backends: Mapping[BackendKind, Backend] | None = None,
        thresholds: Thresholds | None = None,
        api_client_factory: ApiClientFactory | None = None,
        docker_hosts: DockerHosts | None = None,
    ) -> None:
        self.settings = settings
        configured = backends if backends is not None else {}
        self._kubernetes = BackendKind.KUBERNETES in configured
        self._docker = BackendKind.DOCKER in configured
        self.config_problem: str | None = None
        if thresholds is None:
            try:
                thresholds = load_reports_config(settings.reports_config).thresholds
            except ReportsConfigError as err:  # reported by check(); defaults meanwhile
                self.config_problem = str(err)
                thresholds = Thresholds()
        self.builder = ReportBuilder(
            settings=settings,
            thresholds=thresholds,
            api_client_factory=api_client_factory,
            docker_hosts=docker_hosts,
        )

    def scope_for(self, op: HealthReportOp) -> ReportScope:
        return ReportScope(
            kubernetes=self._kubernetes,
            contexts=[op.context] if op.context else [],
            namespaces=[op.namespace] if op.namespace else [],
            docker=self._docker,
            docker_hosts=[op.host] if op.host else [],
        )

    def execute(self, op: Operation, *, actor: Principal | None = None) -> Result:
        """Reports read with the bot's own identity; `actor` is not impersonated."""
        entry = DISPATCH.handler_for(op)
        if entry is None:
            return Result(
                status=Status.ERROR,
                call="-",
                error=f"the host backend cannot run {op.kind}",
                error_kind=ErrorKind.INVALID,
            )
        return entry.execute(self, op)

    def _report(self, op: HealthReportOp) -> Result:
        started = time.perf_counter()
        scope = self.scope_for(op)
        try:
            report = self.builder.build(scope)
        except Exception as exc:
            log.exception("building the health report failed")
            return Result(
                status=Status.ERROR,
                call=f"health report ({scope.label()})",
                error=f"building the health report failed: {type(exc).__name__}: "
                + redact(str(exc))[:300],
                error_kind=ErrorKind.INTERNAL,
                hint="this is a bug in opsbot; try a narrower scope (a namespace or one host)",
            )
        text, cut = truncate(
            render_text(report), max_chars=self.settings.max_output_chars, keep="head"
        )
        return Result(
            status=Status.SUCCESS,
            call=f"health report ({scope.label()})",
            data=report.as_json(),
            text=text,
            truncated=cut,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )

    def preview(self, op: Operation, *, actor: Principal | None = None) -> Preview:
        return Preview(note="read-only: nothing changes")

    def check(self) -> str | None:
        return self.config_problem

    def known_names(self, resource: str, *, namespace: str | None = None) -> list[str]:
        return []


# The one list of host operations (checked against the catalog at import).
DISPATCH: Dispatch[HostBackend] = Dispatch(
    BackendKind.HOST, [handler(HealthReportOp, HostBackend._report)]
)
